"""How a batch ends: each entry's job counts once when it ends (the Notify step, a cancellation, a
cache hit or a refused entry at expansion); the count that reaches the total ends the batch, and
that one caller announces it (`batch.completed` on the bus, and the batch's webhook)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from ytcaption.batch import webhook
from ytcaption.batch.summary import ended_counts
from ytcaption.domain.job import Job, iso, utcnow
from ytcaption.finish.events import EVENT_VERSION, publish_quietly
from ytcaption.finish.webhooks import Delivery, retry_delays
from ytcaption.settings import Settings
from ytcaption.store.batches import COMPLETED, ENDED, RUNNING, BatchStore

log = logging.getLogger(__name__)

BATCH_ENDED = "batch.completed"
RECONCILER = "reconcile"  # who ended a batch the reconciler ended, or whose webhook it took over


@dataclass(frozen=True)
class Ending:
    """A batch this caller ended, and the first attempt of its webhook (None: nothing was sent)."""

    batch: dict[str, Any]
    delivery: Delivery | None

    @property
    def retry(self) -> bool:
        return self.delivery is not None and self.delivery.outcome == "retry"


def job_ended(settings: Settings, job: Job) -> bool:
    """A job ended: if a batch made it, count it (never fails its caller's work). The job as its
    caller read it: it says its batch and entry, nothing is read again. True when the batch's
    webhook asks for another attempt: the caller, the Notify step, raises WebhookRetryable, and the
    state machine retries the step as it does for a job's own webhook (batch.webhook)."""
    if job.batch_id is None or job.batch_entry is None:
        return False
    by = str(job.batch_entry)
    try:
        batches = BatchStore(settings.table)
        counted = entry_ended(settings, batches, job.batch_id, job.batch_entry, job.status.value, by)
        if counted is None:  # counted by an earlier run of this step: a retry, of the webhook if this entry ended it
            return retry_webhook(settings, batches, job.batch_id, by)
        return counted is not False and counted.retry
    except Exception:
        log.exception("batch count for job %s failed", job.job_id)
        return False


def cancelled_entry_webhook(settings: Settings, job: Job) -> None:
    """A cancelled job's count ended its batch and the batch's webhook asks for a retry: its execution is
    stopped, no Notify step runs again, so the retries are the batch reconciler's (batch.reconcile)."""
    if job.batch_id is not None and job.batch_entry is not None:
        BatchStore(settings.table).hand_webhook_over(job.batch_id, str(job.batch_entry), RECONCILER)


def entry_ended(
    settings: Settings, batches: BatchStore, batch_id: str, index: int, status: str, by: str
) -> Ending | Literal[False] | None:
    """Count the entry's end: None if it was counted before, the Ending if this count ended the batch
    (`by` recorded as who ended it), else False."""
    after = batches.entry_ended(batch_id, index, status)
    if after is None:
        return None
    if after.get("status") == RUNNING and int(after["ended"]) >= int(after["total"]):
        return finish(settings, batches, batch_id, COMPLETED, by) or False
    return False


def maybe_complete(settings: Settings, batches: BatchStore, batch_id: str, by: str) -> Ending | None:
    """After expansion: a batch whose entries all ended already (cache hits, refusals) ends now."""
    batch = batches.get(batch_id)
    if batch and batch.get("status") == RUNNING and int(batch["ended"]) >= int(batch["total"]):
        return finish(settings, batches, batch_id, COMPLETED, by)
    return None


def finish(settings: Settings, batches: BatchStore, batch_id: str, status: str, by: str, **error: str) -> Ending | None:
    """End the batch once; whoever ends it announces it (its summary from the batch's own counters:
    every entry has been counted by then). None if it had already ended."""
    ended = batches.end(batch_id, status, by=by, **error)
    if ended is None:
        return None
    return Ending(ended, announce(settings, batches, ended))


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
) -> Delivery | None:
    """The ended batch's event to the bus, then the first attempt of its webhook (batch.webhook); the
    summary from the batch's own counters unless the caller counted its entries itself (a cancel)."""
    message = _message(settings, batch, summary)
    publish_quietly(message)
    return webhook.attempt(settings, batches, batch, message)


def retry_webhook(settings: Settings, batches: BatchStore, batch_id: str, by: str) -> bool:
    """One more attempt of an ended batch's webhook whose last attempt asked for one, made only by the
    caller that ended the batch (`by`); True if it asks again."""
    batch = batches.get(batch_id)
    if batch is None or batch.get("status") not in ENDED or batch.get("ended_by") != by:
        return False
    if not webhook.pending(batch):
        return False
    delivery = webhook.attempt(settings, batches, batch, _message(settings, batch))
    return delivery is not None and delivery.outcome == "retry"


def retry_webhook_here(
    settings: Settings, batches: BatchStore, batch_id: str, by: str, remaining: Callable[[], float]
) -> bool:
    """The retries of the webhook of a batch ExpandBatch ended: the state machine's backoff, in-process,
    each only while `remaining()` seconds leave room for the wait and a whole attempt before the Lambda's
    time runs out. False if it stopped for time with an attempt still asked for (the reconciler's)."""
    for delay in retry_delays():
        if remaining() < delay + settings.webhook_timeout_seconds + 5:
            return False
        time.sleep(delay)
        if not retry_webhook(settings, batches, batch_id, by):
            return True
    return True
