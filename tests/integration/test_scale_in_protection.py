"""A worker holds ECS task scale-in protection while it has a job, through the ECS agent's
endpoint (a recording stand-in for the agent on 127.0.0.1, as ECS_AGENT_URI), and lets go after."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.support.pipeline import submit, wait_job
from ytcaption.domain.job import JobStatus

pytestmark = pytest.mark.integration


@pytest.fixture
def agent() -> Iterator[tuple[str, list[tuple[str, dict[str, Any]]]]]:
    calls: list[tuple[str, dict[str, Any]]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_PUT(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            calls.append((self.path, json.loads(body)))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", calls
    finally:
        server.shutdown()
        server.server_close()


def test_a_worker_is_protected_from_scale_in_while_it_holds_a_job(
    runtime: Any, agent: tuple[str, list[tuple[str, dict[str, Any]]]], speech_wav: Path
) -> None:
    uri, calls = agent
    with runtime.worker({"ECS_AGENT_URI": uri}):
        job = wait_job(submit(speech_wav))
    assert job.status == JobStatus.COMPLETED
    assert [path for path, _ in calls] == ["/task-protection/v1/state"] * 2
    (_, on_body), (_, off_body) = calls
    assert on_body["ProtectionEnabled"] is True and on_body["ExpiresInMinutes"] >= 15
    assert off_body == {"ProtectionEnabled": False}
