"""Problem details (RFC 9457): every error the API answers, with a stable code.

The `type` is a URI reference ``/problems/<code>``; clients match on `code` (or
`type`), never on `detail`, which is a sentence for people.
"""

from __future__ import annotations

from typing import Any

PROBLEM_MEDIA_TYPE = "application/problem+json"

TITLES: dict[str, str] = {
    "result-too-large": "Too large to render through the API",
    "bad-request": "The request cannot be read",
    "unauthorized": "Missing or invalid API key",
    "forbidden": "This API key may not do that",
    "not-found": "Not found",
    "method-not-allowed": "Method not allowed",
    "validation-error": "The request is not valid",
    "url-not-allowed": "The URL cannot be fetched",
    "model-not-served": "No worker of this deployment serves that model",
    "speakers-not-served": "No worker of this deployment labels speakers",
    "idempotency-key-mismatch": "Idempotency key reused with a different request",
    "job-not-completed": "The transcription has not completed",
    "job-already-ended": "The transcription has already ended",
    "job-not-failed": "Only a FAILED transcription can be redriven",
    "job-still-finishing": "The transcription's failed run is still finishing",
    "upload-not-received": "The upload has not arrived yet",
    "upload-options-conflict": "The upload was registered with other options",
    "too-many-jobs-in-flight": "Too many transcriptions in progress",
    "audio-quota-exceeded": "Daily audio quota used up",
    "use-batches": "This URL lists many media: request a batch",
    "batch-too-large": "More entries than this key may put in one batch",
    "too-many-batch-entries": "Too many batch entries in progress",
    "batch-already-ended": "The batch has already ended",
    "upload-too-large": "The file is too large",
    "not-acceptable": "Unsupported result format",
    "unavailable": "A dependency is unavailable",
    "internal-error": "Internal error",
}


def problem_type(code: str) -> str:
    return f"/problems/{code}"


class ApiProblem(Exception):
    """Raised anywhere in a request; the app answers it as application/problem+json."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra

    def body(self, instance: str | None = None) -> dict[str, Any]:
        return problem_body(self.status, self.code, self.detail, instance, **self.extra)


def problem_body(status: int, code: str, detail: str, instance: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": TITLES.get(code, code.replace("-", " ").capitalize()),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


_DESCRIPTIONS = {
    400: "Bad request",
    401: "Missing or invalid API key",
    403: "The API key is not an admin key",
    404: "Not found (or another tenant's)",
    409: "Conflict with the resource's state",
    413: "Too large",
    422: "Invalid request, with field paths",
    429: "A per-tenant limit was reached",
    503: "A dependency is unavailable",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` of a route for the problems it may answer."""
    return {
        status: {
            "description": _DESCRIPTIONS.get(status, "Error"),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
