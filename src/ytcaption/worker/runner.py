"""Run one task's work under its heartbeat and sort how it ended: the one place both a whole job
(worker.loop) and a chunk of a long one (worker.chunked) do it.

The work ends in one of four ways: done (the caller answers with its result), Interrupted (shutdown,
cancellation, a lost lease or the time limit: see `interrupted`), a YtcError (the job fails with its
code and reason), or anything else (the job fails INTERNAL_ERROR, the traceback logged).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from aws_lambda_powertools import Logger

from ytcaption.domain.errors import ErrorCode, YtcError
from ytcaption.worker.transcribe import Interrupted

if TYPE_CHECKING:
    from ytcaption.worker.loop import TranscribeTask, Worker, _Heartbeat

logger = Logger(service="ytcaption-worker")

TIME_LIMIT_REASON = "The job ran past its time limit and was stopped."

T = TypeVar("T")


def run_work(
    worker: Worker,
    task: TranscribeTask,
    receipt: str,
    heartbeat: _Heartbeat,
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
        interrupted(worker, task, receipt, heartbeat, release)
        return
    except YtcError as exc:
        worker._fail(task, receipt, exc.code, exc.reason)
        return
    except Exception as exc:
        logger.exception("unexpected error")
        worker._fail(task, receipt, ErrorCode.INTERNAL_ERROR, f"The worker hit an unexpected error: {exc}")
        return
    finally:
        heartbeat.finished.set()
    done(result)


def interrupted(
    worker: Worker, task: TranscribeTask, receipt: str, heartbeat: _Heartbeat, release: Callable[[], None]
) -> None:
    """The work stopped before its end: past the time limit (the job fails TIMEOUT); no longer ours
    (the job ended: its task is answered and the message dropped; or another worker took it over:
    the message is its now); or shutting down (`release`, and the message goes straight back)."""
    if heartbeat.expired.is_set():
        worker._fail(task, receipt, ErrorCode.TIMEOUT, TIME_LIMIT_REASON)
        return
    if heartbeat.lost.is_set():
        job = worker.store.get(task.job_id)
        if job is None or job.status.terminal:
            if job is not None:
                worker._answer_ended(task, job)
            worker._delete(receipt)
        else:
            logger.warning("work taken over by another worker", extra={"holder": job.lease_owner})
        return
    release()
    worker._give_back(receipt)
    logger.info("shutdown: unfinished work handed back to the queue")
