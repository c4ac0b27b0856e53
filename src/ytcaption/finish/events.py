"""Job events: one envelope for the event bus (and, later, webhooks)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from ytcaption import resources
from ytcaption.domain.job import Job, JobStatus, iso, utcnow
from ytcaption.store import aws
from ytcaption.store.media import RESULT_FORMATS, result_key

EVENT_VERSION = "1.0"

_TYPES = {
    JobStatus.COMPLETED: "transcription.completed",
    JobStatus.FAILED: "transcription.failed",
    JobStatus.CANCELLED: "transcription.cancelled",
}


def envelope(job: Job, causation_id: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"job_id": job.job_id, "tenant": job.tenant, "status": job.status.value}
    if job.status == JobStatus.COMPLETED:
        data["results"] = {fmt: result_key(job.job_id, fmt) for fmt in RESULT_FORMATS}
    if job.error_code:
        data["error"] = {"code": job.error_code, "reason": job.error_reason}
    return {
        # Stable across retries, so receivers can drop duplicates.
        "event_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"ytcaption:{job.job_id}:{job.status.value}")),
        "event_type": _TYPES.get(job.status, f"transcription.{job.status.value.lower()}"),
        "timestamp": iso(utcnow()),
        "version": EVENT_VERSION,
        "correlation_id": job.job_id,
        "causation_id": causation_id,
        "data": data,
    }


def progress_envelope(job_id: str, tenant: str, progress: int, eta_seconds: float | None) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"ytcaption:{job_id}:progress:{progress // 10}")),
        "event_type": "transcription.progress",
        "timestamp": iso(utcnow()),
        "version": EVENT_VERSION,
        "correlation_id": job_id,
        "causation_id": None,
        "data": {"job_id": job_id, "tenant": tenant, "status": JobStatus.TRANSCRIBING.value, "progress": progress,
                 "eta_seconds": eta_seconds},
    }  # fmt: skip


def publish(event: dict[str, Any], bus: str = "default") -> None:
    response = aws.client("events").put_events(
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
