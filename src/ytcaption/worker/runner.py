"""Run one task's work under its heartbeat and sort how it ended, for both runners.

The one place a whole job (worker.whole) and a chunk of a long one (worker.chunked) do it; and the
answers they share for a job that fails or cannot be taken now.

The work ends in one of four ways: done (the runner answers with its result), Interrupted (shutdown,
cancellation, a lost lease or the time limit: see `interrupted`), a YtcError (the job fails with its
code and reason), or anything else (the job fails INTERNAL_ERROR, the traceback logged).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ytcaption.domain.errors import ErrorCode, YtcError
from ytcaption.domain.job import Job, JobStatus
from ytcaption.domain.steps import TranscribeTask
from ytcaption.worker.context import WorkerContext
from ytcaption.worker.lease import TIME_LIMIT_REASON, Heartbeat
from ytcaption.worker.log import logger
from ytcaption.worker.messages import Message
from ytcaption.worker.transcribe import Interrupted

T = TypeVar("T")


def fail(ctx: WorkerContext, task: TranscribeTask, message: Message, code: ErrorCode, reason: str) -> None:
    """The job fails: the reason goes on the job itself (the emulator drops SendTaskFailure's cause),
    then the execution is answered and the message dropped."""
    ctx.store.fail(task.job_id, code, reason)
    ctx.messages.fail(task, str(code), reason)
    ctx.messages.delete(message)
    logger.warning("job failed", extra={"error_code": str(code), "reason": reason})


def settled_before_claim(ctx: WorkerContext, task: TranscribeTask, message: Message, job: Job | None) -> bool:
    """Deal with a message whose job is missing, has ended or is not queued yet; False if none holds."""
    if job is None:
        logger.warning("task for a job that does not exist; dropping it")
        ctx.messages.delete(message)
        return True
    if job.status.terminal:
        logger.info("the job has ended; dropping its task", extra={"status": job.status})
        ctx.messages.answer_ended(task, job)
        ctx.messages.delete(message)
        return True
    if job.status in (JobStatus.PENDING, JobStatus.DOWNLOADING):
        ctx.messages.defer(message, ctx.settings.lease_margin_seconds, "job not queued yet")
        return True
    return False


def run_work(
    ctx: WorkerContext,
    task: TranscribeTask,
    message: Message,
    heartbeat: Heartbeat,
    work: Callable[[], T],
    release: Callable[[], None],
    done: Callable[[T], None],
) -> None:
    """Start the heartbeat, run `work`, stop the heartbeat, then answer: `done(result)` when it
    finished; a failure of the job when it raised; `interrupted` (with `release` to hand the work
    back) when it was stopped."""
    heartbeat.start()
    try:
        result = work()
    except Interrupted:
        interrupted(ctx, task, message, heartbeat, release)
        return
    except YtcError as exc:
        fail(ctx, task, message, exc.code, exc.reason)
        return
    except Exception as exc:
        logger.exception("unexpected error")
        fail(ctx, task, message, ErrorCode.INTERNAL_ERROR, f"The worker hit an unexpected error: {exc}")
        return
    finally:
        heartbeat.finished.set()
    done(result)


def check_still_ours(ctx: WorkerContext, heartbeat: Heartbeat) -> None:
    """Before results are written: Interrupted when shutting down or the work is no longer ours
    (never results for a job cancelled or timed out meanwhile)."""
    if not ctx.stopping.is_set():
        heartbeat.still_ours()
    if ctx.stopping.is_set() or heartbeat.lost.is_set():
        raise Interrupted()


def interrupted(
    ctx: WorkerContext, task: TranscribeTask, message: Message, heartbeat: Heartbeat, release: Callable[[], None]
) -> None:
    """The work stopped before its end: past the time limit (the job fails TIMEOUT); no longer ours
    (the job ended: its task is answered and the message dropped; or another worker took it over:
    the message is its now); or shutting down (`release`, and the message goes straight back)."""
    if heartbeat.expired.is_set():
        fail(ctx, task, message, ErrorCode.TIMEOUT, TIME_LIMIT_REASON)
        return
    if heartbeat.lost.is_set():
        job = ctx.store.get(task.job_id)
        if job is None or job.status.terminal:
            if job is not None:
                ctx.messages.answer_ended(task, job)
            ctx.messages.delete(message)
        else:
            logger.warning("work taken over by another worker", extra={"holder": job.lease_owner})
        return
    release()
    ctx.messages.give_back(message)
    logger.info("shutdown: unfinished work handed back to the queue")
