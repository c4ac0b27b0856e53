"""The whole pipeline on the embedded emulator: real uploads, the real state
machine, real Lambda handlers, real worker processes running Whisper."""

from __future__ import annotations

import io
import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import srt
import webvtt

from tests.support.audio import MEETING, word_error_rate
from tests.support.pipeline import (
    drain_queue,
    history_statuses,
    queue_depth,
    read_result,
    receive_task,
    submit,
    wait_execution,
    wait_job,
    wait_status,
)
from tests.support.subtitles import assert_readable
from ytcaption import resources
from ytcaption.domain.captions.rules import rules_for
from ytcaption.domain.job import JobStatus
from ytcaption.domain.transcript import Transcript
from ytcaption.store import aws
from ytcaption.store.jobs import JobStore

pytestmark = pytest.mark.integration


def test_happy_path_completes_with_all_four_results(runtime: object, worker: object, speech_mp3: Path) -> None:
    job_id = submit(speech_mp3, word_timestamps=True)
    job = wait_job(job_id)

    assert job.status == JobStatus.COMPLETED, job.error_reason
    assert job.progress == 100
    assert wait_execution(job_id)["status"] == "SUCCEEDED"
    assert history_statuses(job_id) == ["PENDING", "DOWNLOADING", "QUEUED", "TRANSCRIBING", "COMPLETED"]
    assert job.media and job.media["duration"] == pytest.approx(20, abs=3)
    assert job.result is not None
    assert set(job.result["keys"]) == {"json", "txt", "srt", "vtt"}
    metrics = job.result["metrics"]
    assert metrics["audio_seconds"] > 0 and metrics["real_time_factor"] > 0

    document = json.loads(read_result(job, "json"))
    assert job.options.word_timestamps, job.options
    assert document["language"] == "en" and document["model"] == "tiny.en"
    assert all(segment["words"] for segment in document["segments"])
    assert word_error_rate(MEETING, document["text"]) <= 0.15
    subtitles = list(srt.parse(read_result(job, "srt")))
    assert len(subtitles) >= len(document["segments"]) > 0  # shaped from the words: shorter cues
    assert subtitles[-1].end.total_seconds() <= job.media["duration"] + 1.0
    captions = webvtt.from_buffer(io.StringIO(read_result(job, "vtt")))
    assert len(captions) == len(subtitles)
    transcript = Transcript.model_validate(document)
    assert_readable(read_result(job, "srt"), transcript, rules_for("en"), "meeting.srt")
    assert read_result(job, "txt").strip()


def test_worker_failure_ends_failed_with_reason(runtime: object, worker: object, speech_mp3: Path) -> None:
    # 'small' is a real model name, but it is not installed here and the hub is offline.
    job_id = submit(speech_mp3, model="small")
    job = wait_job(job_id)

    assert job.status == JobStatus.FAILED
    assert job.error_code == "MODEL_UNAVAILABLE"
    assert "small" in (job.error_reason or "")
    assert wait_execution(job_id)["status"] == "FAILED"
    assert history_statuses(job_id)[-1] == "FAILED"


def _lease_pid(owner: str) -> str:
    return owner.rsplit("-", 2)[1]


def test_job_of_a_worker_that_stops_renewing_its_lease_is_taken_over(runtime: Any, speech_mp3: Path) -> None:
    """The test takes a task and goes silent, like a crashed worker: a real worker defers
    the message until that lease lapses, takes the job over under the same token, and
    the silent worker's late answer is refused."""
    job_id = submit(speech_mp3)
    stalled = receive_task(job_id)
    store = JobStore(resources.TABLE)
    claimed = store.claim(job_id, "stalled-worker", lease_seconds=6)
    assert claimed.lease_owner == "stalled-worker" and claimed.lease_until
    # The message shows up again while the lease still holds (as a duplicate would).
    sqs = aws.client("sqs")
    sqs.change_message_visibility(QueueUrl=aws.queue_url(resources.QUEUE), ReceiptHandle=stalled["receipt"],
                                  VisibilityTimeout=0)  # fmt: skip
    with runtime.worker() as worker:
        job = wait_job(job_id, timeout=90)
    assert job.status == JobStatus.COMPLETED, job.error_reason
    assert wait_execution(job_id)["status"] == "SUCCEEDED"
    assert job.lost_workers == 1
    claims = store.claims(job_id)
    assert claims[0]["worker"] == "stalled-worker"
    assert claims[-1]["how"] == "taken over" and _lease_pid(claims[-1]["worker"]) == str(worker.pid)
    # Never taken while the lease held (the worker's start-up time is in the upper bound).
    taken = datetime.fromisoformat(claims[-1]["at"].replace("Z", "+00:00")).timestamp()
    assert claimed.lease_until <= taken <= claimed.lease_until + 30
    with pytest.raises(Exception) as refused:
        aws.client("stepfunctions").send_task_success(taskToken=stalled["task_token"], output="{}")
    assert aws.error_code(refused.value) in {"InvalidToken", "TaskTimedOut", "TaskDoesNotExist"}


