"""notify_email: one email per completed or failed job, through SES v2 (the emulator's outbox)."""

from __future__ import annotations

import html
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.api import client, new_key, upload, wait_for
from tests.support.pipeline import read_result, submit, wait_execution, wait_job
from ytcaption import resources
from ytcaption.domain.job import JobStatus
from ytcaption.local.outbox import as_text, sent_emails
from ytcaption.store.jobs import JobStore

pytestmark = pytest.mark.integration


def _emails_to(runtime: Any, address: str, job_id: str, timeout: float = 20) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    found: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        found = [e for e in sent_emails(runtime.endpoint) if address in e["to"] and job_id in (e["body"] or "")]
        if found:
            time.sleep(1)  # a second one (there must be none) would have come by now
            return [e for e in sent_emails(runtime.endpoint) if address in e["to"] and job_id in (e["body"] or "")]
        time.sleep(0.3)
    return found


def _email_history(job_id: str) -> list[dict[str, Any]]:
    return [i for i in JobStore(resources.TABLE).history(job_id) if i.get("kind") == "email"]


def test_completed_job_emails_title_link_and_first_lines(runtime: Any, worker: object, speech_wav: Path) -> None:
    api = client(runtime.api_url, new_key("mail"))
    _, job_id = upload(api, speech_wav, notify_email="ana@example.com")
    body = wait_for(api, job_id)
    assert body["status"] == "COMPLETED" and body["options"]["notify_email"] == "ana@example.com"
    assert wait_execution(job_id)["status"] == "SUCCEEDED"
    (email,) = _emails_to(runtime, "ana@example.com", job_id)
    assert email["subject"] == f"Transcript ready: {speech_wav.name}"
    assert "ytcaption@localhost.localdomain" in email["from"]
    link = f"{runtime.api_url}/v1/transcriptions/{job_id}/result?format=txt"
    assert f'href="{html.escape(link)}"' in email["body"]
    first_line = read_result(wait_job(job_id), "txt").strip().splitlines()[0].strip()
    assert html.escape(first_line) in email["body"]
    text = as_text(email["body"])
    assert "Duration" in text and "Language" in text and "en" in text
    (record,) = _email_history(job_id)
    assert record["outcome"] == "sent" and record["to"] == "ana@example.com"
    events = api.get(f"/v1/transcriptions/{job_id}/events").json()["events"]
    assert [e["event_type"] for e in events if e["kind"] == "email"] == ["email.sent"]


def test_failed_job_sends_the_failure_email(runtime: Any, tmp_path: Path) -> None:
    bad = tmp_path / "silence.wav"
    bad.write_bytes(b"")
    job_id = submit(bad, tenant="mail", notify_email="bo@example.com")
    assert wait_job(job_id).status == JobStatus.FAILED
    assert wait_execution(job_id)["status"] == "FAILED"
    (email,) = _emails_to(runtime, "bo@example.com", job_id)
    assert email["subject"] == "Transcription failed: silence.wav"
    assert "EMPTY_MEDIA" in email["body"]
    assert f"{runtime.api_url}/v1/transcriptions/{job_id}" in email["body"]
    assert [r["outcome"] for r in _email_history(job_id)] == ["sent"]


@pytest.mark.parametrize("address", ["not-an-address", "a@b", "two@@example.com", "x@example.com\nBcc: y@example.com"])
def test_an_invalid_address_is_refused_at_intake(runtime: Any, address: str) -> None:
    api = client(runtime.api_url, new_key("mail"))
    answer = api.post(
        "/v1/transcriptions", json={"source": {"url": "http://127.0.0.1:9/x.mp3"}, "notify_email": address}
    )
    assert answer.status_code == 422, answer.text
    assert any("notify_email" in str(e.get("field", "")) for e in answer.json().get("errors", [])), answer.text
    refused = api.post("/v1/uploads", json={"filename": "a.wav", "size_bytes": 10, "notify_email": address})
    assert refused.status_code == 422
