"""Progress of the work in hand, as a whole job (worker.whole) and a chunk (worker.chunked) report it.

At each new tenth of its own work a worker writes the job's percent and
ETA, then announces each new tenth of the job (a progress event on the bus: live updates, and the
webhook through the notification path).

A chunk's tenth moves the job by less than a tenth, so the job's own tenths are what is announced;
two chunk workers that announce the same tenth send the same event id (receivers drop the second).

The writes go on a thread of their own, in order, so Whisper never waits on the store at a tenth (eleven
writes and a chunk's sums a job: ~0.1 s of a 7-s job on the emulator, a DynamoDB round trip each in AWS).
What a write finds is acted on at the next callback: a job that left TRANSCRIBING stops the work, a
write that raised raises there (or on leaving, after the last callback). Leaving the `with` block waits
for every write, so the result's own update (progress 100, a chunk's seconds done) always comes after the
last progress write.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType

from ytcaption.domain.job import JobStatus
from ytcaption.domain.steps import TranscribeTask
from ytcaption.worker.context import WorkerContext
from ytcaption.worker.lease import Heartbeat


class ProgressReporter:
    """Whisper's progress callback: False stops the work (shutdown, a lost lease, past the time limit,
    or the job left TRANSCRIBING). `job_fraction` turns the work's fraction into the job's (a chunk:
    it records the chunk's seconds done and sums every chunk's); `started_at` (epoch seconds) is when
    the job began transcribing, what the ETA extrapolates from. Use it as a context manager."""

    def __init__(
        self,
        ctx: WorkerContext,
        task: TranscribeTask,
        heartbeat: Heartbeat,
        tenant: str,
        started_at: float,
        job_fraction: Callable[[float], float] = lambda fraction: fraction,
    ) -> None:
        self.ctx, self.task, self.heartbeat, self.tenant = ctx, task, heartbeat, tenant
        self.started_at, self.job_fraction = started_at, job_fraction
        self.last_tenth, self.announced = -1, 0
        self.failure: Exception | None = None
        self._writes = ThreadPoolExecutor(max_workers=1, thread_name_prefix="progress-write")

    def __call__(self, fraction: float) -> bool:
        if self.failure is not None:
            failure, self.failure = self.failure, None  # raised once: here, or on leaving
            raise failure
        if self.ctx.stopping.is_set() or self.heartbeat.lost.is_set() or self.heartbeat.past_deadline():
            return False
        tenth = int(fraction * 10)
        if tenth > self.last_tenth:
            self.last_tenth = tenth
            self._writes.submit(self._write, fraction)
        return True

    def _write(self, fraction: float) -> None:
        ctx, task = self.ctx, self.task
        try:
            overall = self.job_fraction(fraction)
            elapsed = max(0.0, time.time() - self.started_at)
            eta = round(elapsed / overall * (1 - overall), 1) if overall > 0 else None
            percent = min(99, int(overall * 100))
            if not ctx.store.update(task.job_id, JobStatus.TRANSCRIBING, progress=percent, eta_seconds=eta):
                self.heartbeat.abandon("job left TRANSCRIBING (cancelled, failed or timed out)")
                return
            job_tenth = int(overall * 10)
            if 0 < job_tenth < 10 and job_tenth > self.announced:
                self.announced = job_tenth
                ctx.events.progress(task, self.tenant, job_tenth * 10, eta)
        except Exception as exc:  # raised to the work at its next callback
            self.failure = exc

    def wait(self) -> None:
        """Until every write handed over so far is done."""
        self._writes.submit(lambda: None).result()

    def __enter__(self) -> ProgressReporter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._writes.shutdown(wait=True)
        # A write that raised after the last callback still fails the work (as it did when writes were
        # made in the callback); an exception already leaving the block is not masked.
        if kind is None and self.failure is not None:
            raise self.failure
