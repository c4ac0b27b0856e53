"""How a batch ends: each entry's job counts once when it ends (the Notify step, a cancellation, a
cache hit or a refused entry at expansion); the count that reaches the total ends the batch, and
that one caller announces it (`batch.completed` on the bus, and the batch's webhook)."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from ytcaption.batch import webhook
from ytcaption.batch.summary import ended_counts
from ytcaption.domain.job import Job, iso, utcnow
from ytcaption.finish.events import EVENT_VERSION, publish_quietly
from ytcaption.finish.webhooks import retry_delays
from ytcaption.settings import Settings
from ytcaption.store.batches import COMPLETED, ENDED, RUNNING, BatchStore

log = logging.getLogger(__name__)

BATCH_ENDED = "batch.completed"


def job_ended(settings: Settings, job: Job) -> bool:
    """A job ended: if a batch made it, count it (never fails its caller's work). The job as its
    caller read it: it says its batch and entry, nothing is read again. True when the batch's
    webhook asks for another attempt: the caller, the Notify step, raises WebhookRetryable, and the
    state machine retries the step as it does for a job's own webhook (batch.webhook)."""
    if job.batch_id is None or job.batch_entry is None:
        return False
    try:
        batches = BatchStore(settings.table)
        ended = entry_ended(settings, batches, job.batch_id, job.batch_entry, job.status.value)
        if ended is None:  # counted by an earlier run of this step: a retry, perhaps of the batch's webhook
            return retry_webhook(settings, batches, job.batch_id)
        return ended and _webhook_pending(batches, job.batch_id)
    except Exception:
        log.exception("batch count for job %s failed", job.job_id)
        return False


def entry_ended(settings: Settings, batches: BatchStore, batch_id: str, index: int, status: str) -> bool | None:
    """Count the entry's end: None if it was counted before, else whether this count ended the batch."""
    after = batches.entry_ended(batch_id, index, status)
    if after is None:
        return None
    if after.get("status") == RUNNING and int(after["ended"]) >= int(after["total"]):
        return finish(settings, batches, batch_id, COMPLETED)
    return False


def maybe_complete(settings: Settings, batches: BatchStore, batch_id: str) -> None:
    """After expansion: a batch whose entries all ended already (cache hits, refusals) ends now."""
    batch = batches.get(batch_id)
    if batch and batch.get("status") == RUNNING and int(batch["ended"]) >= int(batch["total"]):
        finish(settings, batches, batch_id, COMPLETED)


def finish(settings: Settings, batches: BatchStore, batch_id: str, status: str, **error: str) -> bool:
    """End the batch once; whoever ends it announces it (its summary from the batch's own counters:
    every entry has been counted by then). False if it had already ended."""
    ended = batches.end(batch_id, status, **error)
    if ended is None:
        return False
    announce(settings, batches, ended)
    return True


def envelope(batch: dict[str, Any], summary: dict[str, int], api_url: str = "") -> dict[str, Any]:
    data: dict[str, Any] = {
        "batch_id": batch["batch_id"],
        "tenant": batch["tenant"],
        "status": batch["status"],
        "url": batch.get("url"),
        "total": int(batch.get("total") or 0),
        "counts": summary,
    }
    if batch.get("error_code"):
        data["error"] = {"code": batch["error_code"], "reason": batch.get("error_reason")}
    if api_url:
        data["links"] = {"self": f"{api_url.rstrip('/')}/v1/batches/{batch['batch_id']}"}
    return {
        "event_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"ytcaption:{batch['batch_id']}:batch-ended")),
        "event_type": BATCH_ENDED,
        "timestamp": iso(utcnow()),
        "version": EVENT_VERSION,
        "correlation_id": batch["batch_id"],
        "causation_id": None,
        "data": data,
    }


def _message(settings: Settings, batch: dict[str, Any], summary: dict[str, int] | None = None) -> dict[str, Any]:
    return envelope(batch, ended_counts(batch) if summary is None else summary, settings.public_api_url)


def announce(
    settings: Settings, batches: BatchStore, batch: dict[str, Any], summary: dict[str, int] | None = None
) -> None:
    """The ended batch's event to the bus, then the first attempt of its webhook (batch.webhook); the
    summary from the batch's own counters unless the caller counted its entries itself (a cancel)."""
    message = _message(settings, batch, summary)
    publish_quietly(message)
    webhook.attempt(settings, batches, batch, message)


def _ended_batch(batches: BatchStore, batch_id: str) -> dict[str, Any] | None:
    batch = batches.get(batch_id)
    return batch if batch is not None and batch.get("status") in ENDED else None


def _webhook_pending(batches: BatchStore, batch_id: str) -> bool:
    batch = _ended_batch(batches, batch_id)
    return batch is not None and webhook.pending(batches, batch)


def retry_webhook(settings: Settings, batches: BatchStore, batch_id: str) -> bool:
    """One more attempt of an ended batch's webhook whose last attempt asked for one; True if it asks again."""
    batch = _ended_batch(batches, batch_id)
    if batch is None or not webhook.pending(batches, batch):
        return False
    delivery = webhook.attempt(settings, batches, batch, _message(settings, batch))
    return delivery is not None and delivery.outcome == "retry"


def retry_webhook_here(settings: Settings, batches: BatchStore, batch_id: str) -> None:
    """ExpandBatch's retries of the webhook of a batch it ended: the state machine's backoff, in-process."""
    if not _webhook_pending(batches, batch_id):
        return
    for delay in retry_delays():
        time.sleep(delay)
        if not retry_webhook(settings, batches, batch_id):
            return
