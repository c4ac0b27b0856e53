"""Executions that ended outside the state machine's own failure path.

An operator pressing Stop in the Step Functions console (ABORTED), an execution
time limit (TIMED_OUT), or a failure no Catch handled (FAILED) end the execution
without touching its job, which would stay DOWNLOADING or TRANSCRIBING for ever.
EventBridge's "Step Functions Execution Status Change" events bring such an end
here: the job becomes CANCELLED or FAILED with a reason, and subscribers are
told as for any other end. A job that already ended (the state machine's own
failure path, a cancellation through the API) is left as it is.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from ytcaption.domain.errors import ErrorCode, InvalidTransition
from ytcaption.domain.job import JobStatus
from ytcaption.finish.notify import notify_job
from ytcaption.settings import Settings
from ytcaption.store.jobs import JobStore

log = logging.getLogger(__name__)

STATUS_CHANGE = "Step Functions Execution Status Change"
# The ends that may leave a job behind (SUCCEEDED always went through MarkCompleted).
ABNORMAL_ENDS = ("ABORTED", "TIMED_OUT", "FAILED")
_REDRIVE_SUFFIX = re.compile(r"-r\d+$")


def job_id_of(detail: dict[str, Any]) -> str | None:
    """The job an execution runs: its input says so; its name is the job id (or `{job_id}-r{n}`)."""
    try:
        given = json.loads(detail.get("input") or "{}").get("job_id")
    except (ValueError, AttributeError):
        given = None
    if isinstance(given, str) and given:
        return given
    name = detail.get("name") or str(detail.get("executionArn", "")).rsplit(":", 1)[-1]
    return _REDRIVE_SUFFIX.sub("", name) or None


def _why(detail: dict[str, Any]) -> str:
    said = ": ".join(str(detail[k]) for k in ("error", "cause") if detail.get(k))
    return f" ({said[:500]})" if said else ""


def reconcile_execution(detail: dict[str, Any], settings: Settings, store: JobStore) -> dict[str, Any]:
    """Move the job of an execution that ended abnormally to its end; says what it did."""
    status = str(detail.get("status", ""))
    job_id = job_id_of(detail)
    answer: dict[str, Any] = {"job_id": job_id, "execution_status": status}
    if status not in ABNORMAL_ENDS or not job_id:
        return {**answer, "outcome": "ignored"}
    job = store.get(job_id)
    if job is None:
        return {**answer, "outcome": "unknown-job"}
    name = detail.get("name") or str(detail.get("executionArn", "")).rsplit(":", 1)[-1]
    if name != (job.execution_name or job.job_id):
        return {**answer, "outcome": "stale-execution"}  # an earlier run of a redriven job
    if job.status.terminal:
        return {**answer, "outcome": "already-ended", "job_status": job.status.value}
    try:
        if status == "ABORTED":
            reason = f"The execution was stopped outside YTCaption (Step Functions StopExecution){_why(detail)}."
            store.transition(job_id, JobStatus.CANCELLED, error_code=ErrorCode.CANCELLED.value, error_reason=reason)
        elif status == "TIMED_OUT":
            reason = f"The execution reached the state machine's time limit{_why(detail)}."
            store.transition(job_id, JobStatus.FAILED, error_code=ErrorCode.TIMEOUT.value, error_reason=reason)
        else:
            reason = f"The execution failed outside its failure path{_why(detail)}."
            store.transition(job_id, JobStatus.FAILED, error_code=ErrorCode.INTERNAL_ERROR.value, error_reason=reason)
    except InvalidTransition:
        return {**answer, "outcome": "already-ended"}
    try:
        # The execution has ended: its own Notify step will never run.
        notify_job(job_id, settings, store)
    except Exception as exc:
        log.warning("could not notify the end of %s: %s", job_id, exc)
    ended = store.get(job_id)
    return {**answer, "outcome": "reconciled", "job_status": ended.status.value if ended else None, "reason": reason}