def test_a_job_that_loses_too_many_workers_ends_worker_timeout(runtime: Any, speech_mp3: Path) -> None:
    """Take-overs have a budget (YTC_LOST_WORKER_RETRIES, 3 by default): one more lost worker fails the job."""
    job_id = submit(speech_mp3)
    task = receive_task(job_id)
    store = JobStore(resources.TABLE)
    for n in range(4):  # the first worker and three take-overs, each lost
        store.claim(job_id, f"lost-worker-{n}", lease_seconds=0.05)
        time.sleep(0.1)
    assert store.get(job_id).lost_workers == 3  # type: ignore[union-attr]
    sqs = aws.client("sqs")
    sqs.change_message_visibility(QueueUrl=aws.queue_url(resources.QUEUE), ReceiptHandle=task["receipt"],
                                  VisibilityTimeout=0)  # fmt: skip
    with runtime.worker():
        job = wait_job(job_id, timeout=60)
    assert job.status == JobStatus.FAILED
    assert job.error_code == "WORKER_TIMEOUT"
    assert "stopped responding 4 times" in (job.error_reason or "")
    assert wait_execution(job_id)["status"] == "FAILED"


def test_duplicate_delivery_does_no_harm(runtime: object, speech_mp3: Path) -> None:
    from ytcaption.local.runtime import LocalRuntime

    assert isinstance(runtime, LocalRuntime)
    drain_queue()  # this test counts what is left on the queue
    job_id = submit(speech_mp3)
    task = receive_task(job_id)
    # Deliver the same task twice: put a copy on the queue, give the original back.
    body = {k: v for k, v in task.items() if k != "receipt"}
    sqs = aws.client("sqs")
    queue = aws.queue_url(resources.QUEUE)
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(body))
    sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=task["receipt"], VisibilityTimeout=0)

    with runtime.worker() as proc:
        job = wait_job(job_id)
        assert job.status == JobStatus.COMPLETED, job.error_reason
        assert wait_execution(job_id)["status"] == "SUCCEEDED"
        deadline = time.monotonic() + 30
        while queue_depth() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert queue_depth() == 0, "the duplicate should be dropped, not left behind"
        assert queue_depth(resources.DLQ) == 0
    log = runtime.log_paths[proc.pid].read_text()
    assert sum(1 for line in log.splitlines() if "job transcribed" in line and job_id in line) == 1
    assert history_statuses(job_id) == ["PENDING", "DOWNLOADING", "QUEUED", "TRANSCRIBING", "COMPLETED"]


def test_sigterm_mid_job_hands_the_work_to_another_worker(runtime: object, long_speech_wav: Path) -> None:
    from ytcaption.local.runtime import LocalRuntime

    assert isinstance(runtime, LocalRuntime)
    with runtime.worker() as first:
        job_id = submit(long_speech_wav)
        wait_status(job_id, lambda j: j.status == JobStatus.TRANSCRIBING and j.progress >= 10, timeout=120)
        with runtime.worker() as second:
            assert runtime.stop_worker(first, timeout=60) == 0
            after_stop = JobStore(resources.TABLE).get(job_id)
            assert after_stop is not None and after_stop.status == JobStatus.TRANSCRIBING, "stopped after the job ended"
            assert "handed back" in runtime.log_paths[first.pid].read_text()

            job = wait_job(job_id, timeout=240)
            assert job.status == JobStatus.COMPLETED, job.error_reason
            assert wait_execution(job_id)["status"] == "SUCCEEDED"
            second_log = runtime.log_paths[second.pid].read_text()
            assert any("job transcribed" in line and job_id in line for line in second_log.splitlines())
            assert "Library" in read_result(job, "txt") or "library" in read_result(job, "txt")


def test_a_task_whose_job_no_longer_exists_is_dropped(runtime: object) -> None:
    """A whole-file task and a chunk task for a job that is gone (deleted, or a stray message) are
    deleted by the worker that reads them: neither comes back until it lands in the dead-letter queue."""
    from ytcaption.local.runtime import LocalRuntime

    assert isinstance(runtime, LocalRuntime)
    drain_queue()  # this test counts what is left on the queue
    audio = {"bucket": resources.BUCKET, "key": "audio/job-gone/audio.wav"}
    whole = {"job_id": "job-gone-whole", "task_token": "gone", "audio": audio, "options": {"model": "tiny.en"}}
    chunk = {
        **whole,
        "job_id": "job-gone-chunk",
        "chunk": {
            "index": 0,
            "start": 0.0,
            "end": 10.0,
            "cut_start": 0.0,
            "cut_end": 10.0,
            "timeout_seconds": 60,
            "wait_seconds": 120,
        },
    }
    sqs = aws.client("sqs")
    queue = aws.queue_url(resources.QUEUE)
    for body in (whole, chunk):
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(body))
    with runtime.worker() as proc:
        deadline = time.monotonic() + 60
        while queue_depth() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert queue_depth() == 0, "a task of a vanished job should be dropped, not redelivered"
        assert queue_depth(resources.DLQ) == 0
    log = runtime.log_paths[proc.pid].read_text()
    assert log.count("task for a job that does not exist; dropping it") == 2, log[-2000:]
