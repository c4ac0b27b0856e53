"""Live updates over WebSocket against the local runtime, with a real client (the `websockets` package):
the same protocol API Gateway's WebSocket API serves in AWS (ytcaption.finish.live), events delivered
the way they are there (bus rule -> `live` Lambda -> management API -> the connection)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

websockets = pytest.importorskip("websockets", reason="the live-updates tests need the `websockets` package")
from websockets.exceptions import ConnectionClosed, InvalidStatus  # noqa: E402
from websockets.sync.client import ClientConnection, connect  # noqa: E402

from tests.support.api import new_key  # noqa: E402
from tests.support.audio import long_recording  # noqa: E402
from tests.support.pipeline import submit, wait_job, wait_status  # noqa: E402
from ytcaption import resources  # noqa: E402
from ytcaption.domain.job import JobStatus  # noqa: E402
from ytcaption.domain.options import JobOptions  # noqa: E402
from ytcaption.finish.events import created_envelope, progress_envelope, publish, started_envelope  # noqa: E402
from ytcaption.settings import get_settings  # noqa: E402
from ytcaption.store import keys  # noqa: E402
from ytcaption.store.connections import Connection, ConnectionStore  # noqa: E402
from ytcaption.store.eventlog import next_sequence  # noqa: E402
from ytcaption.store.jobs import JobStore  # noqa: E402

pytestmark = pytest.mark.integration

COMPLETED = "transcription.completed"


@pytest.fixture(scope="module")
def two_minutes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path, _ = long_recording(tmp_path_factory.mktemp("live"), 120)
    return path


@pytest.fixture(scope="module")
def live_url(runtime: Any) -> str:
    assert runtime.live_url and runtime.live_url.endswith(resources.LIVE_PATH)
    assert runtime.status()["live"]["url"] == runtime.live_url
    return str(runtime.live_url)


class Client:
    """A connection whose messages a thread collects (sent from the test's thread)."""

    def __init__(self, url: str, key: str) -> None:
        self.ws: ClientConnection = connect(f"{url}?key={key}", open_timeout=20)
        self.messages: list[dict[str, Any]] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for raw in self.ws:
                self.messages.append(json.loads(raw))
        except ConnectionClosed:
            pass

    def send(self, **message: Any) -> None:
        self.ws.send(json.dumps(message))

    def send_raw(self, raw: str) -> None:
        self.ws.send(raw)

    def wait(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 30) -> dict[str, Any]:
        """The first message (from the start) that satisfies predicate."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in list(self.messages):
                if predicate(message):
                    return message
            time.sleep(0.05)
        raise AssertionError(f"no such message within {timeout} s; got {self.messages}")

    def reply(self, kind: str, after: int = 0, timeout: float = 30) -> dict[str, Any]:
        """The first control reply of this type among the messages from index `after` on."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in list(self.messages)[after:]:
                if message.get("type") == kind:
                    return message
            time.sleep(0.05)
        raise AssertionError(f"no {kind!r} reply within {timeout} s; got {self.messages[after:]}")

    def events(self, job_id: str) -> list[dict[str, Any]]:
        """The job's events as a client must read them: in the order of their `sequence` (the fan-out
        posts each as it comes, and the bus keeps no order)."""
        mine = [m for m in list(self.messages) if "event_id" in m and m.get("correlation_id") == job_id]
        return sorted(mine, key=lambda m: int(m["sequence"]))

    def close(self) -> None:
        self.ws.close()
        self._thread.join(5)


@pytest.fixture
def clients(live_url: str) -> Iterator[Callable[[str], Client]]:
    opened: list[Client] = []

    def open_(key: str) -> Client:
        client = Client(live_url, key)
        opened.append(client)
        return client

    yield open_
    for client in opened:
        client.close()


def _kinds(events: list[dict[str, Any]]) -> list[str]:
    return [e["event_type"].removeprefix("transcription.") for e in events]


def test_subscribers_see_their_jobs_live_and_a_reconnecting_client_gets_exactly_what_it_missed(
    runtime: Any, worker: object, two_minutes: Path, clients: Callable[[str], Client]
) -> None:
    key_a, key_b = new_key("live-a"), new_key("live-b")
    everything = clients(key_a)  # every job of tenant live-a, from before the job exists
    everything.send(action="subscribe", all=True)
    assert everything.reply("subscribed") == {"type": "subscribed", "all": True}
    stranger = clients(key_b)  # another tenant: all of its own jobs
    stranger.send(action="subscribe", all=True)
    stranger.reply("subscribed")

    job_id = submit(two_minutes, tenant="live-a")
    wait_status(job_id, lambda job: True, timeout=60)  # the upload's job exists
    one_job = clients(key_a)
    one_job.send(action="subscribe", job_id=job_id)
    subscribed = one_job.reply("subscribed")
    assert subscribed["job_id"] == job_id and subscribed["status"] in {s.value for s in JobStatus}

    # The other tenant asks for this job by its id: exactly what it gets for a job that does not exist.
    stranger.send(action="subscribe", job_id=job_id)
    foreign = stranger.reply("error", after=1)
    answered = len(stranger.messages)
    stranger.send(action="subscribe", job_id="job-doesnotexist0000000000")
    unknown = stranger.reply("error", after=answered)
    assert foreign["status"] == unknown["status"] == 404 and foreign["code"] == unknown["code"] == "not-found"
    assert foreign["detail"].replace(job_id, "X") == unknown["detail"].replace("job-doesnotexist0000000000", "X")
    assert set(foreign) == set(unknown)

    # A third client leaves mid-transcription and comes back with the id of the last event it saw.
    leaver = clients(key_a)
    leaver.send(action="subscribe", job_id=job_id)
    leaver.wait(lambda m: m.get("event_type") == "transcription.progress" and m["data"]["progress"] >= 20, 180)
    seen = leaver.events(job_id)
    leaver.close()
    last = seen[-1]["event_id"]
    # Events happen while it is away.
    everything.wait(lambda m: m.get("event_type") == "transcription.progress" and m["data"]["progress"] >= 50, 120)
    back = clients(key_a)
    back.send(action="subscribe", job_id=job_id, since=last)

    assert wait_job(job_id, timeout=240).status == JobStatus.COMPLETED
    everything.wait(lambda m: m.get("event_type") == COMPLETED and m["correlation_id"] == job_id, 60)
    one_job.wait(lambda m: m.get("event_type") == COMPLETED, 60)
    back.wait(lambda m: m.get("event_type") == COMPLETED, 60)
    time.sleep(2)  # anything late (or misdirected) has arrived

    events = everything.events(job_id)
    kinds = _kinds(events)
    progress = [e["data"]["progress"] for e in events if e["event_type"] == "transcription.progress"]
    assert kinds[:2] == ["created", "started"], kinds
    assert kinds[2:] == ["progress"] * len(progress) + ["completed"], kinds
    assert len(progress) >= 9 and progress == sorted(set(progress)), progress
    assert all(isinstance(e["data"]["eta_seconds"], int | float) for e in events[2:-1])
    completed = events[-1]["data"]
    assert completed["status"] == "COMPLETED"
    assert set(completed["results"]) >= {"json", "txt", "srt", "vtt"}
    # Links to the results through the API (the local runtime tells the Lambdas its URL).
    assert completed["links"]["srt"] == f"{runtime.api_url}/v1/transcriptions/{job_id}/result?format=srt"
    assert all(set(e) >= {"event_id", "event_type", "timestamp", "version", "correlation_id", "data"} for e in events)
    assert len({e["event_id"] for e in events}) == len(events), "no event twice"
    assert [e["sequence"] for e in events] == sorted(set(e["sequence"] for e in events)) and events[0]["sequence"] == 1
    # The job's own subscriber sees the same events (from when it subscribed), in the same order.
    ids = [e["event_id"] for e in events]
    own = [e["event_id"] for e in one_job.events(job_id)]
    assert own == ids[ids.index(own[0]) :]

    # The one that came back: exactly the events after the last one it saw, in order, none twice.
    assert [e["event_id"] for e in seen] == ids[ids.index(seen[0]["event_id"]) : ids.index(last) + 1]
    assert back.reply("subscribed")["job_id"] == job_id
    assert [e["event_id"] for e in back.events(job_id)] == ids[ids.index(last) + 1 :]

    # The other tenant never saw any of it.
    assert stranger.events(job_id) == []
    assert all(job_id not in json.dumps(m) or m.get("type") == "error" for m in stranger.messages)


def test_a_bad_key_is_refused_at_connect(live_url: str) -> None:
    for url in (f"{live_url}?key=ytc_not-a-real-key", live_url, f"{live_url}?key=nonsense"):
        with pytest.raises(InvalidStatus) as refused:
            connect(url, open_timeout=20)
        assert refused.value.response.status_code == 401


def test_the_key_may_come_in_the_header_too(live_url: str) -> None:
    with connect(live_url, additional_headers={"x-api-key": new_key("live-header")}, open_timeout=20) as ws:
        ws.send(json.dumps({"action": "ping"}))
        assert json.loads(ws.recv(timeout=20)) == {"type": "pong"}


def test_a_malformed_message_gets_an_error_and_the_connection_stays_usable(
    live_url: str, clients: Callable[[str], Client]
) -> None:
    client = clients(new_key("live-errors"))
    client.send_raw("this is not json")
    bad = client.reply("error")
    assert bad["status"] == 400 and bad["code"] == "bad-message" and "JSON" in bad["detail"]
    client.send(action="subscribe", job_id="job-x", all=True)
    both = client.reply("error", after=1)
    assert both["code"] == "bad-message" and both["errors"]
    client.send(action="ping")
    assert client.reply("pong", after=2) == {"type": "pong"}
    client.send(action="subscribe", all=True)
    assert client.reply("subscribed", after=3) == {"type": "subscribed", "all": True}
    client.send(action="unsubscribe", all=True)
    assert client.reply("unsubscribed", after=4) == {"type": "unsubscribed", "all": True}


def test_a_connection_whose_client_is_gone_is_forgotten_on_the_next_post(runtime: Any) -> None:
    """API Gateway delivers $disconnect only on a best-effort basis: a connection's items may outlive
    it. The next event posted to it meets GoneException, and the connection is forgotten."""
    store = ConnectionStore(get_settings().connections_table)
    gone, job_id = "gone-connection-0001", "job-live-gone-000000000000"
    store.open(gone, "live-gone")
    store.subscribe(Connection(gone, "live-gone"), keys.job_topic(job_id))
    assert store.get(gone) is not None and [s.connection_id for s in store.subscribers(keys.job_topic(job_id))]
    publish(progress_envelope(job_id, "live-gone", 40, 10.0))
    deadline = time.monotonic() + 30
    while store.get(gone) is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert store.get(gone) is None
    assert store.subscribers(keys.job_topic(job_id)) == []


def test_the_socket_lambda_keeps_and_forgets_connections_as_api_gateway_routes_them(runtime: Any) -> None:
    """The AWS side of the same protocol: API Gateway's $connect (after the authorizer), a message, and
    $disconnect, to the `live-socket` Lambda."""
    from ytcaption.store import aws

    store = ConnectionStore(get_settings().connections_table)
    connection_id = "lambda-connection-01="
    context = {"connectionId": connection_id, "domainName": "wsapi.example", "stage": resources.LIVE_STAGE}

    def route(route_key: str, body: str | None = None, **extra: Any) -> Any:
        event = {"requestContext": {**context, "routeKey": route_key, **extra}, "body": body, "isBase64Encoded": False}
        answer = aws.client("lambda").invoke(
            FunctionName=resources.lambda_spec("live-socket").function_name, Payload=json.dumps(event).encode()
        )
        assert not answer.get("FunctionError"), answer["Payload"].read()
        return json.loads(answer["Payload"].read())

    assert route("$connect", authorizer={"tenant": "live-lambda", "keyId": "k1"}) == {"statusCode": 200}
    connection = store.get(connection_id)
    assert connection is not None and connection.tenant == "live-lambda"
    # Its replies go to the management API (locally: the local API, which holds no such socket: gone).
    assert route("$default", json.dumps({"action": "subscribe", "all": True})) == {"statusCode": 200}
    assert store.get(connection_id).topics == {keys.tenant_topic("live-lambda")}  # type: ignore[union-attr]
    assert [s.connection_id for s in store.subscribers(keys.tenant_topic("live-lambda"))] == [connection_id]
    assert route("$disconnect") == {"statusCode": 200}
    assert store.get(connection_id) is None and store.subscribers(keys.tenant_topic("live-lambda")) == []


def test_a_failed_job_is_told_with_its_code_and_reason(
    runtime: Any, tmp_path: Path, clients: Callable[[str], Client]
) -> None:
    watcher = clients(new_key("live-fails"))
    watcher.send(action="subscribe", all=True)
    watcher.reply("subscribed")
    bogus = tmp_path / "notes.mp3"
    bogus.write_text("This is a text file pretending to be an mp3.\n" * 20)
    job_id = submit(bogus, tenant="live-fails")
    failed = watcher.wait(lambda m: m.get("event_type") == "transcription.failed", 120)
    assert failed["correlation_id"] == job_id and failed["data"]["status"] == "FAILED"
    assert failed["data"]["error"]["code"] == "INVALID_MEDIA" and failed["data"]["error"]["reason"]
    assert _kinds(watcher.events(job_id)) == ["created", "failed"]


def test_events_that_reach_the_fan_out_out_of_order_are_read_and_replayed_in_the_order_they_were_published(
    runtime: Any, clients: Callable[[str], Client]
) -> None:
    """Nothing between the bus and the subscribers keeps order (the bus invokes `live` asynchronously,
    a thread per event here, as many at once as AWS likes there). Here a job's events even go onto the
    bus in the reverse of the order they were numbered in: a subscriber orders them by `sequence`, and
    a client that comes back with `since` is replayed the rest in that order."""
    tenant, job_id = "live-order", "job-live-order-00000000000"
    JobStore(get_settings().table).create(job_id=job_id, tenant=tenant, source={"type": "s3", "key": "k"},
                                          options=JobOptions())  # fmt: skip
    key = new_key(tenant)
    watcher = clients(key)
    watcher.send(action="subscribe", all=True)
    watcher.reply("subscribed")
    published = [
        created_envelope(job_id, tenant, {"type": "s3", "key": "k"}, {}),
        started_envelope(job_id, tenant, "w-order"),
        *(progress_envelope(job_id, tenant, p, 5.0) for p in (10, 20, 30, 40)),
    ]
    for event in published:  # numbered in this order, as publish() numbers them
        event["sequence"] = next_sequence(get_settings().table, job_id)
    for event in reversed(published):  # ... but they reach the bus (and the fan-out) last first
        publish(event)
    ids = [e["event_id"] for e in published]
    watcher.wait(lambda m: m.get("event_id") == ids[0], 60)
    deadline = time.monotonic() + 60
    while len(watcher.events(job_id)) < len(ids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [e["event_id"] for e in watcher.events(job_id)] == ids
    assert [e["sequence"] for e in watcher.events(job_id)] == [1, 2, 3, 4, 5, 6]

    # Replayed after the second event: the rest, posted in order (one after the other, by sequence).
    back = clients(key)
    back.send(action="subscribe", job_id=job_id, since=ids[1])
    assert back.reply("subscribed")["job_id"] == job_id
    back.wait(lambda m: m.get("event_id") == ids[-1], 30)
    time.sleep(1)
    arrived = [m["event_id"] for m in back.messages if "event_id" in m]
    assert arrived == ids[2:]
