"""The worker's hold on the work in hand: one heartbeat, on a job's lease or a chunk's.

The heartbeat thread renews the lease every third of its length, then keeps the message hidden, and
watches the time limit.

Lease first, then the message: the message always reappears after the lease has lapsed, so the next
worker to receive it finds the work free to take over.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ytcaption.worker.log import logger

TIME_LIMIT_REASON = "The job ran past its time limit and was stopped."


class Heartbeat(threading.Thread):
    """`renew` extends the lease (False: the work is no longer ours); `hide` keeps the message hidden."""

    def __init__(
        self,
        job_id: str,
        renew: Callable[[], bool],
        hide: Callable[[], None],
        lease_seconds: float,
        deadline_at: float | None,
        what: str = "job",
    ) -> None:
        super().__init__(daemon=True, name=f"heartbeat-{job_id}")
        self.job_id, self.renew, self.hide, self.what = job_id, renew, hide, what
        self.interval = lease_seconds / 3
        self.deadline_at = deadline_at
        self.finished = threading.Event()
        self.lost = threading.Event()  # the work is no longer ours to finish
        self.expired = threading.Event()  # ...because the job's time limit passed

    def abandon(self, why: str) -> None:
        if not self.lost.is_set():
            logger.warning(f"{why}; abandoning the job", extra={"job_id": self.job_id})
        self.lost.set()

    def past_deadline(self) -> bool:
        if self.deadline_at is not None and time.time() >= self.deadline_at:
            self.expired.set()
            self.abandon("the job ran past its time limit")
        return self.expired.is_set()

    def still_ours(self) -> bool:
        """Renew once more before results are written: never for work cancelled or ended meanwhile."""
        if not self.renew():
            self.abandon(f"{self.what} is no longer ours (cancelled or ended)")
        return not self.lost.is_set()

    def run(self) -> None:
        while not self.finished.wait(self.interval):
            try:
                self.beat()
            except Exception:
                logger.exception("heartbeat failed", extra={"job_id": self.job_id})

    def beat(self) -> None:
        if self.past_deadline():
            return
        if not self.renew():
            self.abandon(f"{self.what} is no longer ours (cancelled, ended or taken over)")
            return
        self.hide()
