"""Upload-triggered jobs: the intake Lambda, invoked the way S3 does."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from urllib.parse import quote_plus

import pytest

from tests.support.pipeline import execution_arn, wait_execution, wait_job, wait_status
from ytcaption import resources
from ytcaption.domain.ids import upload_job_id
from ytcaption.domain.job import JobStatus
from ytcaption.intake.launch import state_machine_arn
from ytcaption.settings import get_settings
from ytcaption.store import aws
from ytcaption.store.jobs import JobStore

pytestmark = pytest.mark.integration


def _s3_event(key: str, etag: str, size: int) -> dict[str, object]:
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventTime": "2026-01-01T00:00:00.000Z",
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "uploads-start-jobs",
                    "bucket": {"name": resources.BUCKET, "arn": f"arn:aws:s3:::{resources.BUCKET}"},
                    # S3 URL-encodes keys in events.
                    "object": {"key": quote_plus(key), "size": size, "eTag": etag.strip('"'), "sequencer": "01"},
                },
            }
        ]
    }


def _intake_queue() -> str:
    return aws.queue_url(resources.INTAKE_QUEUE)


def test_a_duplicated_upload_event_starts_one_job(runtime: object, speech_mp3: Path) -> None:
    key = f"uploads/tests/{uuid.uuid4().hex}/my talk (final).mp3"
    etag = aws.client("s3").put_object(Bucket=resources.BUCKET, Key=key, Body=speech_mp3.read_bytes())["ETag"]
    job_id = upload_job_id(resources.BUCKET, key, etag)
    # The real notification already went through the intake queue on put_object: two more deliveries.
    body = json.dumps(_s3_event(key, etag, speech_mp3.stat().st_size))
    for _ in range(2):
        aws.client("sqs").send_message(QueueUrl=_intake_queue(), MessageBody=body)
    job = wait_status(job_id, lambda j: j.status not in {JobStatus.PENDING, JobStatus.DOWNLOADING})
    _wait_queue_empty(_intake_queue())
    arns = [
        e["executionArn"]
        for e in aws.client("stepfunctions").list_executions(stateMachineArn=state_machine_arn(get_settings()))[
            "executions"
        ]
        if e["name"] == job_id
    ]
    assert arns == [execution_arn(job_id)]
    assert job.source["key"] == key, "the URL-encoded key from the event was decoded"


def _wait_queue_empty(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        attrs = aws.client("sqs").get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        if attrs["ApproximateNumberOfMessages"] == "0" and attrs["ApproximateNumberOfMessagesNotVisible"] == "0":
            return
        time.sleep(0.2)
    raise AssertionError(f"{url} still holds messages")


def test_upload_outside_a_tenant_folder_starts_nothing(runtime: object) -> None:
    key = "uploads/just-a-file.mp3"
    etag = aws.client("s3").put_object(Bucket=resources.BUCKET, Key=key, Body=b"data")["ETag"]
    event = {"Records": [{"messageId": "m1", "body": json.dumps(_s3_event(key, etag, 4)), "eventSource": "aws:sqs"}]}
    answer = aws.client("lambda").invoke(
        FunctionName=resources.lambda_spec("intake").function_name, Payload=json.dumps(event).encode()
    )
    assert json.loads(answer["Payload"].read()) == {"batchItemFailures": []}
    assert JobStore(resources.TABLE).get(upload_job_id(resources.BUCKET, key, etag)) is None


def test_a_failing_event_comes_back_and_ends_in_the_dead_letter_queue_the_rest_of_its_batch_does_not(
    runtime: object,
) -> None:
    sqs = aws.client("sqs")
    queue, dlq = _intake_queue(), aws.queue_url(resources.INTAKE_DLQ)
    sqs.purge_queue(QueueUrl=dlq)
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"VisibilityTimeout": "1"})
    try:
        key = f"uploads/tests/{uuid.uuid4().hex}/notes.mp3"
        etag = aws.client("s3").put_object(Bucket=resources.BUCKET, Key=key, Body=b"not audio\n" * 50)["ETag"]
        sqs.send_message(QueueUrl=queue, MessageBody="this is not an S3 event")
        job = wait_job(upload_job_id(resources.BUCKET, key, etag))
        assert job.error_code == "INVALID_MEDIA", "the good event of the batch made its job"
        deadline = time.monotonic() + 90
        dead: list[dict[str, str]] = []
        while not dead and time.monotonic() < deadline:
            dead = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1).get("Messages", [])
        assert [m["Body"] for m in dead] == ["this is not an S3 event"], "retried, then dead-lettered, not dropped"
    finally:
        sqs.set_queue_attributes(
            QueueUrl=queue, Attributes={"VisibilityTimeout": str(resources.INTAKE_VISIBILITY_SECONDS)}
        )


def test_an_upload_whose_event_was_lost_is_started_by_the_reconciler(runtime: object) -> None:
    lam, sqs = aws.client("lambda"), aws.client("sqs")
    queue_arn = sqs.get_queue_attributes(QueueUrl=_intake_queue(), AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    (mapping,) = lam.list_event_source_mappings(EventSourceArn=queue_arn)["EventSourceMappings"]
    lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)  # the event waits, undelivered
    try:
        key = f"uploads/tests/{uuid.uuid4().hex}/lost.mp3"
        etag = aws.client("s3").put_object(Bucket=resources.BUCKET, Key=key, Body=b"not audio\n" * 50)["ETag"]
        job_id = upload_job_id(resources.BUCKET, key, etag)
        time.sleep(2)
        assert JobStore(resources.TABLE).get(job_id) is None
        answer = lam.invoke(
            FunctionName=resources.lambda_spec("reconcile-uploads").function_name,
            Payload=json.dumps({"min_age_seconds": 0}).encode(),
        )
        assert job_id in json.loads(answer["Payload"].read())["started"]
    finally:
        lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)
    job = wait_job(job_id)
    assert job.error_code == "INVALID_MEDIA"
    _wait_queue_empty(_intake_queue())  # the late event finds its job already there: still one execution
    executions = aws.client("stepfunctions").list_executions(stateMachineArn=state_machine_arn(get_settings()))
    assert [e["name"] for e in executions["executions"]].count(job_id) == 1


def test_upload_job_runs_to_the_end_without_a_worker_when_the_file_is_bad(runtime: object, tmp_path: Path) -> None:
    key = f"uploads/tests/{uuid.uuid4().hex}/notes.mp3"
    etag = aws.client("s3").put_object(Bucket=resources.BUCKET, Key=key, Body=b"plain text, not audio\n" * 50)["ETag"]
    job = wait_job(upload_job_id(resources.BUCKET, key, etag))
    assert job.status == JobStatus.FAILED and job.error_code == "INVALID_MEDIA"
    assert wait_execution(job.job_id)["status"] == "FAILED"


def test_intake_checks_the_size_again_whatever_the_storage_let_through(runtime: object) -> None:
    """An object larger than its upload may hold (e.g. put straight into the bucket, around the
    presigned form's size range) becomes a FAILED job with the reason, not a transcription."""
    from ytcaption.domain.options import JobOptions

    upload_id = uuid.uuid4().hex
    JobStore(resources.TABLE).put_upload(upload_id, "tests", JobOptions(), max_bytes=100)
    key = f"uploads/tests/{upload_id}/big.mp3"
    etag = aws.client("s3").put_object(Bucket=resources.BUCKET, Key=key, Body=b"\0" * 1000)["ETag"]
    job = wait_job(upload_job_id(resources.BUCKET, key, etag))
    assert job.status == JobStatus.FAILED and job.error_code == "MEDIA_TOO_LARGE"
    assert "1000 bytes" in (job.error_reason or "")
