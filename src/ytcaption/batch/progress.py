"""How a batch ends: each entry's job counts once when it ends (the Notify step, a cancellation, a
cache hit or a refused entry at expansion); the count that reaches the total ends the batch, and
that one caller announces it (`batch.completed` on the bus, and the batch's webhook)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from ytcaption.batch.summary import counts, entry_views
from ytcaption.domain.job import Job, iso, utcnow
from ytcaption.finish.events import EVENT_VERSION, publish_quietly
from ytcaption.finish.webhooks import deliver_to_tenant
from ytcaption.settings import Settings
from ytcaption.store.batches import COMPLETED, RUNNING, BatchStore
from ytcaption.store.jobs import JobStore

log = logging.getLogger(__name__)

BATCH_ENDED = "batch.completed"


def job_ended(settings: Settings, job: Job) -> None:
    """A job ended: if a batch made it, count it (never fails its caller's work). The job as its
    caller read it: it says its batch and entry, nothing is read again."""
    if job.batch_id is None or job.batch_entry is None:
        return
    try:
        entry_ended(settings, BatchStore(settings.table), job.batch_id, job.batch_entry)
    except Exception:
        log.exception("batch count for job %s failed", job.job_id)


def entry_ended(settings: Settings, batches: BatchStore, batch_id: str, index: int) -> None:
    after = batches.entry_ended(batch_id, index)
    if after is not None and after.get("status") == RUNNING and int(after["ended"]) >= int(after["total"]):
        finish(settings, batches, batch_id, COMPLETED)


def maybe_complete(settings: Settings, batches: BatchStore, batch_id: str) -> None:
    """After expansion: a batch whose entries all ended already (cache hits, refusals) ends now."""
    batch = batches.get(batch_id)
    if batch and batch.get("status") == RUNNING and int(batch["ended"]) >= int(batch["total"]):
        finish(settings, batches, batch_id, COMPLETED)


def finish(settings: Settings, batches: BatchStore, batch_id: str, status: str, **error: str) -> bool:
    """End the batch once; whoever ends it announces it. False if it had already ended."""
    if not batches.end(batch_id, status, **error):
        return False
    announce(settings, batches, batch_id)
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


def announce(settings: Settings, batches: BatchStore, batch_id: str) -> None:
    """The ended batch's event to the bus, then its webhook (one attempt, its outcome kept on the batch)."""
    batch = batches.get(batch_id)
    if batch is None:
        return
    summary = counts(entry_views(batches, JobStore(settings.table), batch_id))
    message = envelope(batch, summary, settings.public_api_url)
    publish_quietly(message)
    url = (batch.get("options") or {}).get("webhook_url")
    if not url:
        return
    delivery = deliver_to_tenant(settings, str(batch["tenant"]), str(url), message)
    batches.record_webhook(batch_id, delivery.as_dict())
