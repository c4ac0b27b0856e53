"""Every event published for a job, kept in the job's partition of the jobs table (`EVENTLOG#<event_id>`),
so a WebSocket client that reconnects gets what it missed since an event id, in order; and the job's
event counter (`EVENTSEQ`), which numbers its events as they are published.

The order is the `sequence` each envelope carries: taken from the counter (an atomic ADD) just before
the event goes to the bus, so it is the order of publication across every publisher (intake, worker,
Notify). Nothing downstream keeps that order by itself: EventBridge invokes the `live` Lambda
asynchronously, concurrently and with retries, so events may be recorded and posted in any order;
the log and its readers sort by `sequence`. Numbers only increase; a publication that failed after
taking one leaves a gap.

The job's history (`EVENT#...`) keeps its status changes but not its progress events, nor the
envelopes themselves (their ids and timestamps): hence a log of its own. Envelopes have stable ids
(a retried publication repeats its id), so one item per id: a second recording of the same event is
refused and reported as not new. Items expire with the event archive (resources.EVENT_ARCHIVE_DAYS).
"""

from __future__ import annotations

import json
import time
from typing import Any

from ytcaption import resources
from ytcaption.store import aws, keys

# Where an event falls among those with the same timestamp (milliseconds): a job's own order.
_PHASE = {"transcription.created": 0, "transcription.started": 1, "transcription.progress": 2}


def event_order(event: dict[str, Any]) -> tuple[int, str, int, float]:
    """Sort key of a job's events: by `sequence`; events without one (recorded before there was a
    counter) by time, then created < started < progress (by value) < the rest."""
    data = event.get("data") or {}
    progress = data.get("progress")
    sequence = event.get("sequence")
    return (
        sequence if isinstance(sequence, int) else 0,
        str(event.get("timestamp", "")),
        _PHASE.get(str(event.get("event_type")), 3),
        float(progress) if isinstance(progress, int | float) else 0.0,
    )


def next_sequence(table_name: str, job_id: str, ttl_seconds: int = resources.EVENT_ARCHIVE_DAYS * 86400) -> int:
    """The next number of the job's events (1, 2, ...): one atomic increment of its counter."""
    answer = (
        aws.resource("dynamodb")
        .Table(table_name)
        .update_item(
            Key=keys.event_sequence(job_id),
            UpdateExpression="ADD #n :one SET #ttl = :ttl",
            ExpressionAttributeNames={"#n": "sequence", "#ttl": resources.TABLE_TTL_ATTRIBUTE},
            ExpressionAttributeValues={":one": 1, ":ttl": int(time.time()) + ttl_seconds},
            ReturnValues="UPDATED_NEW",
        )
    )
    return int(answer["Attributes"]["sequence"])


class EventLog:
    def __init__(
        self, table_name: str, ttl_seconds: int = resources.EVENT_ARCHIVE_DAYS * 86400, dynamodb: Any = None
    ) -> None:
        self.table = (dynamodb or aws.resource("dynamodb")).Table(table_name)
        self.ttl_seconds = ttl_seconds

    def record(self, event: dict[str, Any]) -> bool:
        """Keep the envelope; False when this event id was already recorded."""
        job_id = str(event["correlation_id"])
        item = {
            **keys.eventlog(job_id, str(event["event_id"])),
            "kind": "eventlog",
            "at": str(event.get("timestamp", "")),
            "event_type": str(event.get("event_type", "")),
            **({"sequence": event["sequence"]} if isinstance(event.get("sequence"), int) else {}),
            "envelope": json.dumps(event, separators=(",", ":")),
            resources.TABLE_TTL_ATTRIBUTE: int(time.time()) + self.ttl_seconds,
        }
        return aws.conditionally(lambda: self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)"))

    def events(self, job_id: str) -> list[dict[str, Any]]:
        """The job's events in the order they were published (by `sequence`)."""
        items = aws.query_all(
            self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :log)",
            ExpressionAttributeValues={":pk": keys.job_pk(job_id), ":log": keys.EVENTLOG_PREFIX},
            ConsistentRead=True,
        )
        return sorted((json.loads(str(item["envelope"])) for item in items), key=event_order)

    def job_status(self, job_id: str) -> tuple[str, str] | None:
        """(tenant, status) of a job, None when there is no such job."""
        item = self.table.get_item(
            Key=keys.job(job_id),
            ProjectionExpression="tenant, #s",
            ExpressionAttributeNames={"#s": "status"},
            ConsistentRead=True,
        ).get("Item")
        if not item or not item.get("tenant"):
            return None
        return str(item["tenant"]), str(item.get("status", ""))
