"""Requests as an attacker sends them: bytes written by hand over http.client, with nothing a client
library would normalise (header case, field order, duplicate fields, a missing signature)."""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def send(method: str, url: str, body: bytes = b"", headers: list[tuple[str, str]] | None = None) -> Answer:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=60)
    try:
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        connection.putrequest(method, target, skip_accept_encoding=True)
        for name, value in headers or []:
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def multipart(parts: list[tuple[str, bytes | str, str | None]], boundary: str = "xYzBoundary") -> bytes:
    """A multipart/form-data body, part by part as given: (name, value, filename or None)."""
    out = b""
    for name, value, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        if filename:
            head += "Content-Type: application/octet-stream\r\n"
        out += (head + "\r\n").encode() + (value.encode() if isinstance(value, str) else value) + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def post_json(url: str, body: bytes, key: str) -> Answer:
    return send("POST", url, body, [("Content-Type", "application/json"), ("X-Api-Key", key)])
