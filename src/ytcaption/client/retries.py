"""Retries with backoff: on 429 and 503 (as `Retry-After` says when the answer has it) and on
connection failures; every other answer is returned at once."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from ytcaption.client.errors import TransportError, error_for

log = logging.getLogger("ytcaption.client")

RETRYABLE_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry. A `Retry-After` longer than `max_wait` is not waited for:
    the error is raised with its `retry_after`."""

    attempts: int = 5
    backoff: float = 0.5  # the first wait without Retry-After; doubles each time (full jitter)
    max_backoff: float = 30.0
    max_wait: float = 120.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        return random.uniform(0, min(self.max_backoff, self.backoff * 2**attempt))


def retry_after(response: httpx.Response, now: datetime | None = None) -> float | None:
    """Seconds from the `Retry-After` header (delta-seconds or an HTTP date); None without one."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def send(
    client: httpx.Client,
    request: httpx.Request,
    policy: RetryPolicy,
    sleep: Callable[[float], None],
) -> httpx.Response:
    """The answer to the request, retried per the policy; raises the typed error of a 429/503 that
    outlasted the retries, TransportError when the API stayed unreachable."""
    for attempt in range(policy.attempts):
        last = attempt == policy.attempts - 1
        try:
            response = client.send(request)
        except httpx.TransportError as exc:
            if last:
                raise TransportError(f"cannot reach {request.url.host}: {type(exc).__name__}: {exc}") from exc
            wait = policy.delay(attempt, None)
            log.debug(
                "%s %s failed (%s); retrying in %.2f s", request.method, request.url.path, type(exc).__name__, wait
            )
            sleep(wait)
            continue
        if response.status_code not in RETRYABLE_STATUSES:
            return response
        response.read()
        after = retry_after(response)
        if last or (after is not None and after > policy.max_wait):
            raise error_for(response, after)
        wait = policy.delay(attempt, after)
        log.debug("%s %s answered %d; retrying in %.2f s", request.method, request.url.path, response.status_code, wait)
        response.close()
        sleep(wait)
    raise AssertionError("unreachable: the last attempt returns or raises")
