"""Scale from zero: a job may wait in the queue longer than the worker liveness
timeout (YTC_HEARTBEAT_SECONDS) and still completes once a worker comes.

The Transcribe task has no heartbeat clock of its own: the short liveness check
is the worker's lease, which starts only when a worker takes the job."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_SETTINGS
from tests.support.pipeline import (
    execution_arn,
    history_statuses,
    receive_task,
    submit,
    wait_execution,
    wait_job,
    wait_status,
)
from ytcaption import resources
from ytcaption.domain.job import JobStatus
from ytcaption.store import aws
from ytcaption.store.jobs import JobStore

pytestmark = pytest.mark.integration

HEARTBEAT = int(TEST_SETTINGS["YTC_HEARTBEAT_SECONDS"])


def _wait_in_queue(job_ids: list[str]) -> None:
    """Every job QUEUED, then longer than three heartbeat intervals with no worker."""
    for job_id in job_ids:
        wait_status(job_id, lambda j: j.status == JobStatus.QUEUED, timeout=60)
    time.sleep(3 * HEARTBEAT + 2)
    sfn = aws.client("stepfunctions")
    store = JobStore(resources.TABLE)
    for job_id in job_ids:
        job = store.get(job_id)
        assert job is not None and job.status == JobStatus.QUEUED, job
        assert job.deadline_at is None, "the job's time limit starts when a worker takes it"
        execution = sfn.describe_execution(executionArn=execution_arn(job_id))
        assert execution["status"] == "RUNNING"


def _assert_completed_by_one_worker(job_id: str, pid: int) -> None:
    job = wait_job(job_id, timeout=90)
    assert job.status == JobStatus.COMPLETED, job.error_reason
    assert wait_execution(job_id)["status"] == "SUCCEEDED"
    assert history_statuses(job_id) == ["PENDING", "DOWNLOADING", "QUEUED", "TRANSCRIBING", "COMPLETED"]
    claims = JobStore(resources.TABLE).claims(job_id)
    assert len(claims) == 1 and claims[0]["how"] == "queued", claims
    assert claims[0]["worker"].rsplit("-", 2)[1] == str(pid)
    assert job.deadline_at is not None and job.started_at


def test_a_job_waits_for_a_worker_longer_than_the_heartbeat_then_completes(runtime: Any, speech_mp3: Path) -> None:
    job_id = submit(speech_mp3)
    _wait_in_queue([job_id])

    with runtime.worker() as worker:
        _assert_completed_by_one_worker(job_id, worker.pid)


def test_more_queued_jobs_than_workers_all_complete(runtime: Any, speech_mp3: Path) -> None:
    job_ids = [submit(speech_mp3) for _ in range(3)]
    _wait_in_queue(job_ids)

    with runtime.worker() as worker:
        for job_id in job_ids:
            _assert_completed_by_one_worker(job_id, worker.pid)


def test_a_job_cancelled_while_queued_ends_its_execution_when_a_worker_comes(runtime: Any, speech_mp3: Path) -> None:
    """No heartbeat ends the waiting task any more: the worker that receives the cancelled
    job's message answers it with the Cancelled error (the emulator's StopExecution does not
    abort a callback wait; in AWS the answer is refused and ignored)."""
    from ytcaption.operations import cancel_job
    from ytcaption.settings import get_settings

    job_id = submit(speech_mp3)
    # QUEUED is written by the fetch step, before PickLane; the task is on the queue only once the
    # Transcribe state has sent it: cancelling earlier stops the execution before any message exists.
    task = receive_task(job_id, timeout=60)
    aws.client("sqs").change_message_visibility(
        QueueUrl=aws.queue_url(resources.QUEUE), ReceiptHandle=task["receipt"], VisibilityTimeout=0
    )
    store = JobStore(resources.TABLE)
    cancel_job(store, get_settings(), job_id, "Cancelled by the test.")

    with runtime.worker() as worker:
        execution = wait_execution(job_id, timeout=60)
    assert execution["status"] in {"ABORTED", "FAILED"}
    log = runtime.log_paths[worker.pid].read_text()
    assert any("the job has ended; dropping its task" in line and job_id in line for line in log.splitlines())
    job = store.get(job_id)
    assert job is not None and job.status == JobStatus.CANCELLED
    assert store.claims(job_id) == [], "nobody transcribed a cancelled job"
    listed = aws.client("s3").list_objects_v2(Bucket=resources.BUCKET, Prefix=f"results/{job_id}/")
    assert listed["KeyCount"] == 0
