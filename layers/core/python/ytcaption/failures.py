"""Turn a state machine error (Error + Cause) into a job's code and reason."""

from __future__ import annotations

import json
from typing import Any

from ytcaption.errors import ErrorCode

_TIMEOUTS = {"States.Timeout", "States.HeartbeatTimeout"}


def describe(error: dict[str, Any]) -> tuple[ErrorCode, str]:
    name = str(error.get("Error") or "")
    cause = str(error.get("Cause") or "")
    if name in _TIMEOUTS:
        return (
            ErrorCode.WORKER_TIMEOUT,
            "No Whisper worker finished the job in time: the worker stopped responding and a retry did not help.",
        )
    message = _lambda_message(cause)
    if message:
        code, _, reason = message.partition(": ")
        if code in ErrorCode.__members__ and reason:
            return ErrorCode(code), reason
    if name in ErrorCode.__members__:
        return ErrorCode(name), cause or "The worker reported this error."
    detail = message or cause or name or "unknown error"
    return ErrorCode.INTERNAL_ERROR, f"An internal error stopped the job ({name}: {detail[:300]})."


def _lambda_message(cause: str) -> str:
    """A Lambda error's Cause is the JSON {errorMessage, errorType, ...}."""
    try:
        data = json.loads(cause)
    except ValueError:
        return ""
    return str(data.get("errorMessage", "")) if isinstance(data, dict) else ""
