"""ytcaption.client.Client against a scripted API on 127.0.0.1: what it sends, what it returns."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.scripted_api import Answer, ScriptedApi, scripted_api
from ytcaption.api.presenters import to_transcription
from ytcaption.api.problems import problem_body
from ytcaption.client import Client, Conflict, Transcription, Unauthorized, ValidationFailed, WaitTimeout
from ytcaption.domain.job import Job
from ytcaption.domain.options import JobOptions

KEY = "ytc_k3y-that-must-never-be-logged"


def _job(job_id: str = "job-1", status: str = "QUEUED", progress: int = 0) -> dict[str, Any]:
    job = Job.model_validate(
        {
            "job_id": job_id,
            "tenant": "acme",
            "status": status,
            "progress": progress,
            "source": {"type": "url", "url": "https://example.com/talk.mp3"},
            "options": JobOptions().model_dump(),
            "created_at": "2026-01-01T00:00:00.000Z",
        }
    )
    return to_transcription(job, "").model_dump(mode="json", by_alias=True)


@pytest.fixture
def api() -> Iterator[ScriptedApi]:
    with scripted_api() as server:
        yield server


@pytest.fixture
def client(api: ScriptedApi) -> Iterator[Client]:
    waits: list[float] = []
    with Client(api.url, KEY, sleep=waits.append) as made:
        yield made


def test_create_sends_only_the_options_given_with_an_idempotency_key(api: ScriptedApi, client: Client) -> None:
    api.on("/v1/transcriptions", Answer(202, _job()))
    job = client.create_from_url("https://example.com/talk.mp3", {"task": "translate", "vad": False})
    assert isinstance(job, Transcription) and job.id == "job-1"
    sent = api.seen[-1]
    assert json.loads(sent.body) == {
        "source": {"url": "https://example.com/talk.mp3"},
        "cache": True,
        "task": "translate",
        "vad": False,
    }
    assert sent.headers["x-api-key"] == KEY and len(sent.headers["idempotency-key"]) == 32


def test_options_are_checked_before_anything_is_sent(api: ScriptedApi, client: Client) -> None:
    with pytest.raises(ValueError, match="priority"):
        client.create_from_url("https://example.com/talk.mp3", {"priority": "urgent"})
    assert api.seen == []


def test_a_422_of_the_api_is_raised_with_its_field_errors(api: ScriptedApi, client: Client) -> None:
    errors = [{"field": "body.source.url", "message": "URL not allowed", "type": "value_error"}]
    api.on("/v1/transcriptions", Answer(422, problem_body(422, "url-not-allowed", "No.", errors=errors)))
    with pytest.raises(ValidationFailed) as raised:
        client.create_from_url("https://example.com/x")
    assert raised.value.code == "url-not-allowed" and raised.value.errors[0].field == "body.source.url"


def test_iter_all_follows_the_cursors(api: ScriptedApi, client: Client) -> None:
    api.on(
        "/v1/transcriptions",
        Answer(200, {"items": [_job("job-3"), _job("job-2")], "next_cursor": "c1"}),
        Answer(200, {"items": [_job("job-1")], "next_cursor": None}),
    )
    assert [job.id for job in client.iter_all(status="QUEUED", page_size=2)] == ["job-3", "job-2", "job-1"]
    assert [seen.path for seen in api.seen] == [
        "/v1/transcriptions?limit=2&status=QUEUED",
        "/v1/transcriptions?limit=2&status=QUEUED&cursor=c1",
    ]


def test_result_passes_extra_query_parameters_and_follows_a_redirect_without_the_key(
    api: ScriptedApi, client: Client
) -> None:
    storage = f"{api.url}/storage/results/job-1/transcript.srt?X-Amz-Signature=abc"
    api.on("/v1/transcriptions/job-1/result", Answer(303, b"", {"Location": storage}))
    api.on(
        "/storage/results/job-1/transcript.srt",
        Answer(200, b"1\n00:00:00,000 --> 00:00:01,000\nHi\n", {}, "text/plain"),
    )
    assert client.result("job-1", "srt", max_line_chars=32, lines=None).startswith("1\n00:00:00,000")
    asked, fetched = api.seen
    assert asked.path == "/v1/transcriptions/job-1/result?format=srt&max_line_chars=32"
    assert fetched.path.startswith("/storage/") and "x-api-key" not in fetched.headers


def test_cancelling_an_ended_job_is_a_conflict(api: ScriptedApi, client: Client) -> None:
    api.on("/v1/transcriptions/job-1", Answer(409, problem_body(409, "job-already-ended", "It completed.")))
    with pytest.raises(Conflict) as raised:
        client.cancel("job-1")
    assert raised.value.code == "job-already-ended" and api.seen[0].method == "DELETE"


def test_create_from_file_posts_the_file_to_the_ticket_and_reports_progress(
    api: ScriptedApi, client: Client, tmp_path: Path
) -> None:
    media = tmp_path / "talk.mp3"
    media.write_bytes(b"\xff\xfb" * 100_000)
    ticket = {
        "upload_id": "0" * 32,
        "url": f"{api.url}/bucket",
        "fields": {"key": "uploads/acme/x/talk.mp3", "policy": "p"},
        "key": "uploads/acme/x/talk.mp3",
        "max_bytes": 10**9,
        "expires_at": "2026-01-01T01:00:00Z",
        "links": {"self": f"/v1/uploads/{'0' * 32}"},
    }
    api.on("/v1/uploads", Answer(201, ticket))
    api.on("/bucket", Answer(204, b""))
    waiting = {"upload_id": "0" * 32, "status": "awaiting_file", "links": {}}
    received = {**waiting, "status": "received", "transcription_id": "job-7"}
    api.on(f"/v1/uploads/{'0' * 32}", Answer(200, waiting), Answer(200, received))
    api.on("/v1/transcriptions/job-7", Answer(200, _job("job-7")))
    progress: list[tuple[int, int]] = []
    job = client.create_from_file(
        media, {"language": "en"}, on_progress=lambda sent, total: progress.append((sent, total))
    )
    assert job.id == "job-7"
    asked, posted = api.seen[0], api.seen[1]
    assert json.loads(asked.body) == {
        "filename": "talk.mp3",
        "size_bytes": 200_000,
        "content_type": "audio/mpeg",
        "language": "en",
    }
    assert "x-api-key" not in posted.headers and posted.headers["content-type"].startswith("multipart/form-data")
    assert posted.body.index(b'name="key"') < posted.body.index(b'name="file"')
    assert progress[-1] == (200_000, 200_000) and len(progress) > 1


def test_wait_polls_when_no_live_socket_answers(api: ScriptedApi, client: Client) -> None:
    api.on(
        "/v1/transcriptions/job-1",
        Answer(200, _job(status="QUEUED")),
        Answer(200, _job(status="TRANSCRIBING", progress=40)),
        Answer(200, _job(status="TRANSCRIBING", progress=40)),
        Answer(200, _job(status="COMPLETED", progress=100)),
    )
    seen: list[tuple[str, int]] = []
    job = client.wait("job-1", on_update=lambda j: seen.append((j.status, j.progress)))
    assert job.status == "COMPLETED"
    assert seen == [("QUEUED", 0), ("TRANSCRIBING", 40), ("COMPLETED", 100)]
    assert any(s.path.startswith("/v1/live") for s in api.seen)  # tried, refused (404): polled


def test_wait_gives_up_at_its_timeout(api: ScriptedApi) -> None:
    api.on("/v1/transcriptions/job-1", Answer(200, _job(status="QUEUED")))
    with Client(api.url, KEY, sleep=lambda _: None) as client, pytest.raises(WaitTimeout) as raised:
        client.wait("job-1", timeout=0.5, use_live=False, poll_interval=1)
    assert raised.value.last.status == "QUEUED"


def test_the_key_is_never_logged(api: ScriptedApi, client_log: pytest.LogCaptureFixture) -> None:
    caplog = client_log  # every logger at DEBUG: ours, httpx, httpcore, websockets
    api.on(
        "/v1/models", Answer(429, {"code": "x"}, {"Retry-After": "0"}), Answer(200, {"default": "base", "served": None})
    )
    api.on("/v1/transcriptions/job-1", Answer(401, problem_body(401, "unauthorized", "Missing or invalid API key.")))
    with Client(api.url, KEY, sleep=lambda _: None) as client:
        client.models()
        with pytest.raises(Unauthorized) as raised:
            client.wait("job-1")
        assert KEY not in repr(client)
    assert KEY not in str(raised.value)
    assert {"httpx", "httpcore.connection", "ytcaption.client"} <= {r.name for r in caplog.records}
    assert KEY not in caplog.text


def test_the_live_socket_logs_its_url_without_the_key(api: ScriptedApi, client_log: pytest.LogCaptureFixture) -> None:
    from ytcaption.client import live

    caplog = client_log
    with pytest.raises(live.LiveUnavailable):
        live.wait(
            api.url.replace("http", "ws") + "/v1/live", KEY, "job-1", lambda: Transcription.model_validate(_job()), 0
        )
    assert any(r.name.startswith("ytcaption.client.live") for r in caplog.records)
    assert KEY not in caplog.text
