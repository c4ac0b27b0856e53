"""Priorities: one queue per priority; a worker takes high-priority work first."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.support.audio import STORY, espeak
from tests.support.pipeline import submit, wait_job, wait_status
from ytcaption import resources
from ytcaption.domain.job import JobStatus
from ytcaption.store.jobs import JobStore

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def busy_speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About four minutes of speech: keeps a worker busy while other jobs queue up."""
    return espeak(STORY * 8, tmp_path_factory.mktemp("priority") / "busy.wav")


def _first_claim(store: JobStore, job_id: str) -> str:
    return str(store.claims(job_id)[0]["at"])


def test_high_priority_work_runs_before_low_work_queued_earlier(
    runtime: Any, busy_speech: Path, speech_mp3: Path
) -> None:
    store = JobStore(resources.TABLE)
    run = uuid.uuid4().hex[:6]  # tenants of their own: no answer from the result cache
    with runtime.worker():
        busy = submit(busy_speech, tenant=f"prio-{run}-busy", priority="low", beam_size=10)
        wait_status(busy, lambda j: j.status == JobStatus.TRANSCRIBING, timeout=120)
        lows = [submit(speech_mp3, tenant=f"prio-{run}-low{i}", priority="low") for i in range(2)]
        for job_id in lows:
            wait_status(job_id, lambda j: j.status == JobStatus.QUEUED, timeout=60)
        high = submit(speech_mp3, tenant=f"prio-{run}-high", priority="high")
        wait_status(high, lambda j: j.status == JobStatus.QUEUED, timeout=60)
        current = store.get(busy)
        assert current and current.status == JobStatus.TRANSCRIBING, "the busy job ended before the others queued"
        jobs = {job_id: wait_job(job_id, timeout=300) for job_id in [busy, *lows, high]}
    assert all(job.status == JobStatus.COMPLETED for job in jobs.values()), jobs
    order = sorted([*lows, high], key=lambda job_id: _first_claim(store, job_id))
    assert order[0] == high, order
    assert _first_claim(store, busy) < _first_claim(store, high)
