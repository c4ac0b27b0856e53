"""How a job looks to clients: a store Job becomes a Transcription (with its links),
an AdminTranscription for operators, and its history items become JobEvents."""

from __future__ import annotations

from typing import Any

from ytcaption.api.schemas import (
    AdminTranscription,
    EmailDelivery,
    ErrorOut,
    JobEvent,
    Links,
    MediaOut,
    OptionsOut,
    ResultLinks,
    SourceOut,
    Transcription,
    WebhookDelivery,
)
from ytcaption.domain.job import Job, JobStatus, normalized
from ytcaption.store.media import RESULT_FORMATS, upload_id_of_key


def to_event(item: dict[str, Any]) -> JobEvent:
    """One history item: a status reached, a webhook attempt, or a redrive."""
    kind = item.get("kind", "status")
    if kind == "webhook":
        delivery = WebhookDelivery.model_validate(item)
        return JobEvent(kind="webhook", event_type=f"webhook.{delivery.outcome}", status=item["status"],
                        at=normalized(item["at"]), webhook=delivery)  # fmt: skip
    if kind == "email":
        email = EmailDelivery.model_validate(item)
        return JobEvent(kind="email", event_type=f"email.{email.outcome}", status=item["status"],
                        at=normalized(item["at"]), email=email)  # fmt: skip
    event_type = f"transcription.{item['status'].lower()}"
    return JobEvent(kind=kind, event_type=event_type, status=item["status"], at=normalized(item["at"]))


def lane_of(job: Job) -> Any:
    """Which lane transcribed the job, as its result's metrics record it (None before, or for captions)."""
    lane = ((job.result or {}).get("metrics") or {}).get("lane")
    return lane if lane in ("fast", "gpu", "mixed") else None


def to_transcription(job: Job, base: str = "") -> Transcription:
    source = job.source
    if source.get("type") == "url":
        source_out = SourceOut(type="url", url=source.get("url"))
    else:
        key = str(source.get("key", ""))
        source_out = SourceOut(type="upload", upload_id=upload_id_of_key(key), filename=key.rsplit("/", 1)[-1] or None)
    media = None
    if job.media or job.source_meta:
        facts = {**(job.source_meta or {}), **(job.media or {})}
        duration = facts.pop("duration", None)
        title = (job.source_meta or {}).get("title") or facts.get("title")
        facts.pop("title", None)
        media = MediaOut(title=title, duration=float(duration) if duration is not None else None, extra=facts)
    opts = job.options
    self_link = f"{base}/v1/transcriptions/{job.job_id}"
    results = None
    if job.status == JobStatus.COMPLETED:
        results = ResultLinks(**{fmt: f"{self_link}/result?format={fmt}" for fmt in RESULT_FORMATS})
    return Transcription(
        id=job.job_id,
        status=job.status.value,
        progress=max(0, min(100, int(job.progress))),
        created_at=normalized(job.created_at),
        updated_at=normalized(job.updated_at),
        started_at=normalized(job.started_at),
        finished_at=normalized(job.finished_at),
        eta_seconds=job.eta_seconds if not job.status.terminal else None,
        source=source_out,
        media=media,
        options=OptionsOut(
            **{**opts.model_dump(include=set(OptionsOut.model_fields)), "language": opts.language or "auto"}
        ),
        language=job.language,
        error=ErrorOut(code=job.error_code, reason=job.error_reason or "") if job.error_code else None,
        cache_hit=job.cache_hit,
        cached_from=job.cached_from,
        lane=lane_of(job),
        links=Links(self=self_link, events=f"{self_link}/events", result=results),
    )


def to_admin_transcription(job: Job, base: str = "") -> AdminTranscription:
    """The transcription plus what operators need: its tenant and redrive count."""
    return AdminTranscription(**dict(to_transcription(job, base)), tenant=job.tenant, redrives=job.redrives)
