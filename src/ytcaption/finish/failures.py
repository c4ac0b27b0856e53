"""Turn a state machine error (Error + Cause) into a job's code and reason."""

from __future__ import annotations

import json

from ytcaption.domain.errors import ErrorCode
from ytcaption.domain.job import JobStatus
from ytcaption.domain.steps import StepError
from ytcaption.store.jobs import JobStore

_TIMEOUTS = {"States.Timeout", "States.HeartbeatTimeout"}


def describe(error: StepError) -> tuple[ErrorCode, str]:
    name, cause = error.error, error.cause
    if name == "TransientError":
        # Retried by the state machine and still failing: the source (or the network to it) is down.
        detail = _lambda_message(cause) or cause
        return (
            ErrorCode.SOURCE_UNAVAILABLE,
            f"The source could not be reached after several tries; try again later. ({detail[:200]})",
        )
    if name in _TIMEOUTS:
        return (
            ErrorCode.WORKER_TIMEOUT,
            "No Whisper worker finished the job in time: none took it within the queue wait limit, "
            "or its workers stopped responding.",
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


def past_deadline(code: ErrorCode, reason: str, deadline_at: float | None, now: float) -> tuple[ErrorCode, str]:
    """A timeout after the job's own time limit is TIMEOUT, not a silent worker."""
    if code == ErrorCode.WORKER_TIMEOUT and deadline_at is not None and now >= deadline_at - 1:
        return ErrorCode.TIMEOUT, "The job ran past its time limit and was stopped."
    return code, reason


def _lambda_message(cause: str) -> str:
    """A Lambda error's Cause is the JSON {errorMessage, errorType, ...}."""
    try:
        data = json.loads(cause)
    except ValueError:
        return ""
    return str(data.get("errorMessage", "")) if isinstance(data, dict) else ""


def record(store: JobStore, job_id: str, error: StepError, now: float) -> tuple[str, str, bool]:
    """End the job FAILED with the code and reason for `error`.

    Returns (code, reason, recorded): recorded is False when the job had
    already ended — the worker wrote its own reason, or it was cancelled — and
    then what the job says is kept and returned.
    """
    code, reason = describe(error)
    current = store.get(job_id)
    # The time limit runs only once a worker has taken the job.
    started = current is not None and current.status == JobStatus.TRANSCRIBING
    code, reason = past_deadline(code, reason, current.deadline_at if started and current else None, now)
    if store.fail(job_id, code, reason):
        return str(code), reason, True
    job = store.get(job_id)
    if job and job.error_code:
        return job.error_code, job.error_reason or reason, False
    return str(code), reason, False
