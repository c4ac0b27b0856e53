"""The public HTTP API over real HTTP: uvicorn serving the FastAPI app in the local
runtime, in front of the real emulator, state machine, Lambdas and workers."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import srt
import webvtt

from tests import paths
from tests.support.api import client, new_key, upload, wait_for
from tests.support.audio import MEETING, word_error_rate
from tests.support.media_server import MediaServer, media_server
from tests.support.pipeline import wait_execution
from ytcaption import resources
from ytcaption.store import aws

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def acme(base_url: str) -> Iterator[httpx.Client]:
    with client(base_url, new_key("acme")) as api:
        yield api


@pytest.fixture(scope="module")
def globex(base_url: str) -> Iterator[httpx.Client]:
    with client(base_url, new_key("globex")) as api:
        yield api


@pytest.fixture(scope="module")
def anonymous(base_url: str) -> Iterator[httpx.Client]:
    with client(base_url, None) as api:
        yield api


@pytest.fixture(scope="module")
def server(speech_mp3: Path) -> Iterator[MediaServer]:
    with media_server() as srv:
        srv.serve_file("/talk.mp3", speech_mp3)
        yield srv


def _problem(answer: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = answer.json()
    assert body["status"] == status and body["code"] == code and body["type"] == f"/problems/{code}"
    assert body["title"] and body["detail"]
    assert "Traceback" not in answer.text
    return body


def _create(api: httpx.Client, url: str, headers: dict[str, str] | None = None, **options: Any) -> httpx.Response:
    return api.post("/v1/transcriptions", json={"source": {"url": url}, **options}, headers=headers or {})


# -- health and keys --------------------------------------------------------------


def test_health_needs_no_key(anonymous: httpx.Client) -> None:
    assert anonymous.get("/health/live").json() == {"status": "ok", "checks": {}}
    ready = anonymous.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"dynamodb": "ok", "s3": "ok", "sqs": "ok", "stepfunctions": "ok"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/transcriptions"),
        ("POST", "/v1/transcriptions"),
        ("GET", "/v1/transcriptions/job-0123456789abcdef01234567"),
        ("GET", "/v1/transcriptions/job-0123456789abcdef01234567/result"),
        ("GET", "/v1/transcriptions/job-0123456789abcdef01234567/events"),
        ("GET", "/v1/transcriptions/job-0123456789abcdef01234567/audio"),
        ("DELETE", "/v1/transcriptions/job-0123456789abcdef01234567"),
        ("POST", "/v1/uploads"),
        ("GET", "/v1/uploads/0123456789abcdef0123456789abcdef"),
    ],
)
def test_every_route_but_health_needs_a_key(base_url: str, method: str, path: str) -> None:
    body = {"source": {"url": "http://127.0.0.1:1/x.mp3"}} if path == "/v1/transcriptions" else None
    body = {"filename": "a.wav"} if path == "/v1/uploads" else body
    for key in (None, "ytc_not-a-real-key", "garbage"):
        with client(base_url, key) as api:
            answer = api.request(method, path, json=body)
        _problem(answer, 401, "unauthorized")


def test_cli_creates_a_working_key(runtime: Any, base_url: str) -> None:
    env = {**__import__("os").environ, "AWS_ENDPOINT_URL": runtime.endpoint}
    done = subprocess.run(
        [sys.executable, "-m", "ytcaption.cli", "keys", "create", "--tenant", "cli-made-tenant"],
        capture_output=True, text=True, env=env, timeout=60, check=True,
    )  # fmt: skip
    key = done.stdout.strip()
    assert key.startswith("ytc_") and len(key) > 40
    assert "cli-made-tenant" in done.stderr  # a tenant no other test uses: its list starts empty
    with client(base_url, key) as api:
        assert api.get("/v1/transcriptions").json() == {"items": [], "next_cursor": None}
    # Only a hash is stored: the key itself is nowhere in the table.
    items = aws.client("dynamodb").scan(TableName=resources.TABLE)["Items"]
    assert key not in json.dumps(items)
    bad = subprocess.run(
        [sys.executable, "-m", "ytcaption.cli", "keys", "create", "--tenant", "Not Valid"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert bad.returncode == 2 and "tenant" in bad.stderr


# -- validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"body.source"}),
        ({"source": {"url": "ftp://example.com/a.mp3"}}, {"body.source.url"}),
        ({"source": {"url": "https://youtu.be/x", "upload_id": "0" * 32}}, {"body.source"}),
        ({"source": {}}, {"body.source"}),
        ({"source": {"url": "https://youtu.be/x"}, "colour": "red"}, {"body.colour"}),
        ({"source": {"url": "https://youtu.be/x", "extra": 1}}, {"body.source.extra"}),
        ({"source": {"url": "https://youtu.be/x"}, "model": "gigantic"}, {"body.model"}),
        ({"source": {"url": "https://youtu.be/x"}, "language": "klingon!"}, {"body.language"}),
        ({"source": {"url": "https://youtu.be/x"}, "task": "summarise"}, {"body.task"}),
        (
            {"source": {"url": "https://youtu.be/x"}, "priority": "urgent", "vad": "maybe"},
            {"body.priority", "body.vad"},
        ),
        ({"source": {"upload_id": "../../etc"}}, {"body.source.upload_id"}),
    ],
)
def test_invalid_body_is_422_with_field_paths(acme: httpx.Client, body: dict[str, Any], fields: set[str]) -> None:
    problem = _problem(acme.post("/v1/transcriptions", json=body), 422, "validation-error")
    assert {e["field"] for e in problem["errors"]} == fields
    assert all(e["message"] and e["type"] for e in problem["errors"])


def test_malformed_json_and_bad_parameters_are_422(acme: httpx.Client) -> None:
    answer = acme.post("/v1/transcriptions", content=b"{not json", headers={"Content-Type": "application/json"})
    _problem(answer, 422, "validation-error")
    problem = _problem(acme.get("/v1/transcriptions", params={"limit": 0}), 422, "validation-error")
    assert [e["field"] for e in problem["errors"]] == ["query.limit"]
    problem = _problem(acme.get("/v1/transcriptions", params={"cursor": "bm90LWEtY3Vyc29y"}), 422, "validation-error")
    assert [e["field"] for e in problem["errors"]] == ["query.cursor"]
    _problem(acme.get("/v1/nothing-here"), 404, "not-found")
    _problem(acme.put("/v1/transcriptions"), 405, "method-not-allowed")


@pytest.mark.parametrize(
    "url",
    ["http://10.0.0.1/a.mp3", "http://169.254.169.254/latest/meta-data", "https://example.com/a.mp3"],
)
def test_urls_we_may_not_fetch_are_refused_before_a_job_exists(acme: httpx.Client, url: str) -> None:
    before = acme.get("/v1/transcriptions").json()["items"]
    problem = _problem(_create(acme, url), 422, "url-not-allowed")
    assert problem["errors"][0]["field"] == "body.source.url"
    assert acme.get("/v1/transcriptions").json()["items"] == before


# -- create, read, list, events, tenants ------------------------------------------------


def test_create_returns_202_with_location_and_the_job(acme: httpx.Client, server: MediaServer) -> None:
    answer = _create(
        acme, server.url("/missing.mp3"), model="tiny.en", language="en", priority="high",
        webhook_url="http://127.0.0.1:9/hook", notify_progress=True,
    )  # fmt: skip
    assert answer.status_code == 202, answer.text
    job = answer.json()
    assert answer.headers["location"] == f"/v1/transcriptions/{job['id']}" == job["links"]["self"]
    assert job["status"] == "PENDING" and job["progress"] == 0 and job["cache_hit"] is False
    assert job["source"] == {"type": "url", "url": server.url("/missing.mp3"), "upload_id": None, "filename": None}
    assert job["options"]["language"] == "en" and job["options"]["priority"] == "high"
    assert job["options"]["notify_progress"] is True and job["options"]["webhook_url"] == "http://127.0.0.1:9/hook"
    assert job["links"]["events"] == f"/v1/transcriptions/{job['id']}/events"

    # The source is missing: the job ends FAILED with a code and a reason.
    ended = wait_for(acme, job["id"])
    assert ended["status"] == "FAILED" and ended["error"]["code"] and ended["error"]["reason"]
    assert ended["links"]["result"] is None
    problem = _problem(acme.get(f"/v1/transcriptions/{job['id']}/result"), 409, "job-not-completed")
    assert problem["job_status"] == "FAILED"
    # The history item follows the job's own update (two writes): on a busy host a read can fall
    # between them, so the log is read until it has caught up, then judged.
    deadline = time.monotonic() + 10
    while True:
        events = acme.get(f"/v1/transcriptions/{job['id']}/events").json()["events"]
        statuses = [e for e in events if e["kind"] == "status"]  # webhook attempts to :9 may follow
        if statuses[-1]["status"] == "FAILED" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert statuses[0]["status"] == "PENDING"
    assert statuses[-1]["status"] == "FAILED" and statuses[-1]["event_type"] == "transcription.failed"
    _problem(acme.delete(f"/v1/transcriptions/{job['id']}"), 409, "job-already-ended")


def test_another_tenants_job_is_404(acme: httpx.Client, globex: httpx.Client, server: MediaServer) -> None:
    job_id = _create(acme, server.url("/missing.mp3")).json()["id"]
    for method, path in [
        ("GET", f"/v1/transcriptions/{job_id}"),
        ("GET", f"/v1/transcriptions/{job_id}/result"),
        ("GET", f"/v1/transcriptions/{job_id}/events"),
        ("DELETE", f"/v1/transcriptions/{job_id}"),
    ]:
        theirs = _problem(globex.request(method, path), 404, "not-found")
        missing = _problem(
            globex.request(method, path.replace(job_id, "job-ffffffffffffffffffffffff")), 404, "not-found"
        )
        assert theirs["detail"].replace(job_id, "X") == missing["detail"].replace("job-ffffffffffffffffffffffff", "X")
    assert job_id not in {j["id"] for j in globex.get("/v1/transcriptions").json()["items"]}
    assert acme.get(f"/v1/transcriptions/{job_id}").status_code == 200


def test_idempotent_retry_returns_the_same_job(acme: httpx.Client, server: MediaServer) -> None:
    key = {"Idempotency-Key": f"order-{time.time_ns()}"}
    first = _create(acme, server.url("/missing.mp3"), key, model="base")
    again = _create(acme, server.url("/missing.mp3"), key, model="base")
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert again.headers["location"] == first.headers["location"]
    # The same key with another body is a client error, never a second job.
    _problem(_create(acme, server.url("/missing.mp3"), key, model="small"), 422, "idempotency-key-mismatch")
    # Keys are per tenant: another body under a fresh key is a new job.
    other = _create(acme, server.url("/missing.mp3"), {"Idempotency-Key": f"{key['Idempotency-Key']}-2"})
    assert other.json()["id"] != first.json()["id"]
    _problem(_create(acme, server.url("/missing.mp3"), {"Idempotency-Key": "has space"}), 422, "validation-error")


def test_list_is_newest_first_with_cursor_pagination_and_a_status_filter(base_url: str, server: MediaServer) -> None:
    with client(base_url, new_key("lister")) as api:
        made = [_create(api, server.url(f"/missing-{i}.mp3")).json()["id"] for i in range(5)]
        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = api.get("/v1/transcriptions", params=params).json()
            assert len(page["items"]) <= 2
            seen += [item["id"] for item in page["items"]]
            pages += 1
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert seen == list(reversed(made)) and pages == 3
        for job_id in made:
            wait_for(api, job_id)
        api.delete(f"/v1/transcriptions/{_create(api, server.url('/missing-x.mp3')).json()['id']}")
        statuses = {
            status: [i["id"] for i in api.get("/v1/transcriptions", params={"status": status}).json()["items"]]
            for status in ("FAILED", "CANCELLED", "COMPLETED")
        }
        assert sorted(statuses["FAILED"]) == sorted(made)
        assert len(statuses["CANCELLED"]) == 1 and statuses["COMPLETED"] == []
        # A cursor handed to one tenant is no good to another.
        first = api.get("/v1/transcriptions", params={"limit": 1}).json()["next_cursor"]
    with client(base_url, new_key("lister-2")) as other:
        problem = _problem(other.get("/v1/transcriptions", params={"cursor": first}), 422, "validation-error")
        assert problem["errors"][0]["field"] == "query.cursor"


# -- limits -----------------------------------------------------------------------


def test_per_tenant_limits_answer_429_and_413(base_url: str, server: MediaServer) -> None:
    with client(base_url, new_key("busy", max_jobs_in_flight=0)) as busy:
        problem = _problem(_create(busy, server.url("/missing.mp3")), 429, "too-many-jobs-in-flight")
        assert "limit is 0" in problem["detail"]
        assert _create(busy, server.url("/missing.mp3")).headers["retry-after"] == "30"
        assert busy.get("/v1/transcriptions").json()["items"] == []
    with client(base_url, new_key("thrifty", max_audio_seconds_per_day=0)) as thrifty:
        _problem(_create(thrifty, server.url("/missing.mp3")), 429, "audio-quota-exceeded")
    with client(base_url, new_key("small-files", max_upload_bytes=1000)) as small:
        problem = _problem(
            small.post("/v1/uploads", json={"filename": "a.wav", "size_bytes": 5000}), 413, "upload-too-large"
        )
        assert problem["errors"][0]["field"] == "body.size_bytes"
        ticket = small.post("/v1/uploads", json={"filename": "a.wav"}).json()
        assert ticket["max_bytes"] == 1000
        policy = json.loads(__import__("base64").b64decode(ticket["fields"]["policy"]))
        assert ["content-length-range", 1, 1000] in policy["conditions"]


# -- the whole flow, with a worker ---------------------------------------------------


def test_upload_flow_then_results_in_every_format(acme: httpx.Client, worker: object, speech_mp3: Path) -> None:
    upload_id, job_id = upload(acme, speech_mp3, word_timestamps=True, language="en")
    job = wait_for(acme, job_id)
    assert job["status"] == "COMPLETED", job["error"]
    assert job["source"]["type"] == "upload" and job["source"]["upload_id"] == upload_id
    assert job["source"]["filename"] == speech_mp3.name
    assert job["options"]["word_timestamps"] is True and job["options"]["language"] == "en"
    assert job["progress"] == 100 and job["media"]["duration"] == pytest.approx(20, abs=3)
    assert job["started_at"] and job["finished_at"] and job["language"] == "en"
    assert set(job["links"]["result"]) == {"json", "txt", "srt", "vtt"}

    media_types = {"json": "application/json", "txt": "text/plain", "srt": "application/x-subrip", "vtt": "text/vtt"}
    bodies = {}
    for fmt, media_type in media_types.items():
        answer = acme.get(job["links"]["result"][fmt])
        assert answer.status_code == 200 and answer.headers["content-type"].startswith(media_type)
        bodies[fmt] = answer.text
    assert acme.get(f"/v1/transcriptions/{job_id}/result").headers["content-type"] == "application/json"
    document = json.loads(bodies["json"])
    assert word_error_rate(MEETING, document["text"]) <= 0.15
    cues = len(list(srt.parse(bodies["srt"])))
    assert cues >= len(document["segments"]) > 0  # shaped from the words
    assert len(webvtt.from_buffer(__import__("io").StringIO(bodies["vtt"]))) == cues
    _problem(acme.get(f"/v1/transcriptions/{job_id}/result", params={"format": "docx"}), 422, "validation-error")

    # Its audio: a redirect to a presigned GET (no key needed), or the link itself as JSON.
    audio = acme.get(f"/v1/transcriptions/{job_id}/audio")
    assert audio.status_code == 307
    fetched = httpx.get(audio.headers["location"])
    assert fetched.status_code == 200 and len(fetched.content) > 1000
    link = acme.get(f"/v1/transcriptions/{job_id}/audio", params={"redirect": "false"})
    assert link.status_code == 200 and set(link.json()) == {"url", "expires_at"}
    assert httpx.get(link.json()["url"], follow_redirects=True).content == fetched.content

    # The same upload through POST /v1/transcriptions is the same job, not a second one.
    again = acme.post("/v1/transcriptions", json={"source": {"upload_id": upload_id}})
    assert again.status_code == 202 and again.json()["id"] == job_id
    conflict = acme.post("/v1/transcriptions", json={"source": {"upload_id": upload_id}, "model": "base"})
    _problem(conflict, 409, "upload-options-conflict")
    status = acme.get(f"/v1/uploads/{upload_id}").json()
    assert status["status"] == "received" and status["transcription_id"] == job_id


def test_upload_not_yet_received_and_other_tenants_uploads(acme: httpx.Client, globex: httpx.Client) -> None:
    ticket = acme.post("/v1/uploads", json={"filename": "later.wav", "model": "tiny.en"}).json()
    assert ticket["key"] == f"uploads/acme/{ticket['upload_id']}/later.wav" and ticket["method"] == "POST"
    assert acme.get(f"/v1/uploads/{ticket['upload_id']}").json()["status"] == "awaiting_file"
    body = {"source": {"upload_id": ticket["upload_id"]}}
    _problem(acme.post("/v1/transcriptions", json=body), 409, "upload-not-received")
    _problem(globex.post("/v1/transcriptions", json=body), 404, "not-found")
    _problem(globex.get(f"/v1/uploads/{ticket['upload_id']}"), 404, "not-found")


def test_an_upload_is_registered_with_its_keys_size_limit(base_url: str) -> None:
    """Intake checks the arrived file against the registration: a key's own limit must be there."""
    from ytcaption.store.jobs import JobStore

    with client(base_url, new_key("roomy", max_upload_bytes=12_345)) as api:
        ticket = api.post("/v1/uploads", json={"filename": "big.wav"}).json()
    assert ticket["max_bytes"] == 12_345
    registration = JobStore(resources.TABLE).get_upload(ticket["upload_id"])
    assert registration is not None and registration["tenant"] == "roomy" and registration["max_bytes"] == 12_345


