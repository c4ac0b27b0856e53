"""The fast lane end to end: the state machine routes to the fast-lane function (the worker's own code
in a local Lambda sandbox) when no GPU worker is warm, fans a long file out over its chunks, leaves the
job to the GPU queue when a worker is warm, and stops the work when the job is cancelled."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.api import client, new_key, upload, wait_for
from tests.support.audio import MEETING, long_recording, word_error_rate
from tests.support.lambdas import function_settings
from tests.support.pipeline import BusObserver, history_statuses, read_result, submit, wait_execution, wait_job
from ytcaption import resources
from ytcaption.domain.job import JobStatus
from ytcaption.store import aws
from ytcaption.store.jobs import JobStore

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def api(base_url: str) -> Iterator[httpx.Client]:
    with client(base_url, new_key("fast-lane")) as api:
        yield api


@pytest.fixture
def fast_lane_on(runtime: Any) -> Iterator[None]:
    """The lane on (the session runs with it off), for cold fleets only: no audio counts as short. The
    runtime first reports its fleet afresh: workers that earlier tests killed (SIGKILL) are not warm."""
    runtime.report_fleet()
    with function_settings("pick-lane", YTC_FAST_LANE="true", YTC_FAST_LANE_SHORT_SECONDS="0"):
        yield


@pytest.fixture(scope="module")
def chunked_recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Passages with pauses between them, long enough for three chunks at the smallest chunk settings."""
    return long_recording(tmp_path_factory.mktemp("fast-lane"), 65)


def fast_lane_claims(job_id: str) -> list[dict[str, Any]]:
    return [c for c in JobStore(resources.TABLE).claims(job_id) if str(c.get("worker", "")).startswith("fast-lane-")]


@pytest.mark.usefixtures("fast_lane_on")
def test_a_short_job_with_no_worker_completes_on_the_fast_lane(api: httpx.Client, speech_wav: Path) -> None:
    _, job_id = upload(api, speech_wav)
    body = wait_for(api, job_id, timeout=180)
    assert body["status"] == "COMPLETED", body
    assert body["lane"] == "fast"
    # The same life as on a worker: the same statuses, the work claimed (by the function), results written.
    assert history_statuses(job_id) == ["PENDING", "DOWNLOADING", "QUEUED", "TRANSCRIBING", "COMPLETED"]
    assert fast_lane_claims(job_id), JobStore(resources.TABLE).claims(job_id)
    assert wait_execution(job_id)["status"] == "SUCCEEDED"
    job = wait_job(job_id)
    assert word_error_rate(MEETING, read_result(job, "txt")) < 0.3
    assert job.result and job.result["metrics"]["lane"] == "fast"


@pytest.mark.usefixtures("fast_lane_on")
def test_a_long_job_with_no_worker_runs_its_chunks_on_the_fast_lane(chunked_recording: tuple[Path, str]) -> None:
    path, text = chunked_recording
    small_chunks = {"YTC_CHUNK_THRESHOLD_SECONDS": "40", "YTC_CHUNK_TARGET_SECONDS": "30"}
    with function_settings("fetch-audio", **small_chunks), BusObserver("ytcaption-test-fast-lane") as bus:
        job_id = submit(path)
        job = wait_job(job_id, timeout=400)
        details = bus.details(job_id, until=lambda ds: any(d["event_type"] == "transcription.completed" for d in ds))
    assert job.status == JobStatus.COMPLETED, job.error_reason
    plan = job.plan or []
    assert len(plan) >= 2, plan
    # Every chunk was claimed and done by a fast-lane invocation; the job says so.
    chunk_claims = [c for c in fast_lane_claims(job_id) if "chunk" in c]
    assert {c["chunk"] for c in chunk_claims} == set(range(len(plan)))
    assert all(c["metrics"]["lane"] == "fast" for c in JobStore(resources.TABLE).chunks(job_id))
    assert job.result and job.result["metrics"]["lane"] == "fast" and job.result["metrics"]["chunks"] == len(plan)
    # Progress was announced as the chunks went, as on workers.
    progress = [d for d in details if d["event_type"] == "transcription.progress"]
    assert progress, [d["event_type"] for d in details]
    assert word_error_rate(text, json.loads(read_result(job, "json"))["text"]) < 0.3


