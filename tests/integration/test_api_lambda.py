"""The same requests as API Gateway proxy events through the deployed `api` Lambda
(Mangum in functions/api/handler.py) give the same answers as over HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.api import client, invoke_api_lambda, new_key, proxy_event

pytestmark = pytest.mark.integration

VOLATILE = {"date", "server", "content-length", "x-amzn-requestid"}


def _event(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    """As through a custom domain without a base path: the public paths are the app's own, the
    same as over HTTP, so the two answers compare equal (behind a stage the Lambda's links carry
    the stage: tests/cdk/test_api_stage.py)."""
    return proxy_event(method, path, public_root="", **kwargs)


@pytest.fixture(scope="module")
def keys(runtime: Any) -> dict[str, str]:
    return {"mine": new_key("lambda-a"), "theirs": new_key("lambda-b")}


@pytest.fixture(scope="module")
def http(runtime: Any, keys: dict[str, str]) -> Iterator[httpx.Client]:
    with client(str(runtime.api_url), None) as api:
        yield api


@pytest.fixture(scope="module")
def job_id(http: httpx.Client, keys: dict[str, str]) -> str:
    answer = http.post(
        "/v1/transcriptions",
        json={"source": {"url": "http://127.0.0.1:9/nothing.mp3"}},
        headers={"X-Api-Key": keys["mine"]},
    )
    assert answer.status_code == 202
    return str(answer.json()["id"])


def _compare(
    http: httpx.Client, method: str, path: str, *, key: str | None, query: Any = None, body: Any = None
) -> Any:
    headers = {"X-Api-Key": key} if key else {}
    over_http = http.request(method, path, params=query, json=body, headers=headers)
    through_lambda = invoke_api_lambda(_event(method, path, query=query, headers=headers, body=body))
    assert through_lambda["statusCode"] == over_http.status_code, through_lambda["body"]
    assert through_lambda["headers"]["content-type"] == over_http.headers["content-type"]
    for name, value in over_http.headers.items():
        if name not in VOLATILE:
            assert through_lambda["headers"].get(name) == value, name
    if over_http.headers["content-type"].startswith(("application/json", "application/problem+json")):
        import json

        return json.loads(through_lambda["body"]), over_http.json()
    return through_lambda["body"], over_http.text


@pytest.mark.parametrize(
    ("method", "path", "who", "query", "body"),
    [
        ("GET", "/health/live", None, None, None),
        ("GET", "/health/ready", None, None, None),
        ("GET", "/v1/transcriptions", None, None, None),
        ("GET", "/v1/transcriptions/{job}", "theirs", None, None),
        ("GET", "/v1/transcriptions/{job}/events", "theirs", None, None),
        ("POST", "/v1/transcriptions", "mine", None, {"source": {"url": "ftp://x"}, "colour": "red"}),
        ("POST", "/v1/transcriptions", "mine", None, {"source": {"url": "https://example.com/a.mp3"}}),
        ("GET", "/v1/transcriptions", "mine", {"limit": "0"}, None),
        ("GET", "/v1/transcriptions/{job}/result", "mine", {"format": "docx"}, None),
        ("GET", "/v1/nowhere", "mine", None, None),
    ],
)
def test_same_answers_through_mangum(
    http: httpx.Client,
    keys: dict[str, str],
    job_id: str,
    method: str,
    path: str,
    who: str | None,
    query: Any,
    body: Any,
) -> None:
    from_lambda, from_http = _compare(
        http, method, path.format(job=job_id), key=keys[who] if who else None, query=query, body=body
    )
    assert from_lambda == from_http


def test_job_reads_match_once_the_job_has_ended(http: httpx.Client, keys: dict[str, str], job_id: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = http.get(f"/v1/transcriptions/{job_id}", headers={"X-Api-Key": keys["mine"]}).json()["status"]
        if status in {"FAILED", "COMPLETED", "CANCELLED"}:
            break
        time.sleep(0.2)
    for path, query in [
        (f"/v1/transcriptions/{job_id}", None),
        (f"/v1/transcriptions/{job_id}/events", None),
        (f"/v1/transcriptions/{job_id}/result", {"format": "srt"}),
        ("/v1/transcriptions", {"limit": "5"}),
    ]:
        from_lambda, from_http = _compare(http, "GET", path, key=keys["mine"], query=query)
        assert from_lambda == from_http


def test_idempotency_holds_across_both_hosts(http: httpx.Client, keys: dict[str, str]) -> None:
    headers = {"X-Api-Key": keys["mine"], "Idempotency-Key": f"both-{time.time_ns()}"}
    body = {"source": {"url": "http://127.0.0.1:9/again.mp3"}, "model": "tiny.en"}
    through_lambda = invoke_api_lambda(_event("POST", "/v1/transcriptions", headers=headers, body=body))
    assert through_lambda["statusCode"] == 202
    over_http = http.post("/v1/transcriptions", json=body, headers=headers)
    assert over_http.status_code == 202 and over_http.headers["idempotent-replayed"] == "true"
    assert over_http.headers["location"] == through_lambda["headers"]["location"]
    cancelled = invoke_api_lambda(_event("DELETE", over_http.headers["location"], headers=headers))
    assert cancelled["statusCode"] in (200, 409)


def test_the_lambda_serves_the_web_page_under_its_stage(runtime: Any) -> None:
    """The page (no key) and its assets come from the `api` Lambda; behind a stage its links stay under it."""
    page = invoke_api_lambda(proxy_event("GET", "/"))
    assert page["statusCode"] == 200 and page["headers"]["content-type"].startswith("text/html")
    assert '<base href="/prod/">' in page["body"] and 'src="app/main.js"' in page["body"]
    script = invoke_api_lambda(proxy_event("GET", "/app/main.js"))
    assert script["statusCode"] == 200 and script["headers"]["content-type"].startswith("text/javascript")
    assert "sessionStorage" in script["body"]
    missing = invoke_api_lambda(proxy_event("GET", "/app/nothing.js"))
    assert missing["statusCode"] == 404 and missing["headers"]["content-type"] == "application/problem+json"
