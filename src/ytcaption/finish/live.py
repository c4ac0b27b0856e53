"""Live updates over WebSocket: the protocol, and the fan-out of job events to the subscribers.

A client connects with its tenant key (`?key=ytc_...`; API Gateway's authorizer in AWS, the local
API locally) and sends JSON messages:

    {"action": "subscribe", "job_id": "job-...", "since": "<event_id>"}   # since: optional
    {"action": "subscribe", "all": true}                                   # every job of its tenant
    {"action": "unsubscribe", "job_id": "job-..."}  /  {"action": "unsubscribe", "all": true}
    {"action": "ping"}

It receives the job events themselves (the envelopes of finish/events.py, as on the event bus and in
webhooks) and small control replies, each with a `type`: `subscribed`, `unsubscribed`, `pong`, and
`error` (`status`, `code`, `detail`; the connection stays open). A job of another tenant is answered
exactly as a job that does not exist (404 `not-found`).

Events reach connections from the event bus: a rule sends each job event to the `live` Lambda, which
records it in the job's event log (store/eventlog.py: what `since` replays) and posts it to the job's
subscribers and its tenant's, through the WebSocket stage's management API (`post_to_connection`;
locally the local API answers that API for the connections it holds). A connection that is gone
(GoneException) is forgotten. Each (connection, event) is claimed before it is posted, so a replay
and the live fan-out never send one event twice to a connection.

Order: each event is posted as it reaches the fan-out, and the bus's asynchronous invocations keep no
order, so clients order a job's events by their `sequence` (given at publication, store/eventlog.py);
the log, and so every replay, is in `sequence` order.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from ytcaption.store import aws, keys
from ytcaption.store.connections import Connection, ConnectionStore, Subscription
from ytcaption.store.eventlog import EventLog

log = logging.getLogger(__name__)

JOB_ID_PATTERN = r"^[A-Za-z0-9_-]{1,128}$"
MAX_MESSAGE_BYTES = 4096

# Posts one message to one connection: False when the connection is gone.
Post = Callable[[str, dict[str, Any]], bool]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Target(_Message):
    job_id: str | None = Field(default=None, pattern=JOB_ID_PATTERN)
    all: bool = False

    @model_validator(mode="after")
    def _one_target(self) -> _Target:
        if (self.job_id is not None) == self.all:
            raise ValueError('name either a "job_id" or "all": true')
        return self

    @property
    def topic(self) -> str:
        return keys.job_topic(self.job_id) if self.job_id else ""


class Subscribe(_Target):
    action: Literal["subscribe"]
    # Replay the job's events after this one (the id of the last event the client saw).
    since: str | None = Field(default=None, min_length=1, max_length=128)

    @model_validator(mode="after")
    def _since_needs_a_job(self) -> Subscribe:
        if self.since is not None and self.job_id is None:
            raise ValueError('"since" replays one job\'s events: it needs a "job_id"')
        return self


class Unsubscribe(_Target):
    action: Literal["unsubscribe"]


class Ping(_Message):
    action: Literal["ping"]


Message = Annotated[Subscribe | Unsubscribe | Ping, Field(discriminator="action")]
_MESSAGE: TypeAdapter[Subscribe | Unsubscribe | Ping] = TypeAdapter(Message)


class BadMessage(ValueError):
    def __init__(self, detail: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


def parse(raw: str | bytes) -> Subscribe | Unsubscribe | Ping:
    """A client's message; BadMessage says what is wrong with it."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise BadMessage(f"Messages are at most {MAX_MESSAGE_BYTES} bytes.")
    try:
        data = json.loads(raw)
    except ValueError:
        raise BadMessage('A message is a JSON object, e.g. {"action": "ping"}.') from None
    if not isinstance(data, dict):
        raise BadMessage('A message is a JSON object, e.g. {"action": "ping"}.')
    try:
        return _MESSAGE.validate_python(data)
    except ValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"], "type": e["type"]}
            for e in exc.errors(include_url=False)
        ]
        detail = "; ".join(f"{e['field'] or 'message'}: {e['message']}" for e in errors[:5])
        raise BadMessage(detail or "The message is not valid.", errors) from None


def error(status: int, code: str, detail: str, **extra: Any) -> dict[str, Any]:
    """A control reply for a request that could not be done (problem-details fields, `type: error`)."""
    return {"type": "error", "status": status, "code": code, "detail": detail,
            **{k: v for k, v in extra.items() if v is not None}}  # fmt: skip


def recipients(event: dict[str, Any], tenant: str, subscriptions: list[Subscription]) -> list[str]:
    """The connections an event goes to: each once, and only those of the job's own tenant (none when
    the event names another tenant than the job's)."""
    named = (event.get("data") or {}).get("tenant")
    if not tenant or (named and named != tenant):
        return []
    job_topic = keys.job_topic(str(event.get("correlation_id", "")))
    tenant_topic = keys.tenant_topic(tenant)
    chosen: list[str] = []
    for sub in subscriptions:
        if sub.tenant == tenant and sub.topic in (job_topic, tenant_topic) and sub.connection_id not in chosen:
            chosen.append(sub.connection_id)
    return chosen


def after(events: list[dict[str, Any]], event_id: str) -> list[dict[str, Any]] | None:
    """The events after the one with this id (None: it is not among them)."""
    ids = [str(e.get("event_id")) for e in events]
    return events[ids.index(event_id) + 1 :] if event_id in ids else None


