"""Progress of the work in hand, as a whole job (worker.whole) and a chunk (worker.chunked) report it.

At each new tenth of its own work a worker writes the job's percent and
ETA, then announces each new tenth of the job (a progress event on the bus: live updates, and the
webhook through the notification path).

A chunk's tenth moves the job by less than a tenth, so the job's own tenths are what is announced;
two chunk workers that announce the same tenth send the same event id (receivers drop the second).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ytcaption.domain.job import JobStatus
from ytcaption.domain.steps import TranscribeTask
from ytcaption.worker.context import WorkerContext
from ytcaption.worker.lease import Heartbeat


def progress_reporter(
    ctx: WorkerContext,
    task: TranscribeTask,
    heartbeat: Heartbeat,
    tenant: str,
    started_at: float,
    job_fraction: Callable[[float], float] = lambda fraction: fraction,
) -> Callable[[float], bool]:
    """Whisper's progress callback: False stops the work (shutdown, a lost lease, past the time limit,
    or the job left TRANSCRIBING). `job_fraction` turns the work's fraction into the job's (a chunk:
    it records the chunk's seconds done and sums every chunk's); `started_at` (epoch seconds) is when
    the job began transcribing, what the ETA extrapolates from."""
    last_tenth, announced = -1, 0

    def progress(fraction: float) -> bool:
        nonlocal last_tenth, announced
        if ctx.stopping.is_set() or heartbeat.lost.is_set() or heartbeat.past_deadline():
            return False
        tenth = int(fraction * 10)
        if tenth <= last_tenth:
            return True
        last_tenth = tenth
        overall = job_fraction(fraction)
        elapsed = max(0.0, time.time() - started_at)
        eta = round(elapsed / overall * (1 - overall), 1) if overall > 0 else None
        percent = min(99, int(overall * 100))
        if not ctx.store.update(task.job_id, JobStatus.TRANSCRIBING, progress=percent, eta_seconds=eta):
            heartbeat.abandon("job left TRANSCRIBING (cancelled, failed or timed out)")
            return False
        job_tenth = int(overall * 10)
        if 0 < job_tenth < 10 and job_tenth > announced:
            announced = job_tenth
            ctx.events.progress(task, tenant, job_tenth * 10, eta)
        return True

    return progress
