"""The worker's job events (started, progress) on their way to the event bus, and nowhere else.

Best effort, in order, on one thread of their own, so that a slow bus never slows the transcription.
Webhooks (progress included) go out from the notification path (ytcaption.finish.notify).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ytcaption.domain.steps import TranscribeTask
from ytcaption.finish.events import progress_envelope, publish_quietly
from ytcaption.worker.log import logger


class EventSender:
    """The worker's job events, best effort and in order, on one thread of their own: a slow bus never
    slows the transcription."""

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="progress")

    def publish(self, event: dict[str, Any]) -> None:
        self._thread.submit(publish_quietly, event)

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every event handed over so far is sent: a Lambda sandbox is frozen once its
        invocation returns, and its last progress events would wait for the next invocation. Best effort
        like the events themselves: a slow bus never turns finished work into a failure."""
        try:
            self._thread.submit(lambda: None).result(timeout)
        except TimeoutError:
            logger.warning("job events still unsent after %.0f s; the invocation answers without them", timeout)

    def progress(self, task: TranscribeTask, tenant: str, progress: int, eta: float | None) -> None:
        """To the event bus only: the notification path sends it on to the job's webhook (rule
        `{prefix}-progress-webhooks`), so a slow or hostile endpoint never holds a worker."""
        webhook = bool(task.options.webhook_url and task.options.notify_progress)
        eta = round(eta, 1) if eta is not None else None
        self.publish(progress_envelope(task.job_id, tenant, progress, eta, webhook=webhook))
