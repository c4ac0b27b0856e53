"""Job events: one envelope for every stage, on the event bus and in webhooks.

transcription.created (the job exists), .started (a worker took it), .progress
(every 10 %, with an ETA), then one of .completed, .failed, .cancelled. The
terminal ones are published by the Notify step once per status; the others
best effort (`publish_quietly`): an event bus that is down never fails or
slows a job.

Each published envelope carries `sequence`: the job's events numbered in the
order they were published (store/eventlog.py). Delivery keeps no order (the
bus, webhooks and the live fan-out may deliver late or concurrently):
receivers order a job's events by it.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from ytcaption import resources
from ytcaption.domain.job import Job, JobStatus, iso, utcnow
from ytcaption.settings import get_settings
from ytcaption.store import aws
from ytcaption.store.eventlog import next_sequence
from ytcaption.store.media import RESULT_FORMATS, result_key

EVENT_VERSION = "1.0"
CREATED = "transcription.created"
STARTED = "transcription.started"
PROGRESS = "transcription.progress"

log = logging.getLogger(__name__)

_TYPES = {
    JobStatus.COMPLETED: "transcription.completed",
    JobStatus.FAILED: "transcription.failed",
    JobStatus.CANCELLED: "transcription.cancelled",
}


def envelope(job: Job, causation_id: str | None = None, api_url: str = "") -> dict[str, Any]:
    """A status change; a completed job's names its results (S3 keys) and, where the public API's URL
    is known (YTC_PUBLIC_API_URL), links to them (`GET /v1/transcriptions/{id}/result?format=`)."""
    data: dict[str, Any] = {"job_id": job.job_id, "tenant": job.tenant, "status": job.status.value}
    if job.status == JobStatus.COMPLETED:
        data["results"] = {fmt: result_key(job.job_id, fmt) for fmt in RESULT_FORMATS}
        if api_url:
            base = f"{api_url.rstrip('/')}/v1/transcriptions/{job.job_id}/result?format="
            data["links"] = {fmt: base + fmt for fmt in RESULT_FORMATS}
    if job.error_code:
        data["error"] = {"code": job.error_code, "reason": job.error_reason}
    return {
        # Stable across retries, so receivers can drop duplicates; a redriven job's new end is a new event.
        "event_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"ytcaption:{job.job_id}:{job.status.value}{_attempt(job)}")),
        "event_type": _TYPES.get(job.status, f"transcription.{job.status.value.lower()}"),
        "timestamp": iso(utcnow()),
        "version": EVENT_VERSION,
        "correlation_id": job.job_id,
        "causation_id": causation_id,
        "data": data,
    }


def _attempt(job: Job) -> str:
    """What tells a redriven job's ends from its first run's: nothing for the first run (its ids stay)."""
    return f":r{job.redrives}" if job.redrives else ""


def _stage(event_type: str, identity: str, job_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"ytcaption:{job_id}:{identity}")),
        "event_type": event_type,
        "timestamp": iso(utcnow()),
        "version": EVENT_VERSION,
        "correlation_id": job_id,
        "causation_id": None,
        "data": {"job_id": job_id, **data},
    }


def created_envelope(job_id: str, tenant: str, source: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    """The job exists (PENDING): what it transcribes and with which model and language."""
    described = {k: source[k] for k in ("type", "url", "key") if k in source}
    chosen = {k: options.get(k) for k in ("model", "language", "task") if options.get(k) is not None}
    return _stage(CREATED, "created", job_id, {"tenant": tenant, "status": JobStatus.PENDING.value,
                                               "source": described, "options": chosen})  # fmt: skip


def started_envelope(job_id: str, tenant: str, worker_id: str, attempt: int = 0) -> dict[str, Any]:
    """A worker claimed the job (again, with another id, when another worker takes it over)."""
    return _stage(STARTED, f"started:{attempt}:{worker_id}", job_id,
                  {"tenant": tenant, "status": JobStatus.TRANSCRIBING.value, "worker_id": worker_id})  # fmt: skip


def progress_envelope(
    job_id: str, tenant: str, progress: int, eta_seconds: float | None, webhook: bool = False
) -> dict[str, Any]:
    """`webhook`: the job asked for progress webhooks. The rule that brings progress events to the
    notification path matches on it (resources.progress_webhook_pattern), so no Lambda runs for
    the progress of a job that has no such webhook."""
    return _stage(PROGRESS, f"progress:{progress // 10}", job_id,
                  {"tenant": tenant, "status": JobStatus.TRANSCRIBING.value, "progress": progress,
                   "eta_seconds": eta_seconds, "webhook": webhook})  # fmt: skip


def publish(event: dict[str, Any], bus: str = "default", client: Any = None) -> None:
    """Number the event (once: a republished envelope keeps its `sequence`) and put it on the bus."""
    if not isinstance(event.get("sequence"), int):
        event["sequence"] = next_sequence(get_settings().table, str(event["correlation_id"]))
    response = (client or aws.client("events")).put_events(
        Entries=[
            {
                "Source": resources.EVENT_SOURCE,
                "DetailType": event["event_type"],
                "Detail": json.dumps(event),
                "EventBusName": bus,
            }
        ]
    )
    if response.get("FailedEntryCount"):
        raise RuntimeError(f"event bus refused the event: {response['Entries']}")


def publish_quietly(event: dict[str, Any], bus: str = "default") -> bool:
    """Best effort: False (and a warning) instead of an exception when the bus refuses or is away."""
    try:
        publish(event, bus, aws.brief_client("events"))
    except Exception as exc:
        log.warning("event %s of %s not published: %s", event.get("event_type"), event.get("correlation_id"), exc)
        return False
    return True
