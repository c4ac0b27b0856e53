"""Signed webhooks, the event bus, and time limits, through the real pipeline."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.pipeline import BusObserver, submit, wait_execution, wait_job
from tests.support.webhook_receiver import documented_verifier, webhook_receiver
from ytcaption import resources
from ytcaption.domain.job import JobStatus
from ytcaption.finish.webhooks import sign
from ytcaption.store import aws
from ytcaption.store.jobs import JobStore
from ytcaption.store.tenants import TenantStore

pytestmark = pytest.mark.integration
TENANT = "hooks"


def _secret() -> str:
    return TenantStore(resources.TABLE).webhook_secret(TENANT)


def _deliveries(job_id: str) -> list[dict[str, Any]]:
    return [item for item in JobStore(resources.TABLE).history(job_id) if item.get("kind") == "webhook"]


def test_completed_job_delivers_one_signed_event(runtime: object, worker: object, speech_mp3: Path) -> None:
    with webhook_receiver(_secret()) as receiver:
        job_id = submit(speech_mp3, tenant=TENANT, webhook_url=receiver.url)
        job = wait_job(job_id)
        assert wait_execution(job_id)["status"] == "SUCCEEDED"
    assert job.status == JobStatus.COMPLETED
    assert [r.valid for r in receiver.received] == [True]
    event = receiver.received[0].event
    assert event["event_type"] == "transcription.completed"
    assert event["correlation_id"] == job_id and event["version"] == "1.0"
    assert event["data"]["results"]["srt"] == f"results/{job_id}/transcript.srt"
    assert receiver.received[0].headers["ytcaption-event-id"] == event["event_id"]
    assert [(d["outcome"], d["status_code"]) for d in _deliveries(job_id)] == [("delivered", 200)]


def test_failed_job_delivers_one_failed_event(runtime: object, tmp_path: Path) -> None:
    bad = tmp_path / "empty.wav"
    bad.write_bytes(b"")
    with webhook_receiver(_secret()) as receiver:
        job_id = submit(bad, tenant=TENANT, webhook_url=receiver.url)
        wait_job(job_id)
        assert wait_execution(job_id)["status"] == "FAILED"
    (event,) = receiver.events()
    assert event["event_type"] == "transcription.failed"
    assert event["data"]["error"]["code"] == "EMPTY_MEDIA"


def test_receiver_answering_500_twice_gets_it_on_the_third_attempt(
    runtime: object, worker: object, speech_mp3: Path
) -> None:
    with webhook_receiver(_secret(), answers=[500, 500]) as receiver:
        job_id = submit(speech_mp3, tenant=TENANT, webhook_url=receiver.url)
        wait_job(job_id)
        assert wait_execution(job_id)["status"] == "SUCCEEDED"
    assert len(receiver.received) == 3 and all(r.valid for r in receiver.received)
    assert len({r.event["event_id"] for r in receiver.received}) == 1, "a retry is the same event"
    sequences = [r.event.get("sequence") for r in receiver.received]
    assert isinstance(sequences[0], int) and sequences == sequences[:1] * 3, "every attempt carries its sequence"
    assert [(d["outcome"], d["status_code"]) for d in _deliveries(job_id)] == [
        ("retry", 500), ("retry", 500), ("delivered", 200)
    ]  # fmt: skip
    # The job's history over the API shows the attempts after the status they report.
    from tests.support.api import client, new_key

    with client(runtime.api_url, new_key(TENANT)) as api:  # type: ignore[attr-defined]
        events = api.get(f"/v1/transcriptions/{job_id}/events").json()["events"]
    assert [e["event_type"] for e in events if e["kind"] == "webhook"] == [
        "webhook.retry", "webhook.retry", "webhook.delivered"
    ]  # fmt: skip
    assert [e["kind"] for e in events][-3:] == ["webhook"] * 3 and events[-4]["status"] == "COMPLETED"
    assert all(e["webhook"]["url"] == receiver.url for e in events if e["kind"] == "webhook")


def test_receiver_that_is_down_never_changes_the_job(runtime: object, worker: object, speech_mp3: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/nobody-listens"
    job_id = submit(speech_mp3, tenant=TENANT, webhook_url=dead)
    job = wait_job(job_id)
    assert wait_execution(job_id, timeout=90)["status"] == "SUCCEEDED"
    assert JobStore(resources.TABLE).get(job_id).status == JobStatus.COMPLETED  # type: ignore[union-attr]
    deliveries = _deliveries(job_id)
    assert [d["outcome"] for d in deliveries] == ["retry", "retry", "retry", "failed"], "the last attempt says so"
    assert all("connection failed" in d["detail"] for d in deliveries)
    assert job.status == JobStatus.COMPLETED


def test_a_tampered_body_fails_the_documented_verification() -> None:
    verify = documented_verifier()
    body = json.dumps({"event_type": "transcription.completed", "data": {"status": "COMPLETED"}}).encode()
    header = sign("whsec_test", int(time.time()), body)
    assert verify("whsec_test", header, body)
    assert not verify("whsec_test", header, body.replace(b"COMPLETED", b"FAILED"))
    assert not verify("whsec_other", header, body)
    assert not verify("whsec_test", sign("whsec_test", int(time.time()) - 3600, body), body), "old: a replay"


def test_event_bus_rule_receives_the_same_events(runtime: object, worker: object, speech_mp3: Path) -> None:
    with BusObserver("ytcaption-test-all") as bus:
        with webhook_receiver(_secret()) as receiver:
            job_id = submit(speech_mp3, tenant=TENANT, webhook_url=receiver.url)
            wait_job(job_id)
            wait_execution(job_id)
        found = bus.details(job_id, until=lambda d: any(e["event_type"] == "transcription.completed" for e in d))
        (webhook_event,) = receiver.events()
        # The bus also gets the earlier stages (created, started, progress); the webhook only what it asked for.
        assert [e for e in found if e["event_type"] == "transcription.completed"] == [webhook_event]


@pytest.fixture
def strict_runtime(runtime: object, tmp_path: Path) -> Any:
    """A second runtime whose jobs may run one second (plus nothing per audio second)."""
    import os

    from tests.conftest import TEST_SETTINGS, WORKER_ENV
    from ytcaption.local.runtime import LocalRuntime, RuntimeConfig, free_port

    assert isinstance(runtime, LocalRuntime)
    saved = dict(os.environ)
    settings = {**TEST_SETTINGS, "YTC_TIMEOUT_FLOOR_SECONDS": "1", "YTC_TIMEOUT_PER_AUDIO_SECOND": "0"}
    strict = LocalRuntime(
        RuntimeConfig(port=free_port(), workers=0, state_dir=tmp_path / "strict", settings=settings,
                      worker_env=WORKER_ENV, api_port=None)
    )  # fmt: skip
    try:
        strict.up()
        yield strict
    finally:
        strict.down()
        os.environ.clear()
        os.environ.update(saved)
        runtime.activate()


def test_job_over_its_time_limit_fails_with_timeout_and_its_worker_stops(
    strict_runtime: Any, long_speech_wav: Path
) -> None:
    with strict_runtime.worker() as worker:
        job_id = submit(long_speech_wav)
        job = wait_job(job_id, timeout=120)
        assert job.status == JobStatus.FAILED
        assert job.error_code == "TIMEOUT", job.error_reason
        assert wait_execution(job_id)["status"] == "FAILED"
        deadline = time.monotonic() + 30
        log = strict_runtime.log_paths[worker.pid]
        while "abandoning the job" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert "abandoning the job" in log.read_text(), "the worker noticed and stopped"
        results = aws.client("s3").list_objects_v2(Bucket=resources.BUCKET, Prefix=f"results/{job_id}/")
        assert results["KeyCount"] == 0


def test_cancelled_job_delivers_one_cancelled_event(runtime: Any, worker: Any, long_speech_wav: Path) -> None:
    from tests.support.api import client, new_key, upload, wait_for

    api = client(runtime.api_url, new_key(TENANT))
    with webhook_receiver(_secret()) as receiver:
        _, job_id = upload(api, long_speech_wav, webhook_url=receiver.url)
        wait_for(api, job_id, lambda j: j["status"] == "TRANSCRIBING" and j["progress"] >= 10, timeout=120)
        assert api.delete(f"/v1/transcriptions/{job_id}").status_code == 200
        wait_execution(job_id, timeout=60)
        # Locally the execution still runs its own notify step: it must not send a second event.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            time.sleep(0.5)
            if "abandoning the job" in runtime.log_paths[worker.pid].read_text():
                break
        time.sleep(2)
    (event,) = receiver.events()
    assert event["event_type"] == "transcription.cancelled" and event["data"]["status"] == "CANCELLED"
    assert len(receiver.received) == 1


def test_progress_events_at_most_one_per_ten_percent(runtime: Any, worker: Any, long_speech_wav: Path) -> None:
    with webhook_receiver(_secret()) as receiver:
        job_id = submit(long_speech_wav, tenant=TENANT, webhook_url=receiver.url, notify_progress=True)
        assert wait_job(job_id, timeout=180).status == JobStatus.COMPLETED
        wait_execution(job_id)
        time.sleep(1)  # progress deliveries run beside the transcription
    # Sent as they come (an older one that arrives after a newer one went out is dropped): in order of
    # `sequence`, which receivers order by, one per 10 % step.
    received = sorted(receiver.events("transcription.progress"), key=lambda e: int(e["sequence"]))
    progress = [e["data"]["progress"] for e in received]
    assert len(progress) >= 2, progress
    assert progress == sorted(set(progress)), "one event per 10 % step, in order of sequence"
    assert all(p % 10 == 0 and 10 <= p <= 90 for p in progress)
    assert len(receiver.events("transcription.completed")) == 1
    assert all(r.valid for r in receiver.received)


def test_a_webhook_endpoint_that_never_answers_delays_no_transcription(
    runtime: Any, worker: Any, long_speech_wav: Path
) -> None:
    """Every webhook, progress included, goes out from the notification path: the worker only publishes
    to the bus. An endpoint that holds each request and never answers holds no worker: the job is
    transcribed and completed while the endpoint still holds every request it got, and none of them
    came from the worker process."""
    with webhook_receiver(_secret(), hang=True) as receiver:
        job_id = submit(long_speech_wav, tenant=TENANT, webhook_url=receiver.url, notify_progress=True)
        job = wait_job(job_id, timeout=180)
        held, answered = list(receiver.received), receiver.answered
    assert job.status == JobStatus.COMPLETED
    assert answered == 0, "the endpoint answered nothing while the job ran"
    progress = [r for r in held if r.event["event_type"] == "transcription.progress"]
    assert progress, "progress requests reached the endpoint and were held while the job ran"
    assert all(r.valid for r in held), "signed as every webhook is"
    senders = {r.sender_pid for r in held}
    assert None not in senders, "each request's sending process was found"
    assert worker.pid not in senders, "the worker never calls a tenant's endpoint"