def test_url_job_then_an_identical_request_is_a_cache_hit(
    acme: httpx.Client, worker: object, server: MediaServer
) -> None:
    url = server.url("/talk.mp3")
    options = {"model": "tiny.en", "language": "en", "word_timestamps": False, "vad": True}
    first = wait_for(acme, _create(acme, url, **options).json()["id"])
    assert first["status"] == "COMPLETED", first["error"]
    assert first["media"]["title"] == "talk"
    downloads = server.requested("/talk.mp3")

    hit = _create(acme, url + "#t=10", priority="low", **options)  # a fragment and the priority change nothing
    assert hit.status_code == 202
    cached = hit.json()
    assert cached["id"] != first["id"] and cached["status"] == "COMPLETED" and cached["cache_hit"] is True
    assert cached["cached_from"] == first["id"] and cached["progress"] == 100
    assert acme.get(cached["links"]["result"]["txt"]).text == acme.get(first["links"]["result"]["txt"]).text
    events = acme.get(cached["links"]["events"]).json()["events"]
    assert [e["status"] for e in events] == ["PENDING", "COMPLETED"]
    assert server.requested("/talk.mp3") == downloads, "a cache hit downloads nothing"
    assert acme.get(f"/v1/transcriptions/{first['id']}/audio").status_code == 307
    _problem(acme.get(f"/v1/transcriptions/{cached['id']}/audio"), 404, "not-found")  # it fetched no audio

    # The flag turns it off; other options are another transcript.
    for fresh in (_create(acme, url, cache=False, **options), _create(acme, url, **{**options, "vad": False})):
        assert fresh.json()["cache_hit"] is False and fresh.json()["status"] == "PENDING"
        acme.delete(fresh.headers["location"])


