"""A batch's webhook is retried, signed and recorded as a job's is (batch.webhook): a receiver on
127.0.0.1 that fails first and then answers gets the same batch.completed event twice, and the batch's
attempts are kept. The batch here ends at ExpandBatch (its feed lists no media), so no worker is needed;
tests/integration/test_batches.py has a batch ended by a job's Notify step retry its webhook too."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.api import client, new_key
from tests.support.media_server import MediaServer, media_server
from tests.support.webhook_receiver import webhook_receiver
from ytcaption import resources
from ytcaption.store.batches import BatchStore
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
