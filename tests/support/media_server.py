"""A media server on 127.0.0.1 for yt-dlp tests: static files, scripted failures,
redirects, and a log of every request it saw."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.support.serving import serving

CONTENT_TYPES = {
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".webm": "audio/webm",
    ".wav": "audio/wav",
    ".vtt": "text/vtt",
    ".html": "text/html; charset=utf-8",
}


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "application/octet-stream"
    status: int = 200
    # Answer these statuses first, one per request, then `status` with the body.
    failures: list[int] = field(default_factory=list)
    location: str | None = None


class MediaServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:
                self._answer(with_body=False)

            def do_GET(self) -> None:
                self._answer(with_body=True)

            def _answer(self, with_body: bool) -> None:
                path = self.path.split("?", 1)[0]
                with server._lock:
                    server.requests.append(path)
                    route = server.routes.get(path)
                    status = route.failures.pop(0) if route and route.failures else (route.status if route else 404)
                if route is None or status >= 400:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(status)
                if route.location:
                    self.send_header("Location", route.location)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                if with_body:
                    self.wfile.write(route.body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve_file(self, path: str, file: Path) -> str:
        self.routes[path] = Route(file.read_bytes(), CONTENT_TYPES.get(file.suffix, "application/octet-stream"))
        return self.url(path)

    def serve_text(self, path: str, text: str, content_type: str = "text/html; charset=utf-8") -> str:
        self.routes[path] = Route(text.encode(), content_type)
        return self.url(path)

    def requested(self, path: str) -> int:
        with self._lock:
            return self.requests.count(path)


@contextmanager
def media_server() -> Iterator[MediaServer]:
    server = MediaServer()
    with serving(server.httpd):
        yield server
