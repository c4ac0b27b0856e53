"""worker.progress: the progress writes run off Whisper's thread, and what they find still stops the work."""

from __future__ import annotations

import threading
from typing import Any

import pytest

moto = pytest.importorskip("moto", reason="the `local` extra (moto) is not installed")


@pytest.fixture
def store(in_process_aws: None) -> Any:
    """The job table on a real DynamoDB API (moto, in-process) behind the project's own client factory."""
    from ytcaption.local import bootstrap
    from ytcaption.settings import get_settings
    from ytcaption.store.jobs import JobStore

    bootstrap.create_table()
    return JobStore(get_settings().table)


def _reporter(store: Any, job_id: str) -> Any:
    from ytcaption.domain.options import JobOptions
    from ytcaption.domain.steps import AudioRef, TranscribeTask
    from ytcaption.settings import get_settings
    from ytcaption.worker.context import WorkerContext
    from ytcaption.worker.events import EventSender
    from ytcaption.worker.lease import Heartbeat
    from ytcaption.worker.progress import ProgressReporter

    unused: Any = None  # what progress never touches: the models, the queue, scale-in protection, audio
    ctx = WorkerContext(
        get_settings(), "worker-1", unused, store, unused, threading.Event(), EventSender(), unused, unused
    )
    task = TranscribeTask(
        job_id=job_id, task_token="token", audio=AudioRef(bucket="b", key="k"), options=JobOptions(model="tiny.en")
    )
    heartbeat = Heartbeat(job_id, renew=lambda: True, hide=lambda: None, lease_seconds=60, deadline_at=None)
    return ProgressReporter(ctx, task, heartbeat, "tenant", started_at=0.0), heartbeat


def _transcribing(store: Any, job_id: str) -> None:
    from ytcaption.domain.job import JobStatus
    from ytcaption.domain.options import JobOptions

    store.create(job_id=job_id, tenant="tenant", source={"type": "url", "url": "https://x/y"}, options=JobOptions())
    store.transition(job_id, JobStatus.DOWNLOADING)
    store.transition(job_id, JobStatus.QUEUED)
    store.claim(job_id, "worker-1", 60)


def test_each_tenth_is_written_and_the_last_write_lands_before_the_reporter_is_left(store: Any) -> None:
    _transcribing(store, "job-1")
    reporter, _ = _reporter(store, "job-1")
    with reporter as progress:
        assert all(progress(f) for f in (0.0, 0.05, 0.31, 0.32, 0.5))
    job = store.get("job-1")
    assert (job.status.value, job.progress) == ("TRANSCRIBING", 50)


def test_a_job_that_left_transcribing_stops_the_work_at_the_next_callback(store: Any) -> None:
    from ytcaption.domain.job import JobStatus

    _transcribing(store, "job-2")
    store.transition("job-2", JobStatus.CANCELLED, error={"code": "CANCELLED", "message": "cancelled"})
    reporter, heartbeat = _reporter(store, "job-2")
    with reporter as progress:
        assert progress(0.1)  # handed over: Whisper does not wait for the write
        reporter.wait()
        assert heartbeat.lost.is_set()
        assert not progress(0.15)


def test_a_write_that_raised_raises_in_the_work(store: Any) -> None:
    from ytcaption.store import aws

    _transcribing(store, "job-3")
    reporter, _ = _reporter(store, "job-3")
    store.table.delete()  # the store refuses every write from now on
    with reporter as progress:
        assert progress(0.2)
        reporter.wait()
        with pytest.raises(Exception) as raised:
            progress(0.25)
    assert aws.error_code(raised.value) == "ResourceNotFoundException"


def test_a_write_that_raised_after_the_last_callback_raises_on_leaving(store: Any) -> None:
    from ytcaption.store import aws

    _transcribing(store, "job-4")
    reporter, _ = _reporter(store, "job-4")
    store.table.delete()
    with pytest.raises(Exception) as raised, reporter as progress:
        assert progress(1.0)  # Whisper's last callback: nothing comes after it to raise in
    assert aws.error_code(raised.value) == "ResourceNotFoundException"
