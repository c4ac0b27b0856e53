"""Every stage of a job on the event bus, in order, with the same envelope."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.pipeline import BusObserver, submit, wait_execution, wait_job
from ytcaption.domain.job import JobStatus

pytestmark = pytest.mark.integration

ENVELOPE = {"event_id", "event_type", "timestamp", "version", "correlation_id", "causation_id", "data", "sequence"}


def _ended(details: list[dict[str, Any]]) -> bool:
    return any(d["event_type"] == "transcription.completed" for d in details)


def test_bus_rule_receives_created_started_progress_completed_in_order(
    runtime: object, worker: object, long_speech_wav: Path
) -> None:
    with BusObserver("ytcaption-test-stages") as bus:
        job_id = submit(long_speech_wav, tenant="stages")
        assert wait_job(job_id, timeout=180).status == JobStatus.COMPLETED
        assert wait_execution(job_id)["status"] == "SUCCEEDED"
        details = bus.details(job_id, until=_ended)
    kinds = [d["event_type"] for d in details]
    progress = [d["data"]["progress"] for d in details if d["event_type"] == "transcription.progress"]
    assert kinds[:2] == ["transcription.created", "transcription.started"], kinds
    assert kinds[2:] == ["transcription.progress"] * len(progress) + ["transcription.completed"], kinds
    assert len(progress) >= 3 and progress == sorted(set(progress)), progress
    assert all(p % 10 == 0 and 10 <= p <= 90 for p in progress)
    assert all(set(d) == ENVELOPE and d["correlation_id"] == job_id and d["version"] == "1.0" for d in details)
    assert all(d["data"]["job_id"] == job_id and d["data"]["tenant"] == "stages" for d in details)
    assert len({d["event_id"] for d in details}) == len(details)
    # Numbered by the job's counter in the order they were published (the first one is 1).
    sequence = [d["sequence"] for d in details]
    assert sequence[0] == 1 and sequence == sorted(set(sequence)), sequence
    eta = [d["data"]["eta_seconds"] for d in details if d["event_type"] == "transcription.progress"]
    assert all(isinstance(e, int | float) and e >= 0 for e in eta), eta
    created = details[0]["data"]
    assert created["status"] == "PENDING" and created["source"]["type"] == "s3"
    assert details[1]["data"]["status"] == "TRANSCRIBING" and details[1]["data"]["worker_id"]
