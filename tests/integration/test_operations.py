"""Operator controls against the emulator: redrive, dead letters, cancel, stats."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.support.pipeline import fail_as_a_faulty_worker, history_statuses, submit, wait_job, wait_status
from ytcaption import operations, resources
from ytcaption.domain.errors import InvalidTransition
from ytcaption.domain.job import JobStatus
from ytcaption.intake.launch import execution_arn
from ytcaption.settings import get_settings
from ytcaption.store import aws
from ytcaption.store.jobs import JobStore

pytestmark = pytest.mark.integration


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ytcaption.cli", *args],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_failed_job_completes_after_redrive(runtime: Any, speech_mp3: Path) -> None:
    store, settings = JobStore(resources.TABLE), get_settings()
    job_id = submit(speech_mp3)
    fail_as_a_faulty_worker(job_id)  # an injected transient fault

    name = operations.redrive_job(store, settings, job_id)
    assert name == f"{job_id}-r1"
    with pytest.raises(InvalidTransition):
        operations.redrive_job(store, settings, job_id)  # no longer FAILED
    with runtime.worker():
        job = wait_status(job_id, lambda j: j.status.terminal, timeout=120)
    assert job.status == JobStatus.COMPLETED, job.error_reason
    assert job.error_code is None and job.redrives == 1
    execution = aws.client("stepfunctions").describe_execution(executionArn=execution_arn(name, settings))
    assert execution["status"] in {"RUNNING", "SUCCEEDED"}
    statuses = history_statuses(job_id)
    assert statuses[:5] == ["PENDING", "DOWNLOADING", "QUEUED", "TRANSCRIBING", "FAILED"]
    assert statuses[5:] == ["TRANSCRIBING", "COMPLETED"], "the second attempt resumed at the transcription"
    (redrive,) = [item for item in store.history(job_id) if item.get("kind") == "redrive"]
    assert redrive["status"] == "QUEUED" and redrive["execution"] == name


def test_dead_letters_go_back_to_the_queue(runtime: Any) -> None:
    sqs = aws.client("sqs")
    marker = {"dead_letter_test": uuid.uuid4().hex}
    sqs.send_message(QueueUrl=aws.queue_url(resources.DLQ), MessageBody=json.dumps(marker))
    result = _cli("admin", "redrive-dlq")
    assert result.returncode == 0, result.stderr
    moved = int(result.stdout.split()[0])
    assert moved >= 1 and "message(s) moved back" in result.stdout  # other tests may have left dead letters too
    found = []
    for _ in range(5):
        for message in sqs.receive_message(
            QueueUrl=aws.queue_url(resources.QUEUE), MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", []):
            if json.loads(message["Body"]) == marker:
                found.append(message)
                sqs.delete_message(QueueUrl=aws.queue_url(resources.QUEUE), ReceiptHandle=message["ReceiptHandle"])
            else:
                sqs.change_message_visibility(
                    QueueUrl=aws.queue_url(resources.QUEUE), ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
        if found:
            break
    assert len(found) == 1


def test_operator_cancels_any_tenants_job_and_lists_by_status(runtime: Any, speech_mp3: Path) -> None:
    job_id = submit(speech_mp3, tenant="someone-else")
    wait_status(job_id, lambda j: j.status == JobStatus.QUEUED)
    result = _cli("admin", "cancel", job_id)
    assert result.returncode == 0, result.stderr
    assert JobStore(resources.TABLE).get(job_id).status == JobStatus.CANCELLED  # type: ignore[union-attr]
    again = _cli("admin", "cancel", job_id)
    assert again.returncode == 1 and "CANCELLED" in again.stderr
    listed = _cli("admin", "jobs", "--status", "CANCELLED")
    assert job_id in listed.stdout and "someone-else" in listed.stdout


def test_stats(runtime: Any, worker: Any, speech_mp3: Path) -> None:
    assert wait_job(submit(speech_mp3)).status == JobStatus.COMPLETED
    result = _cli("admin", "stats")
    assert result.returncode == 0, result.stderr
    numbers = json.loads(result.stdout)
    assert numbers["jobs_by_status"]["COMPLETED"] >= 1
    assert numbers["audio_hours_processed"] > 0 and 0 < numbers["median_real_time_factor"] < 5
    assert set(numbers["queue"]) == {resources.QUEUE, resources.QUEUE_HIGH, resources.QUEUE_LOW, resources.DLQ}
