"""The worker's job events (started, progress) on their way out: best effort, in order, on one thread
of their own, so that a slow receiver never slows the transcription."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ytcaption.domain.job import JobStatus
from ytcaption.domain.steps import TranscribeTask
from ytcaption.finish.events import progress_envelope, publish_quietly
from ytcaption.finish.webhooks import deliver
from ytcaption.intake.urlpolicy import webhook_policy
from ytcaption.settings import Settings
from ytcaption.store.jobs import JobStore
from ytcaption.store.tenants import TenantStore
from ytcaption.worker.log import logger


class EventSender:
    """The worker's job events, best effort and in order, on one thread of their own: a slow bus never
    slows the transcription."""

    def __init__(self, settings: Settings, store: JobStore) -> None:
        self.settings, self.store = settings, store
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="progress")

    def publish(self, event: dict[str, Any]) -> None:
        self._thread.submit(publish_quietly, event)

    def progress(self, task: TranscribeTask, tenant: str, progress: int, eta: float | None) -> None:
        """To the event bus, and to the webhook if asked for (progress events are not retried)."""
        url = task.options.webhook_url if task.options.notify_progress else None
        event = progress_envelope(task.job_id, tenant, progress, round(eta, 1) if eta is not None else None)

        def send() -> None:
            publish_quietly(event)
            if not url:
                return
            try:
                secret = TenantStore(self.settings.table).webhook_secret(tenant)
                s = self.settings
                policy = webhook_policy(s.allow_loopback_urls)
                delivery = deliver(url, event, secret, policy, s.webhook_require_https, s.webhook_timeout_seconds)
                self.store.record_delivery(task.job_id, JobStatus.TRANSCRIBING, event["event_type"], delivery.as_dict())
            except Exception:
                logger.exception("progress webhook failed")

        self._thread.submit(send)
