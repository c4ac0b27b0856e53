"""The live-updates protocol's pure parts: what a client may send, who an event goes to, what a
reconnecting client missed, and a job's order of events."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ytcaption.finish.events import created_envelope, progress_envelope, started_envelope
from ytcaption.finish.live import BadMessage, Ping, Subscribe, Unsubscribe, after, error, parse, recipients
from ytcaption.store import keys
from ytcaption.store.connections import Subscription
from ytcaption.store.eventlog import event_order


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"action": "ping"}, Ping(action="ping")),
        ({"action": "subscribe", "job_id": "job-1"}, Subscribe(action="subscribe", job_id="job-1")),
        ({"action": "subscribe", "all": True}, Subscribe(action="subscribe", all=True)),
        (
            {"action": "subscribe", "job_id": "job-1", "since": "e-1"},
            Subscribe(action="subscribe", job_id="job-1", since="e-1"),
        ),
        ({"action": "unsubscribe", "all": True}, Unsubscribe(action="unsubscribe", all=True)),
        ({"action": "unsubscribe", "job_id": "j"}, Unsubscribe(action="unsubscribe", job_id="j")),
    ],
)
def test_valid_messages(message: dict[str, Any], expected: Any) -> None:
    assert parse(json.dumps(message)) == expected
    assert parse(json.dumps(message).encode()) == expected


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("not json", "JSON object"),
        ("[1, 2]", "JSON object"),
        ('"ping"', "JSON object"),
        ("{}", "action"),
        ('{"action": "shout"}', "action"),
        ('{"action": "subscribe"}', '"job_id" or "all"'),
        ('{"action": "subscribe", "job_id": "j", "all": true}', '"job_id" or "all"'),
        ('{"action": "subscribe", "all": false}', '"job_id" or "all"'),
        ('{"action": "subscribe", "all": true, "since": "e"}', "needs a"),
        ('{"action": "subscribe", "job_id": "../other"}', "job_id"),
        ('{"action": "subscribe", "job_id": "j", "extra": 1}', "extra"),
        ('{"action": "ping", "job_id": "j"}', "job_id"),
        ("{" + " " * 5000 + "}", "at most"),
    ],
)
def test_bad_messages_say_what_is_wrong(raw: str, says: str) -> None:
    with pytest.raises(BadMessage) as caught:
        parse(raw)
    assert says in caught.value.detail


def test_an_error_reply_is_a_typed_problem() -> None:
    reply = error(404, "not-found", "There is no transcription x.", job_id="x", since=None)
    assert reply == {"type": "error", "status": 404, "code": "not-found", "detail": "There is no transcription x.",
                     "job_id": "x"}  # fmt: skip


def _sub(topic: str, connection: str, tenant: str) -> Subscription:
    return Subscription(topic, connection, tenant)


def test_an_event_goes_to_the_jobs_and_the_tenants_subscribers_once_each_and_to_no_other_tenant() -> None:
    event = progress_envelope("job-1", "acme", 30, 12.0)
    subscriptions = [
        _sub(keys.job_topic("job-1"), "c1", "acme"),
        _sub(keys.tenant_topic("acme"), "c2", "acme"),
        _sub(keys.tenant_topic("acme"), "c1", "acme"),  # both: one post
        # Another tenant's connection that somehow holds a subscription to this job: never.
        _sub(keys.job_topic("job-1"), "c3", "other"),
        _sub(keys.tenant_topic("other"), "c4", "other"),
        _sub(keys.job_topic("job-2"), "c5", "acme"),
    ]
    assert recipients(event, "acme", subscriptions) == ["c1", "c2"]
    assert recipients(event, "other", subscriptions) == []


def test_what_a_reconnecting_client_missed() -> None:
    events = [{"event_id": i} for i in ("a", "b", "c")]
    assert after(events, "a") == [{"event_id": "b"}, {"event_id": "c"}]
    assert after(events, "c") == []
    assert after(events, "zz") is None


def test_a_jobs_events_sort_in_the_order_they_happened_even_within_one_millisecond() -> None:
    created = created_envelope("j", "t", {"type": "s3", "key": "k"}, {})
    started = started_envelope("j", "t", "w-1")
    progress = [progress_envelope("j", "t", p, None) for p in (30, 10, 20)]
    for event in (created, started, *progress):
        event["timestamp"] = "2026-01-01T00:00:00.000Z"
    ordered = sorted([*progress, started, created], key=event_order)
    assert [e["event_type"].rsplit(".", 1)[1] for e in ordered] == ["created", "started", *["progress"] * 3]
    assert [e["data"]["progress"] for e in ordered[2:]] == [10, 20, 30]


def test_a_jobs_events_sort_by_their_sequence_whatever_their_clocks_say() -> None:
    """Publishers' clocks differ (API, worker, Notify): the sequence the job's counter gave is the order."""
    created = created_envelope("j", "t", {"type": "s3", "key": "k"}, {})
    started = started_envelope("j", "t", "w-1")
    progress = progress_envelope("j", "t", 10, None)
    for sequence, (event, clock) in enumerate(zip((created, started, progress), ("09", "01", "05"), strict=True), 1):
        event["sequence"] = sequence
        event["timestamp"] = f"2026-01-01T00:00:{clock}.000Z"
    ordered = sorted([progress, started, created], key=event_order)
    assert [e["sequence"] for e in ordered] == [1, 2, 3]


def test_a_batchs_end_goes_to_its_tenants_all_jobs_subscribers_only() -> None:
    """batch.completed is published with the jobs' source, so the live rule takes it too: the tenant's
    all-jobs subscribers hear it (a page following the tenant), job subscribers and other tenants do not."""
    from ytcaption import resources
    from ytcaption.batch.progress import envelope

    batch = {"batch_id": "batch-" + "0" * 24, "tenant": "acme", "status": "COMPLETED", "url": "https://x/feed.xml",
             "total": 2}  # fmt: skip
    event = envelope(batch, {"COMPLETED": 2})
    assert event["event_type"] == "batch.completed" and resources.live_event_pattern() == {
        "source": [resources.EVENT_SOURCE]
    }
    subscriptions = [
        _sub(keys.tenant_topic("acme"), "c1", "acme"),
        _sub(keys.job_topic("job-1"), "c2", "acme"),
        _sub(keys.tenant_topic("other"), "c3", "other"),
    ]
    assert recipients(event, "acme", subscriptions) == ["c1"]
