"""Waiting for a transcription over the live-updates WebSocket (docs/use/live.md).

Each event of the job makes the caller read the job again (`refresh`), so what it sees is always the
API's own Transcription; the socket only says when. A quiet socket is checked against the API every
`resync` seconds, so a lost event costs a delay, never a hang. Whenever the socket cannot be used
(no WebSocket library, refused, closed, an error reply) `LiveUnavailable` says so and the caller polls.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit, urlunsplit

from ytcaption.api.schemas import Transcription

TERMINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED"})


class LiveUnavailable(Exception):
    """The live socket cannot be used for this wait: poll instead."""


def live_url_for(api_url: str) -> str:
    """Where the local API serves the socket: the API's address, ws(s)://, /v1/live."""
    from ytcaption.resources import LIVE_PATH

    parts = urlsplit(api_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + LIVE_PATH, "", ""))


class _Redact(logging.Filter):
    """The socket's URL carries the key (API Gateway reads it from the query): never log it."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.secret in message:
            record.msg, record.args = message.replace(self.secret, "***"), ()
        return True


def _socket_logger(key: str) -> logging.Logger:
    logger = logging.getLogger("ytcaption.client.live.socket")
    logger.filters = [_Redact(key)]
    return logger


def wait(
    url: str,
    key: str,
    job_id: str,
    refresh: Callable[[], Transcription],
    deadline: float,
    resync: float = 15.0,
) -> Transcription | None:
    """The job once it ended, or None at the deadline; raises LiveUnavailable to fall back to polling."""
    try:
        from websockets.exceptions import ConnectionClosed, WebSocketException
        from websockets.sync.client import connect
    except ImportError as exc:
        raise LiveUnavailable("the websockets package is not installed") from exc

    separator = "&" if "?" in url else "?"
    try:
        socket = connect(
            f"{url}{separator}{urlencode({'key': key})}",
            additional_headers={"x-api-key": key},
            open_timeout=10,
            logger=_socket_logger(key),
        )
    except (OSError, WebSocketException, TimeoutError, ValueError) as exc:
        # Not the exception's text: it may hold the URL, and the URL holds the key.
        raise LiveUnavailable(f"cannot connect ({type(exc).__name__})") from None
    with socket:
        try:
            socket.send(json.dumps({"action": "subscribe", "job_id": job_id}))
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                try:
                    raw = socket.recv(timeout=min(left, resync))
                except TimeoutError:
                    job = refresh()
                    if job.status in TERMINAL:
                        return job
                    continue
                message = json.loads(raw)
                if message.get("type") == "error":
                    raise LiveUnavailable(f"the socket answered {message.get('code')}: {message.get('detail')}")
                if message.get("type") == "subscribed" or "event_id" in message:
                    job = refresh()
                    if job.status in TERMINAL:
                        return job
        except ConnectionClosed:
            raise LiveUnavailable("the socket closed") from None
