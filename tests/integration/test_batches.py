"""Batches over the real HTTP API: a podcast feed and an HTML page served on 127.0.0.1, listed by the
ExpandBatch Lambda (yt-dlp), one job per entry through the real state machine and a tiny.en worker."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.api import client, new_key
from tests.support.audio import espeak
from tests.support.media_server import MediaServer, Route, media_server
from tests.support.pipeline import BusObserver
from tests.support.webhook_receiver import webhook_receiver
from ytcaption import resources
from ytcaption.store import aws
from ytcaption.store.batches import BatchStore
from ytcaption.store.tenants import TenantStore

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"
OPTIONS = {"model": "tiny.en", "language": "en"}
# Three short clips; each entry's transcript must hold its own ordinal (tiny.en may mishear the nouns).
ORDINAL = {"rivers": "first", "mountains": "second", "forests": "third"}
CLIPS = {"rivers": "The first episode is about rivers.", "mountains": "The second episode is about mountains.",
         "forests": "The third episode is about forests."}  # fmt: skip
DATES = {"rivers": "Mon, 01 Jan 2024 10:00:00 GMT", "mountains": "Wed, 03 Jan 2024 10:00:00 GMT",
         "forests": "Tue, 02 Jan 2024 10:00:00 GMT"}  # fmt: skip


def rss(items: list[tuple[str, str, str | None]]) -> str:
    """A podcast feed: (guid, enclosure URL or '' for none, pubDate)."""
    body = "".join(
        f"<item><title>{guid}</title><guid>{guid}</guid>"
        + (f"<pubDate>{date}</pubDate>" if date else "")
        + (f'<enclosure url="{url}" type="audio/wav" length="1000"/>' if url else "")
        + "</item>"
        for guid, url, date in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">'
        f"<channel><title>Nature talks</title>{body}</channel></rss>"
    )


@pytest.fixture(scope="module")
def server(media_dir: Path) -> Iterator[MediaServer]:
    with media_server() as srv:
        for name, text in CLIPS.items():
            srv.serve_file(f"/ep/{name}.wav", espeak(text, media_dir / f"batch-{name}.wav"))
            srv.serve_file(f"/page/{name}.wav", media_dir / f"batch-{name}.wav")  # another identity: no cache hit
        feed = [(name, srv.url(f"/ep/{name}.wav"), DATES[name]) for name in CLIPS]
        srv.serve_text("/feed.xml", rss(feed), "application/rss+xml")
        audio = "".join(f'<audio src="{name}.wav"></audio>' for name in ("rivers", "forests"))
        srv.serve_text("/page/talks.html", f"<html><head><title>Talks</title></head><body>{audio}</body></html>")
        broken = [("rivers", srv.url("/page/rivers.wav"), DATES["rivers"]),
                  ("gone", srv.url("/ep/gone.wav"), DATES["mountains"])]  # fmt: skip
        srv.serve_text("/broken.xml", rss(broken), "application/rss+xml")
        private = [("ok", srv.url("/ep/rivers.wav"), None), ("meta", "http://169.254.169.254/latest/a.wav", None)]
        srv.serve_text("/private.xml", rss(private), "application/rss+xml")
        srv.serve_text("/empty.xml", rss([("no-media", "", None)]), "application/rss+xml")
        # Loopback is allowed in tests; these redirects lead to addresses that never are.
        srv.routes["/moved.xml"] = Route(status=302, location="http://169.254.169.254/latest/feed.xml")
        srv.routes["/ep/hop.wav"] = Route(status=302, location="http://10.0.0.1/ep/hop.wav")
        srv.serve_text("/hop.xml", rss([("hop", srv.url("/ep/hop.wav"), None)]), "application/rss+xml")
        refused = [("meta", "http://169.254.169.254/a.wav", None), ("lan", "http://10.0.0.1/b.wav", None)]
        srv.serve_text("/refused.xml", rss(refused), "application/rss+xml")
        # Listings whose expansion crashes (a 503 is worth another attempt: ExpandBatch raises it).
        srv.routes["/down.xml"] = Route(status=503)
        srv.routes["/flaky.xml"] = Route(rss(refused).encode(), "application/rss+xml", failures=[503])
        yield srv


@pytest.fixture(scope="module")
def acme(base_url: str) -> Iterator[httpx.Client]:
    with client(base_url, new_key("batcher")) as api:
        yield api


def _problem(answer: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = answer.json()
    assert body["code"] == code and body["detail"]
    return body


def _create(api: httpx.Client, url: str, headers: dict[str, str] | None = None, **fields: Any) -> dict[str, Any]:
    answer = api.post("/v1/batches", json={"url": url, **OPTIONS, **fields}, headers=headers or {})
    assert answer.status_code == 202, answer.text
    assert answer.headers["location"].endswith(f"/v1/batches/{answer.json()['id']}")
    return dict(answer.json())


def wait_batch(api: httpx.Client, batch_id: str, predicate: Any = None, timeout: float = 180) -> dict[str, Any]:
    predicate = predicate or (lambda b: b["status"] in {"COMPLETED", "FAILED", "CANCELLED"})
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = api.get(f"/v1/batches/{batch_id}").json()
        if predicate(body):
            return body
        time.sleep(0.3)
    raise AssertionError(f"batch {batch_id} never reached the expected state; last: {body}")


def _text(api: httpx.Client, job_id: str) -> str:
    return api.get(f"/v1/transcriptions/{job_id}/result", params={"format": "txt"}).text.lower()


def _executions() -> set[str]:
    sfn = aws.client("stepfunctions")
    machine = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    return {e["name"] for e in sfn.list_executions(stateMachineArn=machine, maxResults=1000)["executions"]}


def test_a_podcast_feed_becomes_a_batch_whose_jobs_all_complete_then_replays_and_cache_hits(
    acme: httpx.Client, worker: object, server: MediaServer
) -> None:
    with BusObserver("batch-events") as bus:
        created = _create(acme, server.url("/feed.xml"), headers={"Idempotency-Key": "feed-1"})
        batch = wait_batch(acme, created["id"])
        assert batch["status"] == "COMPLETED", batch
        assert batch["total"] == 3 and batch["counts"] == {"COMPLETED": 3} and batch["progress"] == 100
        # Newest first by the items' dates; each entry is its own transcription of its own clip.
        assert [e["entry_id"] for e in batch["entries"]] == ["mountains", "forests", "rivers"]
        for entry in batch["entries"]:
            assert entry["status"] == "COMPLETED" and entry["job_id"].startswith("job-")
            assert ORDINAL[entry["entry_id"]] in _text(acme, entry["job_id"])
            assert acme.get(f"/v1/transcriptions/{entry['job_id']}").json()["options"]["priority"] == "low"
        ended = bus.details(created["id"])
        assert [e["event_type"] for e in ended] == ["batch.completed"]
        assert ended[0]["data"]["counts"] == {"COMPLETED": 3} and ended[0]["data"]["status"] == "COMPLETED"

    # The same request again (same Idempotency-Key): the same batch, no new job or execution.
    executions, downloads = _executions(), server.requested("/ep/rivers.wav")
    again = acme.post("/v1/batches", json={"url": server.url("/feed.xml"), **OPTIONS},
                      headers={"Idempotency-Key": "feed-1"})  # fmt: skip
    assert again.status_code == 202 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == created["id"]
    # ExpandBatch run again (as Lambda retries an asynchronous invocation): nothing is created twice.
    rerun = aws.client("lambda").invoke(
        FunctionName=resources.names().function("expand-batch"), Payload=json.dumps({"batch_id": created["id"]})
    )
    assert json.loads(rerun["Payload"].read())["launched"] == 0
    assert _executions() == executions
    assert [e["job_id"] for e in acme.get(f"/v1/batches/{created['id']}").json()["entries"]] == [
        e["job_id"] for e in batch["entries"]
    ]
    # A new batch of the same feed: every entry answered from the cache (its own job ids, no execution).
    fresh = wait_batch(acme, _create(acme, server.url("/feed.xml"))["id"])
    assert fresh["status"] == "COMPLETED" and fresh["counts"] == {"COMPLETED": 3}
    assert all(e["cache_hit"] for e in fresh["entries"])
    assert _executions() == executions and server.requested("/ep/rivers.wav") == downloads
    assert {b["id"] for b in acme.get("/v1/batches").json()["items"]} >= {created["id"], fresh["id"]}


def test_an_html_page_with_media_elements_and_a_feed_with_a_broken_entry(
    acme: httpx.Client, worker: object, server: MediaServer
) -> None:
    page = wait_batch(acme, _create(acme, server.url("/page/talks.html"))["id"])
    assert page["status"] == "COMPLETED" and page["counts"] == {"COMPLETED": 2}, page
    assert ["first" in _text(acme, page["entries"][0]["job_id"]), "third" in _text(
        acme, page["entries"][1]["job_id"])] == [True, True]  # fmt: skip

    secret = TenantStore(resources.TABLE).webhook_secret("batcher")
    # The receiver fails first: the batch's webhook is retried as a job's is (its last job's Notify step).
    with webhook_receiver(secret, answers=[503]) as receiver:
        broken = wait_batch(acme, _create(acme, server.url("/broken.xml"), webhook_url=receiver.url)["id"])
        assert broken["status"] == "COMPLETED", broken
        deadline = time.monotonic() + 60
        while len(receiver.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    # One signed batch.completed with the summary, delivered on the second attempt; the entries' own
    # jobs do not call the batch's webhook.
    retried, event = receiver.events()
    assert [r.valid for r in receiver.received] == [True, True] and retried["event_id"] == event["event_id"]
    attempts = BatchStore(resources.TABLE).webhook_attempts(broken["id"])
    assert [(a["outcome"], a["status_code"]) for a in attempts] == [("retry", 503), ("delivered", 200)]
    assert event["event_type"] == "batch.completed" and event["correlation_id"] == broken["id"]
    assert event["data"]["counts"] == {"COMPLETED": 1, "FAILED": 1} and event["data"]["total"] == 2
    by_id = {e["entry_id"]: e for e in broken["entries"]}
    assert by_id["rivers"]["status"] == "COMPLETED"
    assert by_id["gone"]["status"] == "FAILED" and by_id["gone"]["error_code"] == "SOURCE_NOT_FOUND"
    assert broken["counts"] == {"COMPLETED": 1, "FAILED": 1}


def test_ssrf_on_the_listing_url_and_on_each_entry(acme: httpx.Client, server: MediaServer) -> None:
    # A private address passes the body's schema and is refused by the URL policy; a file URL is not
    # an http(s) URL at all, so the schema refuses it.
    for url, code in (
        ("http://169.254.169.254/latest/meta-data/", "url-not-allowed"),
        ("http://10.0.0.5/feed.xml", "url-not-allowed"),
        ("file:///etc/passwd", "validation-error"),
    ):
        _problem(acme.post("/v1/batches", json={"url": url, **OPTIONS}), 422, code)  # fmt: skip
    batch = wait_batch(acme, _create(acme, server.url("/private.xml"))["id"], lambda b: b["status"] != "EXPANDING")
    by_id = {e["entry_id"]: e for e in batch["entries"]}
    assert by_id["meta"]["status"] == "FAILED" and by_id["meta"]["error_code"] == "URL_NOT_ALLOWED"
    assert by_id["meta"]["job_id"] is None, "a refused entry gets no job"
    assert by_id["ok"]["job_id"]
    acme.delete(f"/v1/batches/{batch['id']}")

    # A listing URL that passes the check but redirects to the metadata service: refused where it connects.
    moved = wait_batch(acme, _create(acme, server.url("/moved.xml"))["id"])
    assert moved["status"] == "FAILED" and moved["error_code"] == "URL_NOT_ALLOWED", moved
    assert "169.254.169.254" in moved["error_reason"] and moved["total"] == 0
    # An entry whose URL redirects to a private network: its job (FetchAudio) refuses it, the batch completes.
    hop = wait_batch(acme, _create(acme, server.url("/hop.xml"))["id"])
    assert hop["status"] == "COMPLETED" and hop["counts"] == {"FAILED": 1}, hop
    (entry,) = hop["entries"]
    assert entry["job_id"] and entry["error_code"] == "URL_NOT_ALLOWED" and "10.0.0.1" in entry["error_reason"]


def test_a_feed_without_media_fails_with_a_reason(acme: httpx.Client, server: MediaServer) -> None:
    batch = wait_batch(acme, _create(acme, server.url("/empty.xml"))["id"])
    # yt-dlp lists the feed (its title, no entries): the listing is read, and holds nothing to transcribe.
    assert batch["status"] == "FAILED" and batch["error_code"] == "NO_MEDIA_ENTRIES"
    assert batch["error_reason"]
    missing = wait_batch(acme, _create(acme, server.url("/nothing-here.xml"))["id"])
    assert missing["status"] == "FAILED" and missing["error_code"] == "SOURCE_NOT_FOUND"


def test_a_listing_url_given_as_one_transcription_points_to_batches(acme: httpx.Client, server: MediaServer) -> None:
    for url in (server.url("/feed.xml"), "https://www.youtube.com/playlist?list=PL0123456789",
                "https://www.youtube.com/@somechannel/videos"):  # fmt: skip
        body = _problem(acme.post("/v1/transcriptions", json={"source": {"url": url}}), 422, "use-batches")
        assert "/v1/batches" in body["detail"]


def test_cancel_stops_the_rest_and_limits_answer_problems(base_url: str, server: MediaServer) -> None:
    # No worker in this test: the entries' jobs wait in the queue.
    with client(base_url, new_key("batch-limits", max_batch_items=3, max_batch_entries_in_flight=4)) as api:
        _problem(api.post("/v1/batches", json={"url": server.url("/feed.xml"), "max_items": 5}), 422, "batch-too-large")
        first = wait_batch(api, _create(api, server.url("/feed.xml"), max_items=2, cache=False)["id"],
                           lambda b: b["status"] == "RUNNING")  # fmt: skip
        assert first["total"] == 2 and [e["entry_id"] for e in first["entries"]] == ["mountains", "forests"]
        body = _problem(api.post("/v1/batches", json={"url": server.url("/feed.xml"), "cache": False}), 429,
                        "too-many-batch-entries")  # fmt: skip
        assert "2 entries" in body["detail"]

        cancelled = api.delete(f"/v1/batches/{first['id']}")
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "CANCELLED"
        assert {e["status"] for e in cancelled.json()["entries"]} == {"CANCELLED"}
        assert cancelled.json()["ended"] == 2 and cancelled.json()["counts"] == {"CANCELLED": 2}
        _problem(api.delete(f"/v1/batches/{first['id']}"), 409, "batch-already-ended")
        # Its entries are no longer held: a new batch is accepted.
        again = _create(api, server.url("/feed.xml"), max_items=2, cache=False)
        api.delete(f"/v1/batches/{again['id']}")
    with client(base_url, new_key("batch-other")) as other:
        _problem(other.get(f"/v1/batches/{first['id']}"), 404, "not-found")


def _dynamodb_calls_of_the_api(calls: Path) -> int:
    """The DynamoDB calls the API process has made so far (its AWS call log, tests/support/iam.py)."""
    lines = (line for log in calls.glob("api-*.jsonl") for line in log.read_text().splitlines() if line)
    return sum(1 for line in lines if json.loads(line)["service"] == "dynamodb")


def test_the_list_pages_with_a_cursor_and_reads_no_entry(
    base_url: str, server: MediaServer, acme: httpx.Client, pytestconfig: pytest.Config
) -> None:
    from tests.conftest import CALL_LOG

    calls = pytestconfig.stash[CALL_LOG]
    with client(base_url, new_key("batch-pages")) as api:
        # Every entry refused at expansion: each batch ends at once, with no job.
        made = [wait_batch(api, _create(api, server.url("/refused.xml"))["id"])["id"] for _ in range(3)]
        api.get("/v1/batches", params={"limit": 1})  # the key is known to the API from here on

        def page(**params: Any) -> tuple[dict[str, Any], int]:
            before = _dynamodb_calls_of_the_api(calls)
            answer = api.get("/v1/batches", params=params)
            assert answer.status_code == 200, answer.text
            return answer.json(), _dynamodb_calls_of_the_api(calls) - before

        first, first_calls = page(limit=2)
        assert [b["id"] for b in first["items"]] == made[::-1][:2] and first["next_cursor"]
        second, second_calls = page(limit=2, cursor=first["next_cursor"])
        assert [b["id"] for b in second["items"]] == made[:1] and second["next_cursor"] is None
        # From the batch items alone: as many reads for two batches as for one, no entry among them.
        assert first_calls == second_calls, (first_calls, second_calls)
        for batch in first["items"] + second["items"]:
            assert batch["entries"] is None and batch["status"] == "COMPLETED"
            assert batch["counts"] == {"FAILED": 2} and batch["ended"] == batch["total"] == 2
            assert batch["progress"] == 100
        _problem(api.get("/v1/batches", params={"cursor": "not-a-cursor"}), 422, "validation-error")
    # A cursor is bound to its tenant: another's is refused, not followed.
    _problem(acme.get("/v1/batches", params={"cursor": first["next_cursor"]}), 422, "validation-error")


def _reconcile_batches() -> dict[str, list[str]]:
    """The scheduled batch reconciler, run now and told to take any unfinished expansion for dead."""
    answer = aws.client("lambda").invoke(
        FunctionName=resources.lambda_spec("reconcile-batches").function_name,
        Payload=json.dumps({"min_age_seconds": 0}),
    )
    assert "FunctionError" not in answer, answer["Payload"].read()
    done: dict[str, list[str]] = json.loads(answer["Payload"].read())
    return done


def test_a_batch_whose_expansion_died_is_expanded_again_or_ends_failed(acme: httpx.Client, server: MediaServer) -> None:
    """ExpandBatch really crashes (its listing answers 503, a transient failure it raises): the batch is
    left EXPANDING until the reconciler runs it again; one that keeps crashing ends FAILED with a reason."""
    flaky = _create(acme, server.url("/flaky.xml"))["id"]
    assert acme.get(f"/v1/batches/{flaky}").json()["status"] == "EXPANDING"
    assert server.requested("/flaky.xml") == 1
    assert flaky in _reconcile_batches()["retried"]
    batch = wait_batch(acme, flaky)
    assert batch["status"] == "COMPLETED" and batch["counts"] == {"FAILED": 2}, batch
    assert server.requested("/flaky.xml") == 2

    down = _create(acme, server.url("/down.xml"))["id"]
    with BusObserver("batch-expansion") as bus:
        for attempt in range(2, 4):  # batch_expansion_attempts (3) runs in all, the API's first among them
            assert down in _reconcile_batches()["retried"]
            assert server.requested("/down.xml") == attempt
            assert acme.get(f"/v1/batches/{down}").json()["status"] == "EXPANDING"
        done = _reconcile_batches()
        assert down in done["failed"] and flaky not in {b for seen in done.values() for b in seen}
        batch = wait_batch(acme, down)
        assert batch["status"] == "FAILED" and batch["error_code"] == "EXPANSION_FAILED", batch
        assert "3 attempts" in batch["error_reason"] and "503" in batch["error_reason"]
        (ended,) = bus.details(down)
        assert ended["event_type"] == "batch.completed" and ended["data"]["error"]["code"] == "EXPANSION_FAILED"
    assert server.requested("/down.xml") == 3
    again = _reconcile_batches()
    assert down not in {b for seen in again.values() for b in seen}, "an ended batch is not looked at again"


def test_a_replayed_create_writes_no_expansion_record(runtime: Any) -> None:
    """Two requests with one Idempotency-Key racing past the API's read: the second create finds the batch
    and writes nothing, not an expansion record for a batch whose expansion finished."""
    batches = BatchStore(resources.TABLE)
    batch_id = f"replayed-{time.time_ns()}"
    assert batches.create(batch_id, "acme", {"url": "http://example.invalid/feed", "max_items": 1})
    assert batch_id in {e["batch_id"] for e in batches.expansions()}
    batches.expansion_done(batch_id)
    assert not batches.create(batch_id, "acme", {"url": "http://example.invalid/feed", "max_items": 1})
    assert batch_id not in {e["batch_id"] for e in batches.expansions()}
    batches.end(batch_id, "CANCELLED", by="cancel")  # no reconciler looks at it again
