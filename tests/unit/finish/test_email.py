"""The email of a job's end: its content, and a failed send recorded, not raised."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from ytcaption.domain.job import Job
from ytcaption.domain.options import JobOptions
from ytcaption.finish import email
from ytcaption.settings import Settings


def _job(status: str = "COMPLETED", **extra: Any) -> Job:
    return Job.model_validate(
        {"job_id": "j1", "tenant": "t", "status": status, "source": {"type": "url", "url": "https://v/1"},
         "options": JobOptions(notify_email="ana@example.com").model_dump(), "created_at": "2026-01-01T00:00:00Z",
         "source_meta": {"title": "Talk <b>&</b> more"}, "media": {"duration": 3725.4}, "language": "en", **extra}
    )  # fmt: skip


def test_completed_email_has_title_duration_language_link_and_first_lines() -> None:
    settings = Settings(public_api_url="https://api.example.com/")
    lines = "\n".join(f"line {i} <x>" for i in range(1, 12))
    message = email.compose(_job(), settings, lines)
    assert message.to == "ana@example.com" and message.subject == "Transcript ready: Talk <b>&</b> more"
    assert "https://api.example.com/v1/transcriptions/j1/result?format=txt" in message.text
    assert "1:02:05" in message.text and "Language:  en" in message.text
    assert "line 5 <x>" in message.text and "line 6" not in message.text
    assert "Talk &lt;b&gt;&amp;&lt;/b&gt; more" in message.html and "<b>&</b>" not in message.html
    assert "line 1 &lt;x&gt;<br>line 2" in message.html


def test_failure_email_says_why() -> None:
    job = _job("FAILED", error_code="EMPTY_MEDIA", error_reason="nothing to hear")
    message = email.compose(job, Settings(public_api_url="http://h"), "")
    assert message.subject == "Transcription failed: Talk <b>&</b> more"
    assert (
        "EMPTY_MEDIA" in message.text
        and "nothing to hear" in message.html
        and "http://h/v1/transcriptions/j1" in message.text
    )


def test_a_send_that_fails_is_an_outcome_not_an_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: Any, **_k: Any) -> str:
        raise RuntimeError("SES said no")

    monkeypatch.setattr(email, "send", refuse)
    monkeypatch.setattr(email, "transcript_text", lambda *_a: "")
    outcome = email.email_job(_job(), Settings(email_sender="x@example.com"))
    assert outcome["outcome"] == "failed" and "SES said no" in outcome["detail"]
    assert email.email_job(_job(), Settings(email_sender=""))["outcome"] == "failed"


@pytest.mark.parametrize("address", ["ana@example.com", "a.b+c@mail.example.co.uk"])
def test_addresses_accepted(address: str) -> None:
    assert JobOptions(notify_email=address).notify_email == address


@pytest.mark.parametrize(
    "address", ["ana", "a@b", "a@@b.com", "a@b.com\nBcc: c@d.com", ".a@b.com", "a..b@c.com", "a@-b.com"]
)
def test_addresses_refused(address: str) -> None:
    with pytest.raises(ValidationError):
        JobOptions(notify_email=address)
