"""A webhook receiver on 127.0.0.1 that checks signatures with the documentation's own snippet.

With `hang=True` it never answers while the test runs (a slow or hostile endpoint): each request is
held until the receiver closes. Each request notes the process that sent it (from /proc: the owner
of the client's socket), so a test can tell which component called the endpoint.
"""

from __future__ import annotations

import contextlib
import json
import os
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
    sender_pid: int | None = None

    @property
    def event(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


@dataclass
class WebhookReceiver:
    secret: str
    answers: list[int] = field(default_factory=list)  # statuses to answer first, then 200
    received: list[Received] = field(default_factory=list)
    port: int = 0
    answered: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/ytcaption"

    def events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        return [
            r.event for r in self.received if r.valid and (event_type is None or r.event["event_type"] == event_type)
        ]


@contextmanager
def webhook_receiver(secret: str, answers: list[int] | None = None, hang: bool = False) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(secret=secret, answers=list(answers or []))
    verify = documented_verifier()
    lock = threading.Lock()
    closing = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            valid = verify(receiver.secret, self.headers.get("YTCaption-Signature", ""), body)
            headers = {k.lower(): v for k, v in self.headers.items()}
            sender = socket_owner(self.client_address[1], receiver.port)
            with lock:
                receiver.received.append(Received(body, headers, valid, sender))
                status = receiver.answers.pop(0) if receiver.answers else 200
            if hang:
                closing.wait()
                return  # never answered; the sender gave up long ago
            self.send_response(status if valid else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            with lock:
                receiver.answered += 1

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        closing.set()
        server.shutdown()
        server.server_close()


def socket_owner(client_port: int, server_port: int) -> int | None:
    """The process holding the client end (127.0.0.1:client_port -> :server_port) of a connection."""
    wanted = (f"{client_port:04X}", f"{server_port:04X}")
    inode = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if (fields[1].split(":")[1], fields[2].split(":")[1]) == wanted:
                inode = fields[9]
    if inode is None:
        return None
    target = f"socket:[{inode}]"
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                        return int(pid)
    return None
