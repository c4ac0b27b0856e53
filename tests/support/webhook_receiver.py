"""A webhook receiver on 127.0.0.1 that checks signatures with the documentation's own snippet."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

DOCUMENTED = Path(__file__).resolve().parents[2] / "docs" / "use" / "webhooks.md"


def documented_verifier() -> Any:
    """The verification function exactly as the webhooks page shows it."""
    text = DOCUMENTED.read_text()
    match = re.search(r"```python\n(.*?def verify_ytcaption_signature.*?)```", text, re.S)
    assert match, "docs/use/webhooks.md documents verify_ytcaption_signature"
    namespace: dict[str, Any] = {}
    exec(match.group(1), namespace)  # the documented snippet, run as a user would
    return namespace["verify_ytcaption_signature"]


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]
    valid: bool

    @property
    def event(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


@dataclass
class WebhookReceiver:
    secret: str
    answers: list[int] = field(default_factory=list)  # statuses to answer first, then 200
    received: list[Received] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/ytcaption"

    def events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        return [
            r.event for r in self.received if r.valid and (event_type is None or r.event["event_type"] == event_type)
        ]


@contextmanager
def webhook_receiver(secret: str, answers: list[int] | None = None) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(secret=secret, answers=list(answers or []))
    verify = documented_verifier()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            valid = verify(receiver.secret, self.headers.get("YTCaption-Signature", ""), body)
            with lock:
                receiver.received.append(Received(body, {k.lower(): v for k, v in self.headers.items()}, valid))
                status = receiver.answers.pop(0) if receiver.answers else 200
            self.send_response(status if valid else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
