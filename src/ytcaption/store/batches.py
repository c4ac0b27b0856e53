"""Batches: one playlist, channel or feed request and the entries it was expanded into.

Items (one table, beside the jobs):
  batch        BATCH#<batch_id> / BATCH          (the request, its status, total and ended counters)
  its entries  BATCH#<batch_id> / ENTRY#<nnnn>   (one per listed item: its URL, title, job id or refusal)
  its webhook  BATCH#<batch_id> / WEBHOOK#<at>#.. (each attempt, as a job's are kept in its history)
The batch item keeps `ended` and, per status, how many entries ended so (count_<STATUS>).
A batch is indexed by tenant in the by-tenant index under its own partition (gsi1pk BATCHES#<tenant>),
so a tenant's batches never mix with its jobs. An entry's job carries `batch_id` and `batch_entry`:
that is how a job's end finds its batch.
  an expansion  BATCHES-EXPANDING / <batch_id>  (while ExpandBatch has not finished its work: when it
                last started and how often; the batch reconciler finds a dead one in this one partition)
"""

from __future__ import annotations

import time
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
# The batch item counts its ended entries by their job's status (count_COMPLETED, ...): a list of
# batches shows them without reading any entry.
COUNT_PREFIX = "count_"


def batch_pk(batch_id: str) -> str:
    return f"BATCH#{batch_id}"


def batch_key(batch_id: str) -> keys.Key:
    return {"pk": batch_pk(batch_id), "sk": "BATCH"}


def entry_key(batch_id: str, index: int) -> keys.Key:
    return {"pk": batch_pk(batch_id), "sk": f"{ENTRY_PREFIX}{index:04d}"}


EXPANSIONS_PK = "BATCHES-EXPANDING"


