"""Stage events: one envelope, stable ids, and publishing that never fails a job."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from ytcaption import resources
from ytcaption.finish import events
from ytcaption.store import aws

KEYS = {"event_id", "event_type", "timestamp", "version", "correlation_id", "causation_id", "data"}


def test_every_stage_has_the_same_envelope_and_stable_ids() -> None:
    created = events.created_envelope("j1", "t", {"type": "s3", "bucket": "b", "key": "k"}, {"model": "base"})
    started = events.started_envelope("j1", "t", "w1")
    progress = events.progress_envelope("j1", "t", 40, 12.5)
    for event in (created, started, progress):
        assert set(event) == KEYS and event["correlation_id"] == "j1" and event["data"]["job_id"] == "j1"
    assert created["data"]["source"] == {"type": "s3", "key": "k"}, "no bucket names leave the system"
    assert created["event_id"] == events.created_envelope("j1", "t", {}, {})["event_id"]
    assert started["event_id"] != events.started_envelope("j1", "t", "w2")["event_id"], "a takeover is a new start"
    assert progress["data"]["eta_seconds"] == 12.5 and progress["event_type"] == "transcription.progress"


def test_the_progress_webhook_rule_matches_progress_events_only() -> None:
    """The notification path's rule names the worker's progress event type (resources cannot import it)."""
    from ytcaption import resources

    assert resources.PROGRESS_EVENT_TYPE == events.PROGRESS
    assert resources.progress_webhook_pattern()["detail-type"] == [events.PROGRESS]


def test_publishing_quietly_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    class Down:
        def put_events(self, **_kwargs: Any) -> Any:
            raise ConnectionError("the bus is away")

    class Refusing:
        def put_events(self, **_kwargs: Any) -> Any:
            return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure"}]}

    for client in (Down(), Refusing()):
        monkeypatch.setattr(aws, "brief_client", lambda _service, c=client: c)
        assert events.publish_quietly(events.started_envelope("j1", "t", "w1")) is False


def test_a_completed_job_names_its_results_and_links_to_them_where_the_api_is_known() -> None:
    from ytcaption.domain.job import Job

    source = {"type": "url", "url": "https://v/1"}
    job = Job.model_validate(
        {"job_id": "j1", "tenant": "t", "status": "COMPLETED", "options": {}, "created_at": "2026-01-01T00:00:00Z",
         "source": source}
    )  # fmt: skip
    plain = events.envelope(job)
    assert plain["data"]["results"]["srt"] == "results/j1/transcript.srt" and "links" not in plain["data"]
    linked = events.envelope(job, api_url="https://api.example.com/api/")
    assert linked["data"]["links"]["vtt"] == "https://api.example.com/api/v1/transcriptions/j1/result?format=vtt"
    assert set(linked["data"]["links"]) == set(linked["data"]["results"])
    assert linked["event_id"] == plain["event_id"]


def test_the_progress_webhook_rule_matches_only_jobs_with_a_progress_webhook() -> None:
    """The local runtime matches rules with moto's own matcher (local.event_sources.patch_rules); the CDK
    rule has the same pattern (tests/cdk/test_drift.py)."""
    from moto.events.models import EventPattern

    pattern = resources.progress_webhook_pattern()
    matcher = EventPattern(None, pattern)

    def bus_event(envelope: dict[str, Any]) -> dict[str, Any]:
        return {"source": resources.EVENT_SOURCE, "detail-type": envelope["event_type"], "detail": envelope}

    assert matcher.matches_event(bus_event(events.progress_envelope("j", "t", 40, 3.0, webhook=True)))
    assert not matcher.matches_event(bus_event(events.progress_envelope("j", "t", 40, 3.0)))
    assert not matcher.matches_event(bus_event(events.progress_envelope("j", "t", 40, 3.0, webhook=False)))


def test_a_redriven_jobs_end_is_a_new_event_and_a_first_runs_id_is_unchanged() -> None:
    from ytcaption.domain.job import Job

    base = {"job_id": "j1", "tenant": "t", "status": "FAILED", "options": {}, "created_at": "2026-01-01T00:00:00Z",
            "source": {"type": "url", "url": "https://v/1"}}  # fmt: skip
    first, again = Job.model_validate(base), Job.model_validate({**base, "redrives": 1})
    ids = {events.envelope(first)["event_id"], events.envelope(again)["event_id"]}
    assert len(ids) == 2, "the second run's end is not taken for a repeat of the first's"
    # Ids stay what they were for jobs never redriven (receivers may hold them).
    assert events.envelope(first)["event_id"] == str(uuid.uuid5(uuid.NAMESPACE_URL, "ytcaption:j1:FAILED"))
