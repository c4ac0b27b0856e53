"""What the local runtime's SES "sent": moto keeps every message it accepted in its SES
backend; the emulator serves them at OUTBOX_PATH (`ytcaption local outbox` reads it).

moto's SES v2 keeps one body per message (the HTML part when there is one), so the outbox
shows the subject, the addresses and that body (`as_text` for reading).
"""

from __future__ import annotations

import html
import json
import re
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

OUTBOX_PATH = "/_ytcaption/outbox"
_TAGS = re.compile(r"<[^>]+>")
_BLANKS = re.compile(r"\n\s*\n+")


def emulator_outbox() -> list[dict[str, Any]]:
    """In the emulator's process: every message of every account and region, oldest first."""
    from moto.ses.models import ses_backends

    found = []
    for _account, regions in list(ses_backends.items()):
        for _region, backend in list(regions.items()):
            for m in list(backend.sent_messages):
                destinations = getattr(m, "destinations", {})
                to = destinations if isinstance(destinations, list) else [
                    a for addresses in destinations.values() for a in addresses
                ]  # fmt: skip
                found.append({"id": m.id, "from": m.source, "to": to, "subject": getattr(m, "subject", None),
                              "body": getattr(m, "body", None) or getattr(m, "raw_data", "")})  # fmt: skip
    return found


class OutboxMiddleware:
    """Serves OUTBOX_PATH (GET, JSON) in front of the emulator's app."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "GET" and environ.get("PATH_INFO") == OUTBOX_PATH:
            body = json.dumps(emulator_outbox()).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return self.app(environ, start_response)


def sent_emails(endpoint: str, secret: str | None = None) -> list[dict[str, Any]]:
    """From outside: what the emulator at `endpoint` sent. The outbox is the runtime's: it answers only
    with the runtime's secret (ytcaption.local.front_door; default: this process's AWS secret key)."""
    import os

    secret = secret if secret is not None else os.environ.get("AWS_SECRET_ACCESS_KEY", "")
    request = urllib.request.Request(f"{endpoint.rstrip('/')}{OUTBOX_PATH}", headers={"X-Ytc-Local-Secret": secret})
    with urllib.request.urlopen(request, timeout=30) as response:
        return list(json.loads(response.read()))


def as_text(body: str) -> str:
    """An HTML body as readable text."""
    text = _TAGS.sub("", re.sub(r"<br\s*/?>|</(p|tr|h\d|blockquote)>", "\n", body or "", flags=re.I))
    return _BLANKS.sub("\n\n", html.unescape(text)).strip()
