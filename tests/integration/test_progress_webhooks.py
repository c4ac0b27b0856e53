"""Progress webhooks on the notification path, in-process against the emulator: the job's webhook
high-water mark lets only newer events through and never makes a sender wait."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import pytest

from tests.support.webhook_receiver import webhook_receiver
from ytcaption import resources
from ytcaption.domain.job import JobOptions, JobStatus
from ytcaption.finish.events import progress_envelope
from ytcaption.finish.notify import notify_progress
from ytcaption.settings import get_settings
from ytcaption.store.jobs import JobStore
from ytcaption.store.tenants import TenantStore

pytestmark = pytest.mark.integration
TENANT = "progress-hooks"


def _transcribing_job(store: JobStore, url: str) -> str:
    job_id = f"ph-{uuid.uuid4().hex[:10]}"
    options = JobOptions(webhook_url=url, notify_progress=True)
    store.create(job_id=job_id, tenant=TENANT, source={"type": "s3", "key": "k"}, options=options)
    for status in (JobStatus.DOWNLOADING, JobStatus.QUEUED, JobStatus.TRANSCRIBING):
        store.transition(job_id, status)
    return job_id


def _event(job_id: str, progress: int, sequence: int) -> dict[str, Any]:
    return {**progress_envelope(job_id, TENANT, progress, 1.0, webhook=True), "sequence": sequence}


def test_an_older_progress_event_is_dropped_and_a_newer_one_never_waits(runtime: object) -> None:
    settings = get_settings().model_copy(update={"allow_loopback_urls": True, "webhook_require_https": False,
                                                 "webhook_timeout_seconds": 4.0})  # fmt: skip
    store = JobStore(settings.table)
    secret = TenantStore(resources.TABLE).webhook_secret(TENANT)
    with webhook_receiver(secret, hang=True) as receiver:
        job_id = _transcribing_job(store, receiver.url)
        # 30 % (event 6) is being sent to an endpoint that holds it...
        first = threading.Thread(target=notify_progress, args=(_event(job_id, 30, 6), settings, store))
        first.start()
        while not receiver.received:
            time.sleep(0.05)
        # ...while 40 % (event 7) goes out beside it, not after it.
        second = threading.Thread(target=notify_progress, args=(_event(job_id, 40, 7), settings, store))
        second.start()
        while len(receiver.received) < 2 and first.is_alive():
            time.sleep(0.05)
        assert len(receiver.received) == 2 and first.is_alive(), "the newer event waited for the older one"
        # 20 % (event 5) arrives late: dropped at once, nothing sent.
        late = notify_progress(_event(job_id, 20, 5), settings, store)
        assert late["webhook"] is None and "later event" in late["skipped"]
        first.join()
        second.join()
    assert [r.event["sequence"] for r in receiver.received] == [6, 7]
    assert [r.event["data"]["progress"] for r in receiver.received] == [30, 40]
