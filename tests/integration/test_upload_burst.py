"""A burst of uploads on a busy host: every upload becomes a job, none is lost or doubled."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.api import client, new_key

pytestmark = pytest.mark.integration

UPLOADS = 40


@pytest.fixture
def busy_host() -> Iterator[None]:
    """Both cores busy with other work, as when workers transcribe beside the intake."""
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


def _upload(api: httpx.Client, path: Path) -> str:
    ticket = api.post("/v1/uploads", json={"filename": path.name}).json()
    with path.open("rb") as body:
        posted = httpx.post(ticket["url"], data=ticket["fields"], files={"file": (path.name, body)}, timeout=120)
    assert posted.status_code in (200, 201, 204), posted.text
    return str(ticket["upload_id"])


def _job_of(api: httpx.Client, upload_id: str) -> dict[str, Any] | None:
    status = api.get(f"/v1/uploads/{upload_id}").json()
    if status.get("status") != "received":
        return None
    answer = api.get(f"/v1/transcriptions/{status['transcription_id']}")
    return dict(answer.json()) if answer.status_code == 200 else None


def test_a_burst_of_uploads_on_a_busy_host_loses_nothing(base_url: str, busy_host: None, tmp_path: Path) -> None:
    # Not audio: each job ends FAILED (INVALID_MEDIA) in FetchAudio, with no worker needed.
    path = tmp_path / "notes.mp3"
    path.write_text("not audio\n" * 100)
    with client(base_url, new_key("burst")) as api:
        with ThreadPoolExecutor(max_workers=UPLOADS) as pool:
            upload_ids = list(pool.map(lambda _: _upload(api, path), range(UPLOADS)))
        deadline = time.monotonic() + 240
        jobs: dict[str, dict[str, Any]] = {}
        while time.monotonic() < deadline and len(jobs) < UPLOADS:
            for upload_id in upload_ids:
                job = jobs.get(upload_id)
                if job is None or job["status"] not in {"FAILED", "COMPLETED", "CANCELLED"}:
                    found = _job_of(api, upload_id)
                    if found is not None and found["status"] in {"FAILED", "COMPLETED", "CANCELLED"}:
                        jobs[upload_id] = found
            time.sleep(1)
        listed = api.get("/v1/transcriptions", params={"limit": 100}).json()["items"]
    lost = sorted(set(upload_ids) - set(jobs))
    assert not lost, f"{len(lost)} of {UPLOADS} uploads never became a finished job"
    assert all(job["error"]["code"] == "INVALID_MEDIA" for job in jobs.values())
    assert len({job["id"] for job in jobs.values()}) == UPLOADS, "one job per upload"
    assert len(listed) == UPLOADS, "and no job twice"
