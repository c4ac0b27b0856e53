"""How a batch ends: each entry's job counts once when it ends (the Notify step, a cancellation, a
cache hit or a refused entry at expansion); the count that reaches the total ends the batch, and
that one caller announces it (`batch.completed` on the bus, and the batch's webhook)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from ytcaption.batch.summary import ended_counts
from ytcaption.domain.job import iso, utcnow
from ytcaption.finish.events import EVENT_VERSION, publish_quietly
from ytcaption.finish.webhooks import deliver_to_tenant
from ytcaption.settings import Settings
from ytcaption.store.batches import COMPLETED, RUNNING, BatchStore

log = logging.getLogger(__name__)

BATCH_ENDED = "batch.completed"


def job_ended(settings: Settings, job_id: str) -> None:
    """A job ended: if a batch made it, count it (never fails its caller's work)."""
    try:
        batches = BatchStore(settings.table)
        found = batches.job_batch(job_id)
        if found:
            batch_id, index, status = found
            entry_ended(settings, batches, batch_id, index, status)
    except Exception:
        log.exception("batch count for job %s failed", job_id)


def entry_ended(settings: Settings, batches: BatchStore, batch_id: str, index: int, status: str) -> None:
    after = batches.entry_ended(batch_id, index, status)
    if after is not None and after.get("status") == RUNNING and int(after["ended"]) >= int(after["total"]):
        finish(settings, batches, batch_id, COMPLETED)


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
    announce(settings, batches, ended, ended_counts(ended))
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


def announce(settings: Settings, batches: BatchStore, batch: dict[str, Any], summary: dict[str, int]) -> None:
    """The ended batch's event to the bus, then its webhook (one attempt, its outcome kept on the batch)."""
    message = envelope(batch, summary, settings.public_api_url)
    publish_quietly(message)
    url = (batch.get("options") or {}).get("webhook_url")
    if not url:
        return
    delivery = deliver_to_tenant(settings, str(batch["tenant"]), str(url), message)
    batches.record_webhook(str(batch["batch_id"]), delivery.as_dict())
