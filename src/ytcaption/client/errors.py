"""What the client raises: the API's problem+json answers as typed errors, and the failures around them.

Match on the class or on `code` (stable, the last segment of the problem's `type`); `detail` is a
sentence for people and `errors` the field errors of a 422.
"""

from __future__ import annotations

import contextlib
from typing import Any

import httpx
from pydantic import ValidationError

from ytcaption.api.batch_schemas import Batch
from ytcaption.api.schemas import FieldError, Problem, Transcription


class ClientError(Exception):
    """Anything the client raises."""


class TransportError(ClientError):
    """The API could not be reached (connection refused, DNS, TLS, timeout), after the retries."""


class WaitTimeout(ClientError):
    """The transcription did not end in time; `last` is how it stood."""

    def __init__(self, last: Transcription, timeout: float) -> None:
        super().__init__(f"{last.id} is still {last.status} after {timeout:g} s")
        self.last = last


class BatchWaitTimeout(ClientError):
    """The batch did not end in time; `last` is how it stood."""

    def __init__(self, last: Batch, timeout: float) -> None:
        super().__init__(f"{last.id} is still {last.status} after {timeout:g} s")
        self.last = last


class ApiError(ClientError):
    """An error answer of the API (RFC 9457 problem details)."""

    def __init__(self, problem: Problem, retry_after: float | None = None) -> None:
        super().__init__(f"{problem.status} {problem.code}: {problem.detail}")
        self.problem = problem
        self.status = problem.status
        self.code = problem.code
        self.title = problem.title
        self.detail = problem.detail
        self.errors: list[FieldError] = problem.errors or []
        self.retry_after = retry_after


class BadRequest(ApiError):
    """400: the request could not be read."""


class Unauthorized(ApiError):
    """401: missing or invalid API key."""


class Forbidden(ApiError):
    """403: the key may not do that."""


class NotFound(ApiError):
    """404: no such resource (or another tenant's)."""


class Conflict(ApiError):
    """409: the resource's state does not allow it (e.g. cancelling an ended job, a result not ready)."""


class ValidationFailed(ApiError):
    """422: the request is not valid; `errors` names each field."""


class RateLimited(ApiError):
    """429: a per-tenant limit was reached and stayed reached through the retries."""


class Unavailable(ApiError):
    """503: a dependency of the API is unavailable, through the retries."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: ValidationFailed,
    429: RateLimited,
    503: Unavailable,
}


def problem_of(response: httpx.Response) -> Problem:
    """The answer's problem details; one made up from the status for an answer that has none
    (an API Gateway or proxy error page, say)."""
    body: Any = None
    with contextlib.suppress(ValueError):
        body = response.json()
    if isinstance(body, dict):
        try:
            return Problem.model_validate(body)
        except ValidationError:
            pass
        # API Gateway's own answers: {"message": "..."}
        message = body.get("message") if isinstance(body.get("message"), str) else None
    else:
        message = None
    code = response.reason_phrase.lower().replace(" ", "-") or f"http-{response.status_code}"
    detail = message or (response.text.strip()[:300] if response.text else "") or response.reason_phrase
    return Problem(
        type=f"/problems/{code}", title=response.reason_phrase, status=response.status_code, detail=detail, code=code
    )


def error_for(response: httpx.Response, retry_after: float | None = None) -> ApiError:
    problem = problem_of(response)
    return _BY_STATUS.get(response.status_code, ApiError)(problem, retry_after)
