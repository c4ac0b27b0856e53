"""Batches: one playlist, channel or feed request and the entries it was expanded into.

Items (one table, beside the jobs):
  batch        BATCH#<batch_id> / BATCH          (the request, its status, total and ended counters)
  its entries  BATCH#<batch_id> / ENTRY#<nnnn>   (one per listed item: its URL, title, job id or refusal)
  its webhook  BATCH#<batch_id> / WEBHOOK#<at>#.. (each attempt, as a job's are kept in its history)
A batch is indexed by tenant in the by-tenant index under its own partition (gsi1pk BATCHES#<tenant>),
so a tenant's batches never mix with its jobs. An entry's job carries `batch_id` and `batch_entry`:
that is how a job's end finds its batch.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from ytcaption.domain.job import iso, utcnow
from ytcaption.resources import TABLE_GSI_TENANT
from ytcaption.store import aws, keys
from ytcaption.store.jobs import from_dynamo, to_dynamo

ENTRY_PREFIX = "ENTRY#"
WEBHOOK_PREFIX = "WEBHOOK#"
# Batch statuses: EXPANDING (listing), RUNNING (entries' jobs exist), then one of the ended ones.
EXPANDING, RUNNING, COMPLETED, FAILED, CANCELLED = "EXPANDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"
ENDED = (COMPLETED, FAILED, CANCELLED)


def batch_pk(batch_id: str) -> str:
    return f"BATCH#{batch_id}"


def batch_key(batch_id: str) -> keys.Key:
    return {"pk": batch_pk(batch_id), "sk": "BATCH"}


def entry_key(batch_id: str, index: int) -> keys.Key:
    return {"pk": batch_pk(batch_id), "sk": f"{ENTRY_PREFIX}{index:04d}"}


def tenant_batches_pk(tenant: str) -> str:
    return f"BATCHES#{tenant}"


@dataclass(frozen=True)
class Entry:
    """One listed item of a batch."""

    index: int
    entry_id: str
    url: str
    title: str = ""
    timestamp: int | None = None

    def as_item(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "entry_id": self.entry_id,
            "url": self.url,
            "title": self.title,
            "timestamp": self.timestamp,
        }


class BatchStore:
    def __init__(self, table_name: str) -> None:
        self.table = aws.resource("dynamodb").Table(table_name)

    def create(self, batch_id: str, tenant: str, request: dict[str, Any]) -> bool:
        """The batch, EXPANDING; False if it already exists (a replayed request)."""
        now = iso(utcnow())
        item = {
            **batch_key(batch_id),
            "batch_id": batch_id,
            "tenant": tenant,
            "status": EXPANDING,
            "total": 0,
            "ended": 0,
            "created_at": now,
            "updated_at": now,
            "gsi1pk": tenant_batches_pk(tenant),
            "gsi1sk": f"{now}#{batch_id}",
            **request,
        }
        return aws.conditionally(
            lambda: self.table.put_item(Item=to_dynamo(item), ConditionExpression="attribute_not_exists(pk)")
        )

    def get(self, batch_id: str) -> dict[str, Any] | None:
        item = self.table.get_item(Key=batch_key(batch_id), ConsistentRead=True).get("Item")
        return from_dynamo(item) if item else None

    def entries(self, batch_id: str) -> list[dict[str, Any]]:
        items = aws.query_all(
            self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :e)",
            ExpressionAttributeValues={":pk": batch_pk(batch_id), ":e": ENTRY_PREFIX},
            ConsistentRead=True,
        )
        return sorted((from_dynamo(item) for item in items), key=lambda item: int(item["index"]))

    def tenant_batches(self, tenant: str, limit: int = 100) -> list[dict[str, Any]]:
        """The tenant's batches, newest first."""
        page = self.table.query(
            IndexName=TABLE_GSI_TENANT,
            KeyConditionExpression="gsi1pk = :t",
            ExpressionAttributeValues={":t": tenant_batches_pk(tenant)},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [from_dynamo(item) for item in page.get("Items", [])]

    def put_entry(self, batch_id: str, entry: Entry, **fields: Any) -> bool:
        """Record an entry once (a retried expansion finds it there and keeps the first)."""
        item = {**entry_key(batch_id, entry.index), **entry.as_item(), **fields}
        return aws.conditionally(
            lambda: self.table.put_item(Item=to_dynamo(item), ConditionExpression="attribute_not_exists(pk)")
        )

    def set_expanded(self, batch_id: str, total: int, title: str) -> bool:
        """EXPANDING -> RUNNING with the number of entries; False if it was not EXPANDING."""
        return aws.conditionally(
            lambda: self.table.update_item(
                Key=batch_key(batch_id),
                UpdateExpression="SET #s = :run, #total = :n, title = :title, updated_at = :now",
                ConditionExpression="#s = :exp",
                ExpressionAttributeNames={"#s": "status", "#total": "total"},  # TOTAL is a reserved word
                ExpressionAttributeValues={
                    ":run": RUNNING,
                    ":exp": EXPANDING,
                    ":n": total,
                    ":title": title,
                    ":now": iso(utcnow()),
                },
            )
        )

    def end(self, batch_id: str, status: str, *, code: str | None = None, reason: str | None = None) -> bool:
        """Move an unfinished batch to an ended status (once: False if it had already ended)."""
        values: dict[str, Any] = {
            ":to": status,
            ":now": iso(utcnow()),
            ":e0": ENDED[0],
            ":e1": ENDED[1],
            ":e2": ENDED[2],
        }
        sets = "#s = :to, updated_at = :now, finished_at = :now"
        if code:
            sets += ", error_code = :code, error_reason = :reason"
            values.update({":code": code, ":reason": reason or ""})
        return aws.conditionally(
            lambda: self.table.update_item(
                Key=batch_key(batch_id),
                UpdateExpression=f"SET {sets}",
                ConditionExpression="NOT (#s IN (:e0, :e1, :e2))",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=values,
            )
        )

    def entry_ended(self, batch_id: str, index: int) -> dict[str, Any] | None:
        """Count an entry's end once (a conditional flag on the entry, then the batch's counter);
        the batch as it is after counting, or None if this entry was already counted."""
        if not aws.conditionally(
            lambda: self.table.update_item(
                Key=entry_key(batch_id, index),
                UpdateExpression="SET ended = :t",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(ended)",
                ExpressionAttributeValues={":t": True},
            )
        ):
            return None
        answer = self.table.update_item(
            Key=batch_key(batch_id),
            UpdateExpression="ADD ended :one SET updated_at = :now",
            ExpressionAttributeValues={":one": 1, ":now": iso(utcnow())},
            ReturnValues="ALL_NEW",
        )
        after: dict[str, Any] = from_dynamo(answer["Attributes"])
        return after

    def record_webhook(self, batch_id: str, event_type: str, delivery: dict[str, Any]) -> None:
        """A webhook attempt, kept as a job's are (store.deliveries): an item of its own in the batch's
        partition, and the latest on the batch."""
        at = iso(utcnow())
        self.table.put_item(
            Item=to_dynamo({"pk": batch_pk(batch_id), "sk": f"{WEBHOOK_PREFIX}{at}#{uuid.uuid4().hex[:6]}",
                            "kind": "webhook", "event_type": event_type, "at": at, **delivery})
        )  # fmt: skip
        self.table.update_item(
            Key=batch_key(batch_id),
            UpdateExpression="SET webhook = :d",
            ExpressionAttributeValues={":d": to_dynamo(delivery)},
        )

    def webhook_attempts(self, batch_id: str) -> list[dict[str, Any]]:
        """Every attempt of the batch's webhook so far, oldest first."""
        items = aws.query_all(
            self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :w)",
            ExpressionAttributeValues={":pk": batch_pk(batch_id), ":w": WEBHOOK_PREFIX},
            ConsistentRead=True,
        )
        return [from_dynamo(item) for item in items]
