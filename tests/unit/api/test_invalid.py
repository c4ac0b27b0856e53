"""Every 422 names each invalid field by its path with a plain sentence: no pydantic text, no echo of
the value sent (raw bodies, as a client that skips every check would send them)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.unit.api.test_app import _Keys
from ytcaption.api.app import create_app
from ytcaption.api.deps import get_service

RAW_LIBRARY_TEXT = ("Value error", "String should", "Input should", "should match", "pydantic", "type=", "\\u0007")


@pytest.fixture
def api() -> TestClient:
    app = create_app()
    app.dependency_overrides[get_service] = _Keys
    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    ("raw", "field", "says"),
    [
        (b'{"source": {"url": "https://a.example/x"}, "prompt": "a\\u0007b"}', "body.prompt", "plain text"),
        (b'{"source": {"url": "javascript:alert(1)"}}', "body.source.url", "http or https URL"),
        (b'{"source": {"upload_id": "../../etc"}}', "body.source.upload_id", "upload id"),
        (b'{"source": {"url": "https://a.example/x"}, "model": "/etc"}', "body.model", "never a path"),
        (b'{"source": {"url": "https://a.example/x"}, "priority": "urgent"}', "body.priority", "one of: low"),
        (b'{"source": {"url": "https://a.example/x"}, "colour": "red"}', "body.colour", "not a field"),
        (b'{"source": {"url": "https://a.example/x"}, "vad": "perhaps"}', "body.vad", "true or false"),
        (b'{"source": ', "body", "not valid JSON"),
    ],
)
def test_a_422_has_field_paths_and_plain_messages(api: TestClient, raw: bytes, field: str, says: str) -> None:
    answer = api.post(
        "/v1/transcriptions", content=raw, headers={"X-Api-Key": "ytc_good", "Content-Type": "application/json"}
    )
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["code"] == "validation-error"
    errors = {e["field"]: e["message"] for e in body["errors"]}
    assert field in errors and says in errors[field], errors
    text = json.dumps([body["detail"], *errors.values()])
    assert not any(raw_text in text for raw_text in RAW_LIBRARY_TEXT), text


def test_an_upload_request_with_a_path_as_model_is_refused_at_the_door(api: TestClient) -> None:
    answer = api.post("/v1/uploads", json={"filename": "a.mp3", "model": "/etc"}, headers={"X-Api-Key": "ytc_good"})
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["body.model"]
