"""ytcaption.client against the local runtime's HTTP API (uvicorn, the real emulator, state machine,
Lambdas, live WebSocket and a Whisper worker): what a tenant's program does with it."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import srt
import webvtt

from tests.support.api import new_key
from tests.support.audio import MEETING, word_error_rate
from tests.support.media_server import MediaServer
from ytcaption.client import Client, Conflict, NotFound, Transcription, Unauthorized, ValidationFailed

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def key() -> str:
    return new_key("client-acme")


@pytest.fixture(scope="module")
def api(base_url: str, key: str) -> Iterator[Client]:
    with Client(base_url, key) as client:
        yield client


def test_a_file_job_uploaded_and_followed_live(
    api: Client, key: str, worker: object, speech_wav: Path, client_log: pytest.LogCaptureFixture
) -> None:
    caplog = client_log
    sent: list[tuple[int, int]] = []
    job = api.create_from_file(speech_wav, {"word_timestamps": True}, on_progress=lambda *p: sent.append(p))
    assert sent[-1] == (speech_wav.stat().st_size,) * 2
    assert job.source.type == "upload" and job.source.filename == "meeting.wav" and job.options.word_timestamps
    seen: list[Transcription] = []
    done = api.wait(job.id, timeout=300, on_update=seen.append)
    assert done.status == "COMPLETED" and seen[-1].status == "COMPLETED"
    # Followed over the WebSocket, not by polling (the wait says so when it falls back).
    assert "live updates unavailable" not in caplog.text
    assert any(r.name.startswith("ytcaption.client.live.socket") for r in caplog.records)
    assert key not in caplog.text
    assert word_error_rate(MEETING, api.result(job.id, "txt")) <= 0.15
    assert len(list(srt.parse(api.result(job.id, "srt")))) >= 3
    assert len(webvtt.from_buffer(io.StringIO(api.result(job.id, "vtt")))) >= 3
    transcript = json.loads(api.result(job.id, "json"))
    assert transcript["segments"] and transcript["segments"][0].get("words")
    statuses = [event.status for event in api.events(job.id).events if event.kind == "status"]
    assert statuses[-1] == "COMPLETED" and "QUEUED" in statuses


def test_listing_follows_cursors_and_keeps_to_the_tenant(api: Client, base_url: str, talk_server: MediaServer) -> None:
    made = [api.create_from_url(talk_server.url(f"/talk.mp3?n={n}"), {"priority": "low"}).id for n in range(3)]
    page = api.list(limit=2)
    assert len(page.items) == 2 and page.next_cursor
    every = [job.id for job in api.iter_all(page_size=2)]
    assert set(made) <= set(every) and len(every) == len(set(every))
    with Client(base_url, new_key("client-globex")) as other:
        assert other.list().items == []
        with pytest.raises(NotFound) as hidden:
            other.get(made[0])
    assert hidden.value.code == "not-found"
    for job_id in made:
        assert api.cancel(job_id).status == "CANCELLED"


def test_a_cancelled_job_and_a_second_cancel(api: Client, talk_server: MediaServer) -> None:
    job = api.create_from_url(talk_server.url("/talk.mp3?cancel"), cache=False)
    assert api.cancel(job.id).status == "CANCELLED"
    assert api.wait(job.id, timeout=60).status == "CANCELLED"
    with pytest.raises(Conflict) as again:
        api.cancel(job.id)
    assert again.value.code == "job-already-ended" and again.value.problem.job_status == "CANCELLED"


def test_the_apis_refusals_are_typed(api: Client, base_url: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        api.create_from_url("https://example.com/talk.mp3")
    assert refused.value.code == "url-not-allowed" and refused.value.status == 422
    with Client(base_url, "ytc_not-a-key") as stranger, pytest.raises(Unauthorized) as unknown:
        stranger.list()
    assert unknown.value.code == "unauthorized" and "ytc_not-a-key" not in str(unknown.value)
