"""Executions that end outside the state machine's own failure path end their jobs too."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.support.pipeline import BusObserver, execution_arn, submit, wait_job, wait_status
from ytcaption import resources
from ytcaption.domain.job import JobOptions, JobStatus
from ytcaption.finish.stopped import reconcile_execution
from ytcaption.settings import get_settings
from ytcaption.store import aws
from ytcaption.store.jobs import JobStore

pytestmark = pytest.mark.integration


def test_stop_in_the_console_cancels_the_job_and_its_worker_drops_it(
    runtime: Any, worker: Any, long_speech_wav: Path
) -> None:
    with BusObserver("ytcaption-test-execution-ends") as bus:
        job_id = submit(long_speech_wav, tenant="console")
        wait_status(job_id, lambda j: j.status == JobStatus.TRANSCRIBING and j.progress >= 10, timeout=120)
        # What the console's Stop button calls: the job itself is not touched.
        aws.client("stepfunctions").stop_execution(
            executionArn=execution_arn(job_id), error="Operator", cause="pressed Stop"
        )
        job = wait_job(job_id, timeout=60)
        assert job.status == JobStatus.CANCELLED, (job.status, job.error_reason)
        assert job.error_code == "CANCELLED"
        assert job.error_reason and "stopped outside YTCaption" in job.error_reason
        log = runtime.log_paths[worker.pid]
        deadline = time.monotonic() + 30
        while "abandoning the job" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.3)
        assert "abandoning the job" in log.read_text(), "the worker noticed and stopped"
        ended = bus.details(job_id, until=lambda d: any(e["event_type"] == "transcription.cancelled" for e in d))
    results = aws.client("s3").list_objects_v2(Bucket=resources.BUCKET, Prefix=f"results/{job_id}/")
    assert results["KeyCount"] == 0, "no transcript for a stopped job"
    cancelled = [e for e in ended if e["event_type"] == "transcription.cancelled"]
    assert len(cancelled) == 1 and cancelled[0]["data"]["error"]["code"] == "CANCELLED"
    assert JobStore(resources.TABLE).get(job_id).status == JobStatus.CANCELLED  # type: ignore[union-attr]


def _job(store: JobStore, status: JobStatus = JobStatus.QUEUED, **extra: Any) -> str:
    job_id = f"ends-{uuid.uuid4().hex[:10]}"
    store.create(job_id=job_id, tenant="ends", source={"type": "url", "url": "https://x"}, options=JobOptions(),
                 **extra)  # fmt: skip
    if status != JobStatus.PENDING:
        store.transition(job_id, status)
    return job_id


def _detail(job_id: str, status: str, name: str | None = None, **more: Any) -> dict[str, Any]:
    return {"name": name or job_id, "status": status, "input": f'{{"job_id": "{job_id}"}}', **more}


def test_each_abnormal_end_has_its_outcome(runtime: object) -> None:
    store, settings = JobStore(resources.TABLE), get_settings()
    timed_out = _job(store)
    answer = reconcile_execution(_detail(timed_out, "TIMED_OUT"), settings, store)
    assert answer["outcome"] == "reconciled"
    job = store.get(timed_out)
    assert job and job.status == JobStatus.FAILED and job.error_code == "TIMEOUT"

    failed = _job(store)
    reconcile_execution(_detail(failed, "FAILED", error="States.Runtime", cause="boom"), settings, store)
    job = store.get(failed)
    assert job and job.status == JobStatus.FAILED and job.error_code == "INTERNAL_ERROR"
    assert job.error_reason and "States.Runtime: boom" in job.error_reason


def test_jobs_that_ended_on_their_own_path_or_moved_on_are_left_alone(runtime: object) -> None:
    store, settings = JobStore(resources.TABLE), get_settings()
    ended = _job(store)
    store.fail(ended, "EMPTY_MEDIA", "nothing to hear")
    assert reconcile_execution(_detail(ended, "FAILED"), settings, store)["outcome"] == "already-ended"
    assert store.get(ended).error_code == "EMPTY_MEDIA"  # type: ignore[union-attr]

    redriven = _job(store, execution_name="x-r1")
    answer = reconcile_execution(_detail(redriven, "ABORTED", name=redriven), settings, store)
    assert answer["outcome"] == "stale-execution", "an earlier run of a redriven job"
    assert store.get(redriven).status == JobStatus.QUEUED  # type: ignore[union-attr]
    assert reconcile_execution(_detail(redriven, "SUCCEEDED"), settings, store)["outcome"] == "ignored"