@dataclass
class FanOut:
    recorded: bool
    posted: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class Live:
    def __init__(self, connections: ConnectionStore, events: EventLog) -> None:
        self.connections = connections
        self.events = events

    # -- connections -------------------------------------------------------------------

    def connect(self, connection_id: str, tenant: str, key_id: str = "") -> None:
        self.connections.open(connection_id, tenant, key_id)

    def disconnect(self, connection_id: str) -> None:
        self.connections.close(connection_id)

    def receive(self, connection_id: str, raw: str | bytes, post: Post) -> None:
        """One message of a client: what it asks is done, and answered through `post`."""
        connection = self.connections.get(connection_id)
        if connection is None:
            post(connection_id, error(410, "gone", "This connection has expired; connect again."))
            return
        try:
            message = parse(raw)
        except BadMessage as exc:
            post(connection_id, error(400, "bad-message", exc.detail, errors=exc.errors or None))
            return
        self.connections.touch(connection)
        if isinstance(message, Ping):
            post(connection_id, {"type": "pong"})
        elif isinstance(message, Subscribe):
            self._subscribe(connection, message, post)
        else:
            self._unsubscribe(connection, message, post)

    def _job_of_tenant(self, connection: Connection, job_id: str, post: Post) -> str | None:
        """The job's status when it is this tenant's; else a 404 reply (the same for another's job)."""
        found = self.events.job_status(job_id)
        if found is None or found[0] != connection.tenant:
            post(connection.connection_id, error(404, "not-found", f"There is no transcription {job_id}.",
                                                 job_id=job_id))  # fmt: skip
            return None
        return found[1]

    def _subscribe(self, connection: Connection, message: Subscribe, post: Post) -> None:
        cid = connection.connection_id
        if message.all:
            self.connections.subscribe(connection, keys.tenant_topic(connection.tenant))
            post(cid, {"type": "subscribed", "all": True})
            return
        job_id = str(message.job_id)
        status = self._job_of_tenant(connection, job_id, post)
        if status is None:
            return
        missed: list[dict[str, Any]] = []
        if message.since is not None:
            found = after(self.events.events(job_id), message.since)
            if found is None:
                post(cid, error(404, "unknown-event", f"Transcription {job_id} has no event {message.since}.",
                                job_id=job_id, since=message.since))  # fmt: skip
                return
            missed = found
        post(cid, {"type": "subscribed", "job_id": job_id, "status": status})
        # What was missed goes first, then the subscription starts the live events; a second look at
        # the log sends what was recorded in between (the claims keep each event to one post).
        if not self._replay(cid, job_id, missed, post):
            return
        self.connections.subscribe(connection, message.topic)
        if message.since is not None:
            self._replay(cid, job_id, after(self.events.events(job_id), message.since) or [], post)

    def _replay(self, cid: str, job_id: str, events: list[dict[str, Any]], post: Post) -> bool:
        for event in events:
            if self.connections.claim(cid, job_id, str(event["event_id"])) and not post(cid, event):
                return False
        return True

    def _unsubscribe(self, connection: Connection, message: Unsubscribe, post: Post) -> None:
        topic = keys.tenant_topic(connection.tenant) if message.all else message.topic
        if topic in connection.topics:
            self.connections.unsubscribe(connection, topic)
        post(connection.connection_id, {"type": "unsubscribed", **({"all": True} if message.all else
                                                                   {"job_id": message.job_id})})  # fmt: skip

    # -- events ---------------------------------------------------------------------------

    def fan_out(self, event: dict[str, Any], post: Post) -> FanOut:
        """Record a job event and post it to its subscribers (an event seen before is not posted again)."""
        job_id = str(event.get("correlation_id") or "")
        if not job_id or not event.get("event_id"):
            log.warning("not a job event: %s", str(event)[:200])
            return FanOut(recorded=False)
        outcome = FanOut(recorded=self.events.record(event))
        if not outcome.recorded:
            return outcome
        tenant = str((event.get("data") or {}).get("tenant") or "")
        if not tenant:
            found = self.events.job_status(job_id)
            tenant = found[0] if found else ""
        if not tenant:
            return outcome
        subscriptions = self.connections.subscribers(keys.job_topic(job_id))
        subscriptions += self.connections.subscribers(keys.tenant_topic(tenant))
        for cid in recipients(event, tenant, subscriptions):
            if not self.connections.claim(cid, job_id, str(event["event_id"])):
                continue
            try:
                delivered = post(cid, event)
            except Exception:
                # One connection's trouble is not the others': it can still ask for the event (`since`).
                log.exception("event %s not posted to %s", event.get("event_id"), cid)
                outcome.failed.append(cid)
                continue
            if delivered:
                outcome.posted.append(cid)
            else:
                outcome.gone.append(cid)
                self.connections.close(cid)
        return outcome


class ManagementApi:
    """Posts to connections through API Gateway's management API of the WebSocket stage
    (`https://<api>.execute-api.<region>.amazonaws.com/<stage>`; locally the local API)."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint.rstrip("/")

    def __call__(self, connection_id: str, message: dict[str, Any]) -> bool:
        if not self.endpoint:
            raise RuntimeError("no management API to post through: set YTC_LIVE_ENDPOINT")
        client = aws.client_at("apigatewaymanagementapi", self.endpoint)
        try:
            client.post_to_connection(ConnectionId=connection_id, Data=json.dumps(message).encode())
        except Exception as exc:
            if aws.error_code(exc) == "GoneException":
                return False
            raise
        return True
