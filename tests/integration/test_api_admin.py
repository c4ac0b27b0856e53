"""The operator (admin) routes of the HTTP API over real HTTP, against the local
runtime: an admin tenant's key lists, cancels and redrives any tenant's jobs,
moves dead letters back and reads the pipeline's numbers; other keys get 403."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.api import client, new_key
from tests.support.pipeline import fail_as_a_faulty_worker, submit, wait_status
from ytcaption import resources
from ytcaption.api.problems import ApiProblem
from ytcaption.api.schemas import Stats
from ytcaption.api.service import ApiService
from ytcaption.domain.job import JobStatus
from ytcaption.settings import Settings
from ytcaption.store import aws
from ytcaption.store.apikeys import ApiKey
from ytcaption.store.eventlog import EventLog
from ytcaption.store.jobs import JobStore

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"
CUSTOMER = "ops-customer"
ROUTES = [
    ("GET", "/v1/admin/transcriptions"),
    ("DELETE", "/v1/admin/transcriptions/job-0123456789abcdef01234567"),
    ("POST", "/v1/admin/transcriptions/job-0123456789abcdef01234567/redrive"),
    ("POST", "/v1/admin/dead-letters/redrive"),
    ("GET", "/v1/admin/stats"),
]


@pytest.fixture(scope="module")
def admin(base_url: str) -> Iterator[httpx.Client]:
    with client(base_url, new_key("admin")) as api:
        yield api


@pytest.fixture(scope="module")
def customer(base_url: str) -> Iterator[httpx.Client]:
    with client(base_url, new_key(CUSTOMER)) as api:
        yield api


def _problem(answer: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = answer.json()
    assert body["status"] == status and body["code"] == code and body["type"] == f"/problems/{code}"
    assert body["title"] and body["detail"] and "Traceback" not in answer.text
    return body


def _listed(admin: httpx.Client, job_id: str, status: str) -> dict[str, Any] | None:
    """The job's entry in the operators' list filtered by status, following the cursor."""
    params: dict[str, Any] = {"status": status, "limit": 100}
    for _ in range(50):
        answer = admin.get("/v1/admin/transcriptions", params=params)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert all(item["status"] == status for item in page["items"])
        created = [item["created_at"] for item in page["items"]]
        assert created == sorted(created, reverse=True), "newest first"
        for item in page["items"]:
            if item["id"] == job_id:
                return dict(item)
        if not page["next_cursor"]:
            return None
        params["cursor"] = page["next_cursor"]
    return None


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_admin_routes_need_an_admin_key(base_url: str, customer: httpx.Client, method: str, path: str) -> None:
    _problem(customer.request(method, path), 403, "forbidden")
    with client(base_url, None) as anonymous:
        _problem(anonymous.request(method, path), 401, "unauthorized")


def test_admin_tenants_setting_is_a_comma_separated_list(runtime: Any) -> None:
    service = ApiService(Settings(admin_tenants=" ops , root,"))
    for tenant in ("ops", "root"):
        assert service.require_admin(ApiKey(key_id="k", tenant=tenant)).tenant == tenant
    for tenant in ("admin", "ops-2", ""):
        with pytest.raises(ApiProblem) as caught:
            service.require_admin(ApiKey(key_id="k", tenant=tenant))
        assert caught.value.status == 403 and caught.value.code == "forbidden"


def test_admin_lists_and_cancels_another_tenants_job(
    admin: httpx.Client, customer: httpx.Client, speech_mp3: Path
) -> None:
    job_id = submit(speech_mp3, tenant=CUSTOMER)
    wait_status(job_id, lambda j: j.status == JobStatus.QUEUED)  # no worker: it stays QUEUED

    listed = _listed(admin, job_id, "QUEUED")
    assert listed is not None, "the operators' list shows every tenant's jobs"
    assert listed["tenant"] == CUSTOMER and listed["redrives"] == 0
    assert _listed(admin, job_id, "COMPLETED") is None
    _problem(admin.get("/v1/admin/transcriptions", params={"cursor": "!!!"}), 422, "validation-error")

    answer = admin.delete(f"/v1/admin/transcriptions/{job_id}")
    assert answer.status_code == 200, answer.text
    cancelled = answer.json()
    assert cancelled["id"] == job_id and cancelled["status"] == "CANCELLED" and cancelled["tenant"] == CUSTOMER
    assert cancelled["error"]["code"] == "CANCELLED"
    assert customer.get(f"/v1/transcriptions/{job_id}").json()["status"] == "CANCELLED"

    again = _problem(admin.delete(f"/v1/admin/transcriptions/{job_id}"), 409, "job-already-ended")
    assert again["job_status"] == "CANCELLED"
    _problem(admin.delete("/v1/admin/transcriptions/job-doesnotexist"), 404, "not-found")
    assert _listed(admin, job_id, "CANCELLED") is not None


def test_redrive_a_failed_job_then_it_completes(runtime: Any, admin: httpx.Client, speech_mp3: Path) -> None:
    job_id = submit(speech_mp3, tenant=CUSTOMER)
    fail_as_a_faulty_worker(job_id)

    answer = admin.post(f"/v1/admin/transcriptions/{job_id}/redrive")
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["execution_name"] == f"{job_id}-r1"
    assert body["transcription"]["id"] == job_id and body["transcription"]["tenant"] == CUSTOMER
    assert body["transcription"]["status"] == "QUEUED", "it resumes after the download"
    assert body["transcription"]["redrives"] == 1 and body["transcription"]["error"] is None

    again = _problem(admin.post(f"/v1/admin/transcriptions/{job_id}/redrive"), 409, "job-not-failed")
    assert again["job_status"] == "QUEUED"
    _problem(admin.post("/v1/admin/transcriptions/job-doesnotexist/redrive"), 404, "not-found")

    with runtime.worker():
        job = wait_status(job_id, lambda j: j.status.terminal, timeout=120)
    assert job.status == JobStatus.COMPLETED, job.error_reason

    completed = _problem(admin.post(f"/v1/admin/transcriptions/{job_id}/redrive"), 409, "job-not-failed")
    assert completed["job_status"] == "COMPLETED"


def test_a_redriven_job_that_fails_again_announces_its_second_end(
    runtime: Any, admin: httpx.Client, speech_mp3: Path
) -> None:
    job_id = submit(speech_mp3, tenant=CUSTOMER)
    fail_as_a_faulty_worker(job_id)
    assert admin.post(f"/v1/admin/transcriptions/{job_id}/redrive").status_code == 202
    fail_as_a_faulty_worker(job_id)  # the redriven run fails too

    # Each end is its own event on the bus (recorded by the live fan-out, what a reconnecting client
    # replays): the second was once taken for a repeat of the first and never published.
    log, deadline = EventLog(resources.TABLE), time.monotonic() + 60
    failed: list[dict[str, Any]] = []
    while len(failed) < 2 and time.monotonic() < deadline:
        failed = [e for e in log.events(job_id) if e["event_type"] == "transcription.failed"]
        time.sleep(0.3)
    assert len(failed) == 2, f"one failure event per run, got {len(failed)}"
    first, second = sorted(failed, key=lambda e: e["sequence"])
    assert first["event_id"] != second["event_id"] and first["sequence"] < second["sequence"]
    items = JobStore(resources.TABLE).table.query(
        KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": f"JOB#{job_id}"}, ConsistentRead=True
    )["Items"]
    markers = [str(i["sk"]) for i in items if i.get("kind") == "published" and "FAILED" in str(i["sk"])]
    assert len(markers) == 2, f"a publication marker per run: {markers}"


def test_dead_letter_redrive_moves_messages_back_to_the_queue(admin: httpx.Client) -> None:
    sqs = aws.client("sqs")
    queue = aws.queue_url(resources.QUEUE)
    marker = {"dead_letter_api_test": uuid.uuid4().hex}
    sqs.send_message(QueueUrl=aws.queue_url(resources.DLQ), MessageBody=json.dumps(marker))

    answer = admin.post("/v1/admin/dead-letters/redrive")
    assert answer.status_code == 200, answer.text
    assert answer.json()["moved"] >= 1

    found = []
    for _ in range(10):
        for message in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            if json.loads(message["Body"]) == marker:
                found.append(message)
                # Off the work queue: no worker should ever see the marker.
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
            else:  # another test's task: leave it for a worker
                sqs.change_message_visibility(
                    QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
        if found:
            break
    assert len(found) == 1, "the dead letter went back to the work queue"


def test_stats_has_the_documented_fields(admin: httpx.Client) -> None:
    answer = admin.get("/v1/admin/stats")
    assert answer.status_code == 200, answer.text
    numbers = answer.json()
    assert set(numbers) == set(Stats.model_fields)
    Stats.model_validate(numbers)
    assert set(numbers["jobs_by_status"]) == {s.value for s in JobStatus}
    assert all(isinstance(n, int) and n >= 0 for n in numbers["jobs_by_status"].values())
    assert sum(numbers["jobs_by_status"].values()) >= 1
    assert numbers["audio_hours_processed"] >= 0
    assert set(numbers["queue"]) == {resources.QUEUE, resources.QUEUE_HIGH, resources.QUEUE_LOW, resources.DLQ}
    for depth in numbers["queue"].values():
        assert set(depth) == {"visible", "in_flight"}
