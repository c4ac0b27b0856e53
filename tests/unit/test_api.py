"""The API's pure parts: request schemas, problem details, cursors, cache identity,
key hashing, and the committed OpenAPI document."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from tests import paths
from ytcaption.api.app import create_app
from ytcaption.api.cursors import decode_cursor, encode_cursor
from ytcaption.api.deps import get_service
from ytcaption.api.presenters import to_transcription
from ytcaption.api.problems import ApiProblem
from ytcaption.api.schemas import TranscriptionRequest
from ytcaption.api.service import cache_key, fingerprint
from ytcaption.domain.ids import idempotent_job_id
from ytcaption.domain.job import Job
from ytcaption.domain.options import JobOptions
from ytcaption.domain.sites import source_identity
from ytcaption.store.apikeys import ApiKey, key_hash, new_key, valid_tenant


def test_committed_openapi_document_is_the_apps() -> None:
    """Regenerate with: .venv/bin/python -m ytcaption.api.app openapi.json"""
    committed = json.loads(paths.OPENAPI_PATH.read_text())
    assert committed == json.loads(json.dumps(create_app().openapi()))


@pytest.mark.parametrize(
    ("url", "identity"),
    [
        ("https://www.youtube.com/watch?v=abc123&t=42", "youtube:abc123"),
        ("https://youtu.be/abc123?si=share", "youtube:abc123"),
        ("https://m.youtube.com/shorts/abc123", "youtube:abc123"),
        ("https://www.youtube-nocookie.com/embed/abc123", "youtube:abc123"),
        ("HTTP://Example.COM/a.mp3#frag", "http://example.com/a.mp3"),
        ("http://127.0.0.1:8080/a.mp3?x=1", "http://127.0.0.1:8080/a.mp3?x=1"),
    ],
)
def test_source_identity(url: str, identity: str) -> None:
    assert source_identity(url) == identity


def test_cache_key_ignores_priority_and_webhook_but_not_the_transcript_options() -> None:
    base = JobOptions(model="base")
    same = JobOptions(model="base", priority="high", webhook_url="https://hooks.example.com/x")
    assert cache_key("t", "youtube:a", base) == cache_key("t", "youtube:a", same)
    assert cache_key("t", "youtube:a", base) != cache_key("t", "youtube:a", JobOptions(model="base", vad=False))
    assert cache_key("t", "youtube:a", base) != cache_key("u", "youtube:a", base)


@given(st.text(min_size=1, max_size=30))
def test_cursor_round_trip_and_tenant_binding(sk: str) -> None:
    key = {"pk": f"JOB#{sk}", "sk": "JOB", "gsi1pk": "TENANT#acme", "gsi1sk": f"2026-01-01T00:00:00.000Z#{sk}"}
    assert decode_cursor(encode_cursor(key), "acme") == key
    with pytest.raises(ApiProblem) as caught:
        decode_cursor(encode_cursor(key), "globex")
    assert caught.value.status == 422


@pytest.mark.parametrize("cursor", ["", "!!!", "bm9wZQ", encode_cursor({"pk": 1})])
def test_garbage_cursors_are_422(cursor: str) -> None:
    with pytest.raises(ApiProblem):
        decode_cursor(cursor, "acme")


def test_keys_are_random_and_hashed() -> None:
    a, b = new_key(), new_key()
    assert a != b and a.startswith("ytc_") and len(a) >= 40
    assert key_hash(a) != key_hash(b) and len(key_hash(a)) == 64
    assert key_hash(a, "pepper") != key_hash(a) and key_hash(a, "pepper") == key_hash(a, "pepper")
    assert valid_tenant("acme-co_2") and not valid_tenant("Acme") and not valid_tenant("a/b") and not valid_tenant("")


def test_idempotency_and_fingerprints() -> None:
    assert idempotent_job_id("a", "k") == idempotent_job_id("a", "k") != idempotent_job_id("b", "k")
    one = TranscriptionRequest.model_validate({"source": {"url": "https://youtu.be/x"}})
    explicit = TranscriptionRequest.model_validate({"source": {"url": "https://youtu.be/x"}, "vad": True})
    other = TranscriptionRequest.model_validate({"source": {"url": "https://youtu.be/x"}, "vad": False})
    assert fingerprint(one) == fingerprint(explicit) != fingerprint(other)


def test_presentation_of_an_upload_job() -> None:
    item: dict[str, Any] = {
        "job_id": "job-1",
        "tenant": "acme",
        "status": "COMPLETED",
        "progress": 100,
        "source": {"type": "s3", "bucket": "b", "key": "uploads/acme/0123/talk.mp4"},
        "options": JobOptions().model_dump(),
        "created_at": "2026-01-01T00:00:00.000Z",
        "media": {"duration": 12.5, "codec": "aac"},
        "language": "en",
    }
    out = to_transcription(Job.model_validate(item), "/prod")
    assert out.source.type == "upload" and out.source.upload_id == "0123" and out.source.filename == "talk.mp4"
    assert out.media is not None and out.media.duration == 12.5 and out.media.extra == {"codec": "aac"}
    assert out.links.self == "/prod/v1/transcriptions/job-1"
    assert out.links.result is not None and out.links.result.srt.endswith("result?format=srt")
    assert out.options.language == "auto" and out.error is None


class _Keys:
    def authenticate(self, key: str | None) -> ApiKey:
        if key != "ytc_good":
            raise ApiProblem(401, "unauthorized", "no")
        return ApiKey(key_id="k", tenant="acme")

    def visible_job(self, caller: ApiKey, job_id: str) -> Job:
        raise RuntimeError("boom: secret detail")


@pytest.fixture
def app_client() -> TestClient:
    app = create_app()
    app.dependency_overrides[get_service] = _Keys
    return TestClient(app, raise_server_exceptions=False)


def test_validation_errors_carry_field_paths(app_client: TestClient) -> None:
    answer = app_client.post(
        "/v1/transcriptions",
        json={"source": {"url": "nope", "upload_id": "x"}, "extra": 1},
        headers={"X-Api-Key": "ytc_good"},
    )
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    fields = {e["field"] for e in answer.json()["errors"]}
    assert fields == {"body.source.url", "body.source.upload_id", "body.extra"}


def test_unexpected_errors_are_a_500_problem_without_a_trace(app_client: TestClient) -> None:
    answer = app_client.get("/v1/transcriptions/job-1", headers={"X-Api-Key": "ytc_good"})
    assert answer.status_code == 500 and answer.json()["code"] == "internal-error"
    assert "boom" not in answer.text and "Traceback" not in answer.text
    assert app_client.get("/v1/transcriptions/job-1").json()["code"] == "unauthorized"
