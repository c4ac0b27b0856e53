"""ytcaption.client.retries: 429 and 503 are retried as Retry-After says, against a real HTTP server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from tests.support.scripted_api import Answer, ScriptedApi, scripted_api
from ytcaption.api.problems import problem_body
from ytcaption.client import Client, RateLimited, RetryPolicy, TransportError, Unavailable
from ytcaption.client.retries import retry_after

BUSY = problem_body(429, "too-many-jobs-in-flight", "Too many transcriptions in progress.")
MODELS = {"default": "base", "served": None}


@pytest.fixture
def api() -> Iterator[ScriptedApi]:
    with scripted_api() as server:
        yield server


def _client(api: ScriptedApi, waits: list[float], **policy: float) -> Client:
    return Client(api.url, "ytc_secret", sleep=waits.append, retry=RetryPolicy(**policy))  # type: ignore[arg-type]


def test_a_429_is_retried_after_the_seconds_its_retry_after_says(api: ScriptedApi) -> None:
    api.on("/v1/models", Answer(429, BUSY, {"Retry-After": "3"}), Answer(200, MODELS))
    waits: list[float] = []
    with _client(api, waits) as client:
        assert client.models().default == "base"
    assert waits == [3.0]
    assert [seen.path for seen in api.seen] == ["/v1/models", "/v1/models"]


def test_a_503_with_an_http_date_waits_until_that_date(api: ScriptedApi) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    api.on(
        "/v1/models", Answer(503, problem_body(503, "unavailable", "busy"), {"Retry-After": when}), Answer(200, MODELS)
    )
    waits: list[float] = []
    with _client(api, waits) as client:
        client.models()
    assert len(waits) == 1 and 25 <= waits[0] <= 30


def test_without_retry_after_the_backoff_grows_and_the_last_answer_is_raised(api: ScriptedApi) -> None:
    api.on("/v1/models", Answer(503, problem_body(503, "unavailable", "DynamoDB is unavailable.")))
    waits: list[float] = []
    with _client(api, waits, attempts=4, backoff=1.0) as client, pytest.raises(Unavailable) as raised:
        client.models()
    assert raised.value.code == "unavailable" and raised.value.detail == "DynamoDB is unavailable."
    assert len(api.seen) == 4 and len(waits) == 3
    assert all(0 <= wait <= 2**n for n, wait in enumerate(waits))


def test_a_retry_after_beyond_the_patience_is_raised_with_its_seconds(api: ScriptedApi) -> None:
    api.on("/v1/models", Answer(429, BUSY, {"Retry-After": "3600"}))
    waits: list[float] = []
    with _client(api, waits) as client, pytest.raises(RateLimited) as raised:
        client.models()
    assert raised.value.retry_after == 3600 and waits == [] and len(api.seen) == 1


def test_an_unreachable_api_is_retried_then_raised() -> None:
    with scripted_api() as gone:
        url = gone.url
    waits: list[float] = []
    with (
        Client(url, "ytc_secret", sleep=waits.append, retry=RetryPolicy(attempts=3)) as client,
        pytest.raises(TransportError),
    ):
        client.models()
    assert len(waits) == 2


def test_retry_after_values() -> None:
    assert retry_after(httpx.Response(429, headers={"Retry-After": "7"})) == 7
    assert retry_after(httpx.Response(429)) is None
    assert retry_after(httpx.Response(429, headers={"Retry-After": "soon"})) is None
    past = format_datetime(datetime.now(UTC) - timedelta(minutes=1), usegmt=True)
    assert retry_after(httpx.Response(503, headers={"Retry-After": past})) == 0
