"""Upload-triggered jobs: the intake Lambda, invoked the way S3 does."""

from __future__ import annotations

import json
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


def test_a_duplicated_upload_event_starts_one_job(runtime: object, speech_mp3: Path) -> None:
    key = f"uploads/tests/{uuid.uuid4().hex}/my talk (final).mp3"
    etag = aws.client("s3").put_object(Bucket=resources.BUCKET, Key=key, Body=speech_mp3.read_bytes())["ETag"]
    job_id = upload_job_id(resources.BUCKET, key, etag)
    event = json.dumps(_s3_event(key, etag, speech_mp3.stat().st_size)).encode()

    lam = aws.client("lambda")
    answers = [
        json.loads(
            lam.invoke(FunctionName=resources.lambda_spec("intake").function_name, Payload=event)["Payload"].read()
        )
        for _ in range(2)
    ]
    # The real S3 notification already ran once on put_object: three deliveries in all.
    assert answers == [{"jobs": [job_id]}, {"jobs": [job_id]}]
    arns = [
        e["executionArn"]
        for e in aws.client("stepfunctions").list_executions(stateMachineArn=state_machine_arn(get_settings()))[
            "executions"
        ]
        if e["name"] == job_id
    ]
    assert arns == [execution_arn(job_id)]
    job = wait_status(job_id, lambda j: j.status not in {JobStatus.PENDING, JobStatus.DOWNLOADING})
    assert job.source["key"] == key, "the URL-encoded key from the event was decoded"


def test_upload_outside_a_tenant_folder_starts_nothing(runtime: object) -> None:
    key = "uploads/just-a-file.mp3"
    aws.client("s3").put_object(Bucket=resources.BUCKET, Key=key, Body=b"data")
    event = json.dumps(_s3_event(key, '"abc"', 4)).encode()
    answer = aws.client("lambda").invoke(FunctionName=resources.lambda_spec("intake").function_name, Payload=event)
    assert json.loads(answer["Payload"].read()) == {"jobs": []}


def test_upload_job_runs_to_the_end_without_a_worker_when_the_file_is_bad(runtime: object, tmp_path: Path) -> None:
    key = f"uploads/tests/{uuid.uuid4().hex}/notes.mp3"
    etag = aws.client("s3").put_object(Bucket=resources.BUCKET, Key=key, Body=b"plain text, not audio\n" * 50)["ETag"]
    job = wait_job(upload_job_id(resources.BUCKET, key, etag))
    assert job.status == JobStatus.FAILED and job.error_code == "INVALID_MEDIA"
    assert wait_execution(job.job_id)["status"] == "FAILED"


def test_intake_checks_the_size_again_whatever_the_storage_let_through(runtime: object) -> None:
    """An object larger than its upload may hold (e.g. put straight into the bucket, around the
    presigned form's size range) becomes a FAILED job with the reason, not a transcription."""
    from ytcaption.domain.job import JobOptions
    from ytcaption.store.jobs import JobStore

    upload_id = uuid.uuid4().hex
    JobStore(resources.TABLE).put_upload(upload_id, "tests", JobOptions(), max_bytes=100)
    key = f"uploads/tests/{upload_id}/big.mp3"
    etag = aws.client("s3").put_object(Bucket=resources.BUCKET, Key=key, Body=b"\0" * 1000)["ETag"]
    job = wait_job(upload_job_id(resources.BUCKET, key, etag))
    assert job.status == JobStatus.FAILED and job.error_code == "MEDIA_TOO_LARGE"
    assert "1000 bytes" in (job.error_reason or "")
