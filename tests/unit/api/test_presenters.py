"""ytcaption.api.presenters: a stored Job as clients and operators see it."""

from __future__ import annotations

from typing import Any

from ytcaption.api.presenters import to_admin_transcription, to_event, to_transcription
from ytcaption.domain.job import Job
from ytcaption.domain.options import JobOptions


def _job(**fields: Any) -> Job:
    item: dict[str, Any] = {
        "job_id": "job-1",
        "tenant": "acme",
        "status": "COMPLETED",
        "progress": 100,
        "source": {"type": "s3", "bucket": "b", "key": "uploads/acme/0123/talk.mp4"},
        "options": JobOptions().model_dump(),
        "created_at": "2026-01-01T00:00:00.000Z",
        **fields,
    }
    return Job.model_validate(item)


def test_presentation_of_an_upload_job() -> None:
    out = to_transcription(_job(media={"duration": 12.5, "codec": "aac"}, language="en"), "/prod")
    assert out.source.type == "upload" and out.source.upload_id == "0123" and out.source.filename == "talk.mp4"
    assert out.media is not None and out.media.duration == 12.5 and out.media.extra == {"codec": "aac"}
    assert out.links.self == "/prod/v1/transcriptions/job-1"
    assert out.links.result is not None and out.links.result.srt.endswith("result?format=srt")
    assert out.options.language == "auto" and out.error is None


def test_presentation_of_a_running_url_job() -> None:
    job = _job(
        status="TRANSCRIBING",
        progress=140,
        source={"type": "url", "url": "https://youtu.be/x"},
        source_meta={"title": "A talk"},
        eta_seconds=12.0,
        options=JobOptions(model="base", language="fr").model_dump(),
    )
    out = to_transcription(job)
    assert out.source.type == "url" and out.source.url == "https://youtu.be/x"
    assert out.progress == 100 and out.eta_seconds == 12.0 and out.links.result is None
    assert out.media is not None and out.media.title == "A talk" and out.media.duration is None
    assert out.options.language == "fr" and out.options.model == "base"
    assert out.links.self == "/v1/transcriptions/job-1" and out.links.events == "/v1/transcriptions/job-1/events"


def test_a_failed_job_shows_its_error_and_operators_see_whose_it_is() -> None:
    job = _job(status="FAILED", error_code="DOWNLOAD_FAILED", error_reason="gone", redrives=2, cache_hit=True)
    out = to_admin_transcription(job, "")
    assert out.error is not None and out.error.code == "DOWNLOAD_FAILED" and out.error.reason == "gone"
    assert out.tenant == "acme" and out.redrives == 2 and out.cache_hit and out.eta_seconds is None


def test_history_items_become_events() -> None:
    status = to_event({"status": "QUEUED", "at": "2026-01-01T00:00:00.000Z"})
    assert status.kind == "status" and status.event_type == "transcription.queued" and status.webhook is None
    redrive = to_event({"status": "PENDING", "at": "t", "kind": "redrive", "execution": "job-1-r1"})
    assert redrive.kind == "redrive" and redrive.event_type == "transcription.pending"
    webhook = to_event(
        {"status": "COMPLETED", "at": "t", "kind": "webhook", "url": "https://h.example.com/x",
         "event_type": "transcription.completed", "outcome": "retry", "status_code": 502}
    )  # fmt: skip
    assert webhook.kind == "webhook" and webhook.event_type == "webhook.retry"
    assert webhook.webhook is not None and webhook.webhook.status_code == 502