def expansion_key(batch_id: str) -> keys.Key:
    return {"pk": EXPANSIONS_PK, "sk": batch_id}


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
        """The batch, EXPANDING, and its expansion's record, in one transaction (a batch never lacks
        one, and a replayed request writes neither); False if the batch already exists."""
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
        expansion = {**expansion_key(batch_id), "batch_id": batch_id, "started_at": int(time.time()), "attempts": 1}
        try:
            self.table.meta.client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": self.table.name, "Item": to_dynamo(item),
                             "ConditionExpression": "attribute_not_exists(pk)"}},
                    {"Put": {"TableName": self.table.name, "Item": expansion}},
                ]
            )  # fmt: skip
        except Exception as exc:
            if aws.error_code(exc) != "TransactionCanceledException":
                raise
            return False
        return True

    def get(self, batch_id: str) -> dict[str, Any] | None:
        item = self.table.get_item(Key=batch_key(batch_id), ConsistentRead=True).get("Item")
        return from_dynamo(item) if item else None

    def _items(self, batch_id: str, prefix: str) -> list[dict[str, Any]]:
        """The batch's items of one kind (ENTRY_PREFIX, WEBHOOK_PREFIX), in key order."""
        items = aws.query_all(
            self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
            ExpressionAttributeValues={":pk": batch_pk(batch_id), ":p": prefix},
            ConsistentRead=True,
        )
        return [from_dynamo(item) for item in items]

    def entries(self, batch_id: str) -> list[dict[str, Any]]:
        return sorted(self._items(batch_id, ENTRY_PREFIX), key=lambda item: int(item["index"]))

    def tenant_batches(
        self, tenant: str, limit: int = 100, start: dict[str, Any] | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """A page of the tenant's batches, newest first, and the index key to resume after (None at the end)."""
        request: dict[str, Any] = {
            "IndexName": TABLE_GSI_TENANT,
            "KeyConditionExpression": "gsi1pk = :t",
            "ExpressionAttributeValues": {":t": tenant_batches_pk(tenant)},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start:
            request["ExclusiveStartKey"] = start
        page = self.table.query(**request)
        last = page.get("LastEvaluatedKey")
        return [from_dynamo(item) for item in page.get("Items", [])], dict(last) if last else None

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

    def end(
        self, batch_id: str, status: str, *, by: str, code: str | None = None, reason: str | None = None
    ) -> dict[str, Any] | None:
        """Move an unfinished batch to an ended status, once: the batch as it ended, or None if it
        had already ended. `by` names who ended it (an entry's index, "expand", "cancel", "reconcile"):
        only that caller retries the batch's webhook (batch.webhook)."""
        values: dict[str, Any] = {
            ":to": status,
            ":by": by,
            ":now": iso(utcnow()),
            ":e0": ENDED[0],
            ":e1": ENDED[1],
            ":e2": ENDED[2],
        }
        sets = "#s = :to, ended_by = :by, updated_at = :now, finished_at = :now"
        if code:
            sets += ", error_code = :code, error_reason = :reason"
            values.update({":code": code, ":reason": reason or ""})
        answer: dict[str, Any] = {}

        def write() -> None:
            answer.update(
                self.table.update_item(
                    Key=batch_key(batch_id),
                    UpdateExpression=f"SET {sets}",
                    ConditionExpression="NOT (#s IN (:e0, :e1, :e2))",
                    ExpressionAttributeNames={"#s": "status"},
                    ExpressionAttributeValues=values,
                    ReturnValues="ALL_NEW",
                )
            )

        return from_dynamo(answer["Attributes"]) if aws.conditionally(write) else None

    def entry_ended(self, batch_id: str, index: int, status: str) -> dict[str, Any] | None:
        """Count an entry's end once, with the status its job ended with (a conditional flag on the
        entry, then the batch's counters); the batch after counting, or None if already counted."""
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
            UpdateExpression="ADD ended :one, #count :one SET updated_at = :now",
            ExpressionAttributeNames={"#count": f"{COUNT_PREFIX}{status}"},
            ExpressionAttributeValues={":one": 1, ":now": iso(utcnow())},
            ReturnValues="ALL_NEW",
        )
        after: dict[str, Any] = from_dynamo(answer["Attributes"])
        return after

    def expansions(self) -> list[dict[str, Any]]:
        """Every expansion not known to have finished its work: batch_id, started_at (Unix seconds),
        attempts, and the last transient error it raised, if any."""
        items = aws.query_all(
            self.table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": EXPANSIONS_PK},
            ConsistentRead=True,
        )
        return [from_dynamo(item) for item in items]

    def expansion_done(self, batch_id: str) -> None:
        self.table.delete_item(Key=expansion_key(batch_id))

    def expansion_failed(self, batch_id: str, error: str) -> None:
        """What made this attempt fail (kept for the reason, should the batch end for it)."""
        aws.conditionally(
            lambda: self.table.update_item(
                Key=expansion_key(batch_id),
                UpdateExpression="SET last_error = :e",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":e": error[:500]},
            )
        )

    def expansion_retried(self, batch_id: str, attempts: int) -> bool:
        """Claim the next attempt of an expansion (False if another reconciler claimed it first)."""
        return aws.conditionally(
            lambda: self.table.update_item(
                Key=expansion_key(batch_id),
                UpdateExpression="SET attempts = :next, started_at = :now",
                ConditionExpression="attempts = :seen",
                ExpressionAttributeValues={":next": attempts + 1, ":seen": attempts, ":now": int(time.time())},
            )
        )

    def claim_webhook(self, batch_id: str, attempts: int) -> bool:
        """Claim the next attempt of the batch's webhook, given the attempts the caller saw on the batch:
        the first (none made), or one after a last attempt that asked for another. False if another
        sender claimed it first or the webhook needs no attempt: two senders never send at once."""
        values: dict[str, Any] = {":next": attempts + 1}
        if attempts == 0:
            condition = "attribute_not_exists(webhook_attempts)"
        else:
            condition = "webhook_attempts = :seen AND webhook_outcome = :retry"
            values.update({":seen": attempts, ":retry": "retry"})
        return aws.conditionally(
            lambda: self.table.update_item(
                Key=batch_key(batch_id),
                UpdateExpression="SET webhook_attempts = :next",
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
            )
        )

    def hand_webhook_over(self, batch_id: str, by: str, to: str) -> bool:
        """A pending webhook of a batch that `by` ended but cannot retry (a cancelled job's entry: no Notify
        step runs again) becomes `to`'s, the batch reconciler's: an expansion record it finds on its next
        run (written first: it clears one with nothing to do), then `ended_by` if it is still `by` and the
        webhook still asks for a retry. False if it did not."""
        self.table.put_item(Item={**expansion_key(batch_id), "batch_id": batch_id, "started_at": 0, "attempts": 0})
        return aws.conditionally(
            lambda: self.table.update_item(
                Key=batch_key(batch_id),
                UpdateExpression="SET ended_by = :to",
                ConditionExpression="ended_by = :by AND webhook_outcome = :retry",
                ExpressionAttributeValues={":to": to, ":by": by, ":retry": "retry"},
            )
        )

    def record_webhook(self, batch_id: str, event_type: str, delivery: dict[str, Any]) -> None:
        """A webhook attempt, kept as a job's are (store.deliveries): an item of its own in the batch's
        partition, and its outcome on the batch (what the next claim checks)."""
        at = iso(utcnow())
        self.table.put_item(
            Item=to_dynamo({"pk": batch_pk(batch_id), "sk": f"{WEBHOOK_PREFIX}{at}#{uuid.uuid4().hex[:6]}",
                            "kind": "webhook", "event_type": event_type, "at": at, **delivery})
        )  # fmt: skip
        self.table.update_item(
            Key=batch_key(batch_id),
            UpdateExpression="SET webhook_outcome = :o",
            ExpressionAttributeValues={":o": str(delivery["outcome"])},
        )

    def webhook_attempts(self, batch_id: str) -> list[dict[str, Any]]:
        """Every attempt of the batch's webhook so far, oldest first."""
        return self._items(batch_id, WEBHOOK_PREFIX)
