"""A batch's webhook is retried, signed and recorded as a job's is (batch.webhook): a receiver on
127.0.0.1 that fails first and then answers gets the same batch.completed event twice, and the batch's
attempts are kept. The batch here ends at ExpandBatch (its feed lists no media), so no worker is needed;
tests/integration/test_batches.py has a batch ended by a job's Notify step retry its webhook too."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.api import client, new_key
from tests.support.media_server import MediaServer, media_server
from tests.support.webhook_receiver import webhook_receiver
from ytcaption import resources
from ytcaption.batch import webhook
from ytcaption.batch.expand import expand_batch
from ytcaption.batch.progress import envelope, job_ended
from ytcaption.batch.reconcile import reconcile_batches
from ytcaption.domain.job import Job
from ytcaption.domain.options import JobOptions
from ytcaption.operations import cancel_job
from ytcaption.settings import get_settings
from ytcaption.store.batches import BatchStore, Entry
from ytcaption.store.jobs import JobStore
from ytcaption.store.tenants import TenantStore

pytestmark = pytest.mark.integration

TENANT = "batch-hooks"
EMPTY_FEED = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>Nothing</title>'
    "<item><title>x</title></item></channel></rss>"
)


@pytest.fixture(scope="module")
def server() -> Iterator[MediaServer]:
    with media_server() as srv:
        srv.serve_text("/empty.xml", EMPTY_FEED, "application/rss+xml")
        yield srv


def _ended(api: httpx.Client, batch_id: str) -> dict[str, Any]:
    for _ in range(600):
        body: dict[str, Any] = api.get(f"/v1/batches/{batch_id}").json()
        if body["status"] in {"COMPLETED", "FAILED", "CANCELLED"}:
            return body
        time.sleep(0.2)
    raise AssertionError(f"batch {batch_id} never ended")


def test_a_receiver_that_fails_first_gets_the_batch_event_on_a_retry(runtime: Any, server: MediaServer) -> None:
    secret = TenantStore(resources.TABLE).webhook_secret(TENANT)
    with client(str(runtime.api_url), new_key(TENANT)) as api, webhook_receiver(secret, answers=[503]) as receiver:
        created = api.post("/v1/batches", json={"url": server.url("/empty.xml"), "webhook_url": receiver.url})
        assert created.status_code == 202, created.text
        batch = _ended(api, created.json()["id"])
        assert batch["status"] == "FAILED" and batch["error_code"] == "NO_MEDIA_ENTRIES"
        attempts: list[dict[str, Any]] = []
        for _ in range(300):  # the retry waits up to a second (full jitter), then is recorded
            attempts = BatchStore(resources.TABLE).webhook_attempts(batch["id"])
            if len(attempts) >= 2:
                break
            time.sleep(0.1)
    assert [(a["outcome"], a["status_code"]) for a in attempts] == [("retry", 503), ("delivered", 200)]
    assert all(a["event_type"] == "batch.completed" and a["url"] == receiver.url for a in attempts)
    assert len(receiver.received) == 2 and all(r.valid for r in receiver.received), "signed, every attempt"
    first, second = (r.event for r in receiver.received)
    assert first["event_id"] == second["event_id"] and second["correlation_id"] == batch["id"]
    assert second["data"]["status"] == "FAILED" and second["data"]["error"]["code"] == "NO_MEDIA_ENTRIES"


def _entry_job(batch_id: str, index: int) -> Job:
    return Job.model_validate({"job_id": f"{batch_id}-{index}", "tenant": TENANT, "status": "COMPLETED",
                               "source": {"type": "url"}, "options": {}, "created_at": "2024-01-01T00:00:00.000Z",
                               "batch_id": batch_id, "batch_entry": index})  # fmt: skip


def test_only_the_caller_that_ended_a_batch_retries_its_webhook_and_one_sender_at_a_time(runtime: Any) -> None:
    """Entry 1's Notify ends the batch (its webhook asks for a retry); entry 0's Notify, run again (a
    transient retry), sends nothing; a second sender holding the same view of the batch (ExpandBatch's
    retries racing Notify's) loses the claim; entry 1's own retry sends the next attempt."""
    settings, batches = get_settings(), BatchStore(resources.TABLE)
    secret = TenantStore(resources.TABLE).webhook_secret(TENANT)
    batch_id = f"bhook-{uuid.uuid4().hex[:8]}"
    with webhook_receiver(secret, answers=[503, 503, 503]) as receiver:
        batches.create(batch_id, TENANT, {"url": "http://example.invalid/feed", "max_items": 2,
                                          "options": {"webhook_url": receiver.url}})  # fmt: skip
        for index in (0, 1):
            batches.put_entry(batch_id, Entry(index, f"e{index}", f"http://example.invalid/{index}"), job_id="j")
        batches.set_expanded(batch_id, 2, "two")
        assert job_ended(settings, _entry_job(batch_id, 0)) is False  # counted; the batch runs on
        assert job_ended(settings, _entry_job(batch_id, 1)) is True  # ended it: 503, retry
        ended = batches.get(batch_id)
        assert ended is not None and len(receiver.received) == 1
        assert job_ended(settings, _entry_job(batch_id, 0)) is False, "not the entry that ended the batch"
        assert len(receiver.received) == 1
        stale = {**ended, "webhook_attempts": 0}  # what a sender that read the batch before the first attempt saw
        assert webhook.attempt(settings, batches, stale, envelope(ended, {})) is None
        assert len(receiver.received) == 1, "a sender that lost the claim sends nothing"
        assert job_ended(settings, _entry_job(batch_id, 1)) is True  # its retry: the second attempt, 503 again
        assert len(receiver.received) == 2
    outcomes = [(a["outcome"], a["status_code"]) for a in batches.webhook_attempts(batch_id)]
    assert outcomes == [("retry", 503), ("retry", 503)] and ended["ended_by"] == "1"


def test_expand_batch_retries_only_a_webhook_it_ended_and_only_while_its_time_lasts(
    runtime: Any, server: MediaServer
) -> None:
    """A rerun of ExpandBatch (Lambda's retry) on a batch a job's Notify ended leaves that webhook's retries
    to Notify; a run that ends its batch with no time left makes the first attempt only, and leaves the
    rest to the batch reconciler, which drops the batch's record once the webhook is delivered."""
    settings, batches = get_settings(), BatchStore(resources.TABLE)
    secret = TenantStore(resources.TABLE).webhook_secret(TENANT)
    other, mine = (f"bexp-{uuid.uuid4().hex[:8]}" for _ in range(2))
    with webhook_receiver(secret, answers=[503, 503]) as receiver:
        options = {"webhook_url": receiver.url}
        batches.create(other, TENANT, {"url": "http://example.invalid/feed", "max_items": 1, "options": options})
        batches.put_entry(other, Entry(0, "e0", "http://example.invalid/0"), job_id="j")
        batches.set_expanded(other, 1, "one")
        assert job_ended(settings, _entry_job(other, 0)) is True  # ended by its entry: 503, retry
        expand_batch(other, settings, lambda: 300.0)
        assert len(receiver.received) == 1, "ExpandBatch did not end it: no retry of its webhook"
        batches.create(mine, TENANT, {"url": server.url("/empty.xml"), "max_items": 5, "options": options})
        expand_batch(mine, settings, lambda: 1.0)  # ends it (no media); one second left
        assert len(receiver.received) == 2
        ended = batches.get(mine)
        assert ended is not None and (ended["status"], ended["ended_by"]) == ("FAILED", "expand")
        assert ended["webhook_outcome"] == "retry" and mine in {e["batch_id"] for e in batches.expansions()}
        done = reconcile_batches(settings, batches, 0)
        assert mine in done["webhook_retried"] and mine in done["cleared"], done  # delivered: nothing left
        assert other not in done["webhook_retried"], "a batch a job's Notify ended: Notify's retries"
        assert len(receiver.received) == 3
    assert [a["outcome"] for a in batches.webhook_attempts(mine)] == ["retry", "delivered"]


def test_cancelling_a_batchs_last_entry_leaves_its_webhook_retries_to_the_reconciler(runtime: Any) -> None:
    """DELETE of the last entry's job ends the batch; its webhook asks for a retry that no Notify step will
    make (the execution is stopped): the batch reconciler makes it."""
    settings, batches, store = get_settings(), BatchStore(resources.TABLE), JobStore(resources.TABLE)
    secret = TenantStore(resources.TABLE).webhook_secret(TENANT)
    batch_id = f"bcancel-{uuid.uuid4().hex[:8]}"
    job_id = f"{batch_id}-0"
    with webhook_receiver(secret, answers=[503]) as receiver:
        batches.create(batch_id, TENANT, {"url": "http://example.invalid/feed", "max_items": 1,
                                          "options": {"webhook_url": receiver.url}})  # fmt: skip
        batches.put_entry(batch_id, Entry(0, "e0", "http://example.invalid/0"), job_id=job_id)
        batches.set_expanded(batch_id, 1, "one")
        batches.expansion_done(batch_id)
        store.create(job_id=job_id, tenant=TENANT, source={"type": "url", "url": "http://example.invalid/0"},
                     options=JobOptions(), batch_id=batch_id, batch_entry=0)  # fmt: skip
        cancel_job(store, settings, job_id, "Cancelled by the test.")
        assert len(receiver.received) == 1  # the batch ended (its one entry CANCELLED): first attempt, 503
        done = reconcile_batches(settings, batches, 0)
        assert batch_id in done["webhook_retried"] and batch_id in done["cleared"], done
        assert len(receiver.received) == 2
    assert [a["outcome"] for a in batches.webhook_attempts(batch_id)] == ["retry", "delivered"]