def test_cancel_mid_transcription_stops_the_worker(
    runtime: Any, acme: httpx.Client, worker: subprocess.Popen[bytes], long_speech_wav: Path
) -> None:
    _, job_id = upload(acme, long_speech_wav)
    working = wait_for(acme, job_id, lambda j: j["status"] == "TRANSCRIBING" and j["progress"] >= 10, timeout=120)
    assert working["status"] == "TRANSCRIBING"
    _problem(acme.get(f"/v1/transcriptions/{job_id}/result"), 409, "job-not-completed")

    answer = acme.delete(f"/v1/transcriptions/{job_id}")
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "CANCELLED" and answer.json()["error"]["code"] == "CANCELLED"
    progress_at_cancel = answer.json()["progress"]

    execution = wait_execution(job_id, timeout=60)
    assert execution["status"] in {"ABORTED", "FAILED"}
    log_path = runtime.log_paths[worker.pid]
    deadline = time.monotonic() + 30

    def abandoned() -> bool:
        text = log_path.read_text(errors="replace")
        return job_id in text and ("no longer ours" in text or "abandoning the job" in text)

    while not abandoned() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert abandoned(), "the worker noticed and abandoned the job"
    time.sleep(1)
    final = acme.get(f"/v1/transcriptions/{job_id}").json()
    assert final["status"] == "CANCELLED" and final["progress"] == progress_at_cancel
    results = aws.client("s3").list_objects_v2(Bucket=resources.BUCKET, Prefix=f"results/{job_id}/")
    assert results["KeyCount"] == 0, "no result was written for a cancelled job"
    assert worker.poll() is None, "the worker lives on for the next job"
    _problem(acme.delete(f"/v1/transcriptions/{job_id}"), 409, "job-already-ended")


# -- the OpenAPI document -------------------------------------------------------------


def test_served_openapi_document_is_the_committed_one(anonymous: httpx.Client) -> None:
    committed = json.loads(paths.OPENAPI_PATH.read_text())
    assert anonymous.get("/openapi.json").json() == committed
