"""Helpers to drive and observe the pipeline through real AWS API calls."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ytcaption import resources
from ytcaption.domain.job import Job
from ytcaption.domain.options import JobOptions
from ytcaption.intake import launch
from ytcaption.intake.submit import follow, submit_file
from ytcaption.settings import get_settings
from ytcaption.store import aws
from ytcaption.store.jobs import JobStore


def execution_arn(job_id: str) -> str:
    return launch.execution_arn(job_id, get_settings())


def submit(path: Path, tenant: str = "tests", **options: Any) -> str:
    return submit_file(path, JobOptions(**options), tenant, get_settings())


def wait_job(job_id: str, timeout: float = 180) -> Job:
    job = follow(job_id, JobStore(resources.TABLE), timeout=timeout, interval=0.2)
    assert job is not None, f"job {job_id} did not end within {timeout} s"
    return job


def wait_status(job_id: str, predicate: Any, timeout: float = 120) -> Job:
    store = JobStore(resources.TABLE)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = store.get(job_id)
        if job is not None and predicate(job):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} never reached the expected state; last: {store.get(job_id)}")


def wait_execution(job_id: str, timeout: float = 60) -> dict[str, Any]:
    sfn = aws.client("stepfunctions")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        execution = sfn.describe_execution(executionArn=execution_arn(job_id))
        if execution["status"] != "RUNNING":
            return dict(execution)
        time.sleep(0.2)
    raise AssertionError(f"execution {job_id} still running after {timeout} s")


def history_statuses(job_id: str) -> list[str]:
    return [item["status"] for item in JobStore(resources.TABLE).history(job_id) if "kind" not in item]


def queue_depth(name: str = resources.QUEUE) -> int:
    attrs = aws.client("sqs").get_queue_attributes(
        QueueUrl=aws.queue_url(name),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def read_result(job: Job, fmt: str) -> str:
    assert job.result is not None
    body = aws.client("s3").get_object(Bucket=resources.BUCKET, Key=job.result["keys"][fmt])["Body"]
    return str(body.read().decode("utf-8"))


def receive_task(job_id: str, timeout: float = 30) -> dict[str, Any]:
    """Take this job's transcription message off the queue, as a worker would."""
    sqs = aws.client("sqs")
    queue = aws.queue_url(resources.QUEUE)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in sqs.receive_message(
            QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=300
        ).get("Messages", []):
            body = json.loads(message["Body"])
            if body.get("job_id") == job_id:
                return {"receipt": message["ReceiptHandle"], **body}
            # Another test's job: leave it for a worker.
            sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    raise AssertionError(f"no transcription task for {job_id} arrived on the queue")


def fail_as_a_faulty_worker(job_id: str) -> None:
    """Take the job's task and fail it, as a worker whose GPU went away would; waits
    until the job is FAILED and its execution has ended."""
    task = receive_task(job_id)
    store = JobStore(resources.TABLE)
    store.claim(job_id, "flaky-worker", lease_seconds=30)
    store.fail(job_id, "TRANSCRIPTION_FAILED", "The worker's GPU disappeared mid-job.")
    aws.client("stepfunctions").send_task_failure(taskToken=task["task_token"], error="TRANSCRIPTION_FAILED")
    aws.client("sqs").delete_message(QueueUrl=aws.queue_url(resources.QUEUE), ReceiptHandle=task["receipt"])
    assert wait_job(job_id).status.value == "FAILED"
    assert wait_execution(job_id)["status"] == "FAILED"


def drain_queue() -> None:
    """Drop what earlier tests left queued (jobs nobody was meant to transcribe).

    SQS allows one purge a minute per queue (the emulator enforces it too), so when an
    earlier test purged moments ago the leftovers are received and deleted one by one."""
    sqs, queue = aws.client("sqs"), aws.queue_url(resources.QUEUE)
    try:
        sqs.purge_queue(QueueUrl=queue)
        return
    except sqs.exceptions.PurgeQueueInProgress:
        pass
    deadline = time.monotonic() + 60
    while queue_depth() and time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        for message in messages:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])


class BusObserver:
    """An EventBridge rule on the default bus with an SQS target: what a subscriber would get."""

    def __init__(self, name: str, pattern: dict[str, Any] | None = None) -> None:
        self.name = name
        self.sqs, self.events = aws.client("sqs"), aws.client("events")
        self.queue = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.events.put_rule(Name=name, EventPattern=json.dumps(pattern or {"source": [resources.EVENT_SOURCE]}))
        self.events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": arn}])
        self.seen: list[dict[str, Any]] = []

    def details(self, job_id: str, until: Any = None, timeout: float = 20) -> list[dict[str, Any]]:
        """The job's event envelopes in the order they arrived; waits until `until(details)` (or one arrives)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
                "Messages", []
            ):
                self.seen.append(json.loads(message["Body"])["detail"])
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"])
            mine = [d for d in self.seen if d.get("correlation_id") == job_id]
            if until(mine) if until else mine:
                return mine
        return [d for d in self.seen if d.get("correlation_id") == job_id]

    def close(self) -> None:
        self.events.remove_targets(Rule=self.name, Ids=["queue"])
        self.events.delete_rule(Name=self.name)
        self.sqs.delete_queue(QueueUrl=self.queue)

    def __enter__(self) -> BusObserver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def all_chunks_done_but_the_last(job_id: str) -> list[dict[str, Any]]:
    """Once the job is queued with its plan, every chunk but the last gets an empty transcript in S3 (as a
    failed attempt would have left them, and without the voices a job with speakers stores): the plan."""
    from ytcaption.store.media import chunk_result_key

    queued = wait_status(job_id, lambda j: j.status.value == "QUEUED" and j.plan, timeout=120)
    plan = queued.plan or []
    assert len(plan) >= 4, plan
    s3 = aws.client("s3")
    empty = {"language": "en", "language_probability": 1.0, "duration": 0, "model": "tiny.en", "segments": []}
    for chunk in plan[:-1]:
        s3.put_object(Bucket=resources.BUCKET, Key=chunk_result_key(job_id, chunk["index"]), Body=json.dumps(empty))
    return plan
