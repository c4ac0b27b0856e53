"""The 422s the API raises by its own rules (not a request model's) have the shape of every other 422
(api.invalid.validation_problem): code `validation-error`, one error naming its field by path with a
plain message, and a `detail` that reads "field: message"; over the real HTTP API, on real stored jobs."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.support.api import client, new_key
from tests.support.results import completed_job

pytestmark = pytest.mark.integration

TENANT = "field-problems"


def _transcript(speakers: bool) -> bytes:
    segments = [
        {"id": i, "start": i * 2.0, "end": i * 2.0 + 2.0, "text": text, **({"speaker": label} if speakers else {})}
        for i, (label, text) in enumerate([("Speaker 1", "Hello there."), ("Speaker 2", "Hi, how are you?")])
    ]
    return json.dumps({"language": "en", "language_probability": 1.0, "duration": 4.0, "model": "tiny.en",
                       "segments": segments}).encode()  # fmt: skip


@pytest.fixture(scope="module")
def api(runtime: Any) -> Any:
    with client(str(runtime.api_url), new_key(TENANT)) as http:
        yield http


def _field_problem(answer: httpx.Response, field: str, says: str) -> None:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["code"] == "validation-error" and body["title"] == "The request is not valid"
    (error,) = body["errors"]
    assert set(error) == {"field", "message", "type"} and error["field"] == field and says in error["message"]
    assert body["detail"] == f"{field}: {error['message']}"


def test_a_bad_idempotency_key_names_its_header(api: httpx.Client) -> None:
    for path, payload in (("/v1/transcriptions", {"source": {"url": "https://example.com/a.mp3"}}),
                          ("/v1/batches", {"url": "https://example.com/feed.xml"})):  # fmt: skip
        answer = api.post(path, json=payload, headers={"Idempotency-Key": "has space"})
        _field_problem(answer, "header.Idempotency-Key", "printable ASCII")


def test_naming_speakers_of_a_transcript_without_them_or_a_label_it_lacks(api: httpx.Client) -> None:
    plain = completed_job(TENANT, {"json": _transcript(speakers=False)})
    answer = api.patch(f"/v1/transcriptions/{plain}", json={"speakers": {"Speaker 1": "Ann"}})
    _field_problem(answer, "body.speakers", "the transcript was made without 'speakers'; it has no labels to name")
    labelled = completed_job(TENANT, {"json": _transcript(speakers=True)})
    answer = api.patch(f"/v1/transcriptions/{labelled}", json={"speakers": {"Speaker 9": "Zed"}})
    _field_problem(answer, "body.speakers", "Speaker 9")


def test_subtitle_settings_on_a_format_that_has_none(api: httpx.Client) -> None:
    job_id = completed_job(TENANT, {"json": _transcript(speakers=False), "txt": b"Hello there. Hi, how are you?"})
    answer = api.get(f"/v1/transcriptions/{job_id}/result", params={"format": "txt", "max_line_chars": "30"})
    _field_problem(answer, "query.format", "srt or vtt")
