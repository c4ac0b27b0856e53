"""Hostile request bodies, written by hand, answered the same by both hosts of the API: over HTTP
(raw http.client to the local API) and in AWS mode (an API Gateway proxy event through the `api`
Lambda, Mangum): URL policy, content types, model names, the 422's shape, key lengths. Each refusal
creates no job."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.api import invoke_api_lambda, new_key, proxy_event
from tests.support.raw_http import post_json, send
from ytcaption import resources
from ytcaption.store import aws

pytestmark = pytest.mark.integration

RAW_LIBRARY_TEXT = ("Value error", "String should", "Input should", "should match", "pydantic", "\\u0007")


@pytest.fixture(scope="module")
def key(runtime: Any) -> str:
    return new_key("edges-api")


def _both(base_url: str, path: str, raw: bytes, key: str) -> list[tuple[int, dict[str, Any]]]:
    over_http = post_json(f"{base_url}{path}", raw, key)
    event = proxy_event("POST", path, headers={"X-Api-Key": key}, body=raw.decode(), public_root="")
    through_lambda = invoke_api_lambda(event)
    return [
        (over_http.status, json.loads(over_http.body)),
        (through_lambda["statusCode"], json.loads(through_lambda["body"])),
    ]


def _jobs(base_url: str, key: str) -> list[Any]:
    return list(json.loads(send("GET", f"{base_url}/v1/transcriptions", headers=[("X-Api-Key", key)]).body)["items"])


REFUSED = [
    # (path, raw body, code, field, words of the message)
    ("/v1/transcriptions", b'{"source": {"url": "http://127.0.0.1:9/a.mp3"}, "webhook_url": "https://[64:ff9b::a9fe:a9fe]/"}',
     "url-not-allowed", "body.webhook_url", "private or local"),  # NAT64 of the metadata service
    ("/v1/transcriptions", b'{"source": {"url": "http://127.0.0.1:9/a.mp3"}, "webhook_url": "https://[2002:a00:1::]/"}',
     "url-not-allowed", "body.webhook_url", "private or local"),  # 6to4 of 10.0.0.1
    ("/v1/transcriptions", b'{"source": {"url": "https://[64:ff9b::a00:1]/a.mp3"}}',
     "url-not-allowed", "body.source.url", "private or local"),
    ("/v1/uploads", b'{"filename": "a.mp3", "webhook_url": "https://[::ffff:169.254.169.254]/"}',
     "url-not-allowed", "body.webhook_url", "private or local"),
    ("/v1/uploads", b'{"filename": "a.mp3", "content_type": "audio/mpeg\\r\\nX-Injected: 1"}',
     "validation-error", "body.content_type", "audio or video media type"),
    ("/v1/uploads", b'{"filename": "a.mp3", "content_type": "text/html"}',
     "validation-error", "body.content_type", "audio or video media type"),
    ("/v1/transcriptions", b'{"source": {"url": "http://127.0.0.1:9/a.mp3"}, "prompt": "a\\u0007b"}',
     "validation-error", "body.prompt", "plain text"),
    ("/v1/transcriptions", b'{"source": {"url": "http://127.0.0.1:9/a.mp3"}, "model": "/etc"}',
     "validation-error", "body.model", "never a path"),
    ("/v1/uploads", b'{"filename": "a.mp3", "model": "../../models/x"}',
     "validation-error", "body.model", "never a path"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "raw", "code", "field", "says"), REFUSED)
def test_both_hosts_refuse_at_the_door_with_field_paths(
    base_url: str, key: str, path: str, raw: bytes, code: str, field: str, says: str
) -> None:
    for status, body in _both(base_url, path, raw, key):
        assert status == 422 and body["code"] == code, body
        errors = {e["field"]: e["message"] for e in body["errors"]}
        assert field in errors and says in errors[field], body
        said = json.dumps([body["detail"], *errors.values()])
        assert not any(text in said for text in RAW_LIBRARY_TEXT), said
    assert _jobs(base_url, key) == []


def test_a_long_file_name_makes_a_key_s3_takes_on_both_hosts(base_url: str, key: str) -> None:
    raw = json.dumps({"filename": "\U0001f600" * 251 + ".mp3"}).encode()  # 255 characters, 1,008 bytes
    for status, ticket in _both(base_url, "/v1/uploads", raw, key):
        assert status == 201, ticket
        assert len(ticket["key"].encode()) <= 1024 and ticket["key"].endswith(".mp3")
        assert ticket["fields"]["Content-Type"] == "audio/mpeg"  # from the name: bound by the policy


@pytest.fixture
def https_required() -> Iterator[None]:
    """The `api` Lambda as deployed in AWS: webhooks must be https (the test runtime allows http)."""
    lam = aws.client("lambda")
    name = resources.lambda_spec("api").function_name
    variables = dict(lam.get_function_configuration(FunctionName=name)["Environment"]["Variables"])
    lam.update_function_configuration(
        FunctionName=name, Environment={"Variables": {**variables, "YTC_WEBHOOK_REQUIRE_HTTPS": "true"}}
    )
    try:
        yield
    finally:
        lam.update_function_configuration(FunctionName=name, Environment={"Variables": variables})


@pytest.mark.usefixtures("https_required")
def test_an_http_webhook_is_refused_at_creation_where_https_is_required(base_url: str, key: str) -> None:
    for path, raw in [
        ("/v1/transcriptions", b'{"source": {"url": "http://127.0.0.1:9/a.mp3"}, "webhook_url": "http://hooks.example.com/in"}'),
        ("/v1/uploads", b'{"filename": "a.mp3", "webhook_url": "http://hooks.example.com/in"}'),
    ]:  # fmt: skip
        event = proxy_event("POST", path, headers={"X-Api-Key": key}, body=raw.decode(), public_root="")
        answer = invoke_api_lambda(event)
        body = json.loads(answer["body"])
        assert answer["statusCode"] == 422 and body["code"] == "url-not-allowed", body
        assert [e["field"] for e in body["errors"]] == ["body.webhook_url"] and "https" in body["detail"]
    assert _jobs(base_url, key) == []