@pytest.mark.usefixtures("fast_lane_on")
def test_with_a_warm_worker_the_gpu_queue_takes_the_job(runtime: Any, api: httpx.Client, speech_wav: Path) -> None:
    with runtime.worker():
        _, job_id = upload(api, speech_wav)
        body = wait_for(api, job_id, timeout=180)
    assert body["status"] == "COMPLETED", body
    assert body["lane"] == "gpu"
    claims = JobStore(resources.TABLE).claims(job_id)
    assert claims and not fast_lane_claims(job_id), claims


@pytest.mark.usefixtures("fast_lane_on")
def test_cancelling_a_fast_lane_job_stops_the_work(runtime: Any, api: httpx.Client, long_speech_wav: Path) -> None:
    _, job_id = upload(api, long_speech_wav)
    working = wait_for(api, job_id, lambda j: j["status"] == "TRANSCRIBING" and j["progress"] >= 10, timeout=180)
    assert fast_lane_claims(job_id), "the fast lane took the job"
    answer = api.delete(f"/v1/transcriptions/{job_id}")
    assert answer.status_code == 200, answer.text
    assert working["progress"] < 100

    assert wait_execution(job_id, timeout=60)["status"] in {"ABORTED", "FAILED"}
    # The function noticed at its next progress tick and stopped (its log is the emulator's).
    log_path = runtime.log_paths[runtime.emulator_pid]
    deadline = time.monotonic() + 60

    def abandoned() -> bool:
        lines = [line for line in log_path.read_text(errors="replace").splitlines() if job_id in line]
        return any("abandoning the job" in line for line in lines)

    while not abandoned() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert abandoned(), "the fast lane abandoned the cancelled job"
    final = api.get(f"/v1/transcriptions/{job_id}").json()
    assert final["status"] == "CANCELLED" and final["lane"] is None
    results = aws.client("s3").list_objects_v2(Bucket=resources.BUCKET, Prefix=f"results/{job_id}/")
    assert results["KeyCount"] == 0, "no result was written for a cancelled job"


def test_work_the_fast_lane_cannot_finish_in_its_time_is_handed_to_the_gpu_queue(
    runtime: Any, long_speech_wav: Path
) -> None:
    """The function stops YTC_FAST_LANE_MARGIN_SECONDS before its own timeout: here 1.5 s into the work
    (900 s - 898.5 s), as a 15-minute Lambda would with a job longer than it can do. It releases the
    job as a worker does on SIGTERM, the state machine queues it, and a GPU worker finishes it. (At 5 s
    the lane once finished the 86-s clip first: tiny.en takes ~4 s for it here, and a claim ~50 ms.)"""
    # Long audio goes to the fast lane even beside a warm worker here (it counts as short).
    with (
        function_settings("pick-lane", YTC_FAST_LANE="true", YTC_FAST_LANE_SHORT_SECONDS="10000"),
        function_settings("fast-lane", YTC_FAST_LANE_MARGIN_SECONDS="898.5"),
        runtime.worker(),
    ):
        job_id = submit(long_speech_wav)
        job = wait_job(job_id, timeout=300)
    assert job.status == JobStatus.COMPLETED, job.error_reason
    assert job.result and job.result["metrics"]["lane"] == "gpu"
    claims = JobStore(resources.TABLE).claims(job_id)
    holders = [str(c.get("worker")) for c in claims]
    assert holders[0].startswith("fast-lane-") and not holders[-1].startswith("fast-lane-"), claims
    assert history_statuses(job_id) == ["PENDING", "DOWNLOADING", "QUEUED", "TRANSCRIBING", "COMPLETED"]


def test_a_worker_that_died_is_not_counted_warm(runtime: Any) -> None:
    """ECS counts running tasks only; the local fleet too: a SIGKILLed worker is not warm, or the router
    would send jobs to a queue no worker reads (what a full-suite run after the fault tests hit)."""

    def running() -> int:
        services = aws.client("ecs").describe_services(
            cluster=resources.WORKER_CLUSTER, services=[resources.WORKER_SERVICE]
        )["services"]
        return int(services[0]["runningCount"])

    worker = runtime.start_worker()
    assert running() >= 1
    worker.kill()
    worker.wait()
    runtime.report_fleet()
    assert running() == 0
