"""The email a job with `notify_email` gets when it completes or fails (Amazon SES v2).

Subject and a short body (title, duration, language, a link to the transcript and
its first lines) in plain text and HTML, from the templates beside this module.
Best effort: a failed send is recorded in the job's history, never changes the job.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from email.utils import parseaddr
from importlib import resources as package_files
from string import Template
from typing import Any

from ytcaption.domain.job import Job, JobStatus
from ytcaption.settings import Settings
from ytcaption.store import aws
from ytcaption.store.media import MediaStore, result_key

log = logging.getLogger(__name__)

EMAILED = (JobStatus.COMPLETED, JobStatus.FAILED)
EXCERPT_LINES = 5
EXCERPT_CHARS = 600


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str


def _template(name: str) -> Template:
    return Template(package_files.files("ytcaption.finish").joinpath("templates", name).read_text("utf-8"))


def _duration(seconds: Any) -> str:
    if not isinstance(seconds, int | float):
        return "unknown"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def title_of(job: Job) -> str:
    facts = {**(job.media or {}), **(job.source_meta or {})}
    if facts.get("title"):
        return str(facts["title"])
    source = job.source
    return str(source.get("url") or str(source.get("key", "")).rsplit("/", 1)[-1] or job.job_id)


def excerpt(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()][:EXCERPT_LINES]
    short = "\n".join(lines)
    return short if len(short) <= EXCERPT_CHARS else short[: EXCERPT_CHARS - 1].rstrip() + "…"


def compose(job: Job, settings: Settings, transcript_text: str = "") -> Email:
    assert job.options.notify_email
    link = f"{settings.public_api_url.rstrip('/')}/v1/transcriptions/{job.job_id}"
    title = title_of(job)
    facts = {**(job.source_meta or {}), **(job.media or {})}
    values = {
        "title": title,
        "duration": _duration(facts.get("duration")),
        "language": job.language or job.options.language or "unknown",
        "job_id": job.job_id,
        "error_code": job.error_code or "",
        "error_reason": job.error_reason or "",
    }
    if job.status == JobStatus.COMPLETED:
        link += "/result?format=txt"
        short = excerpt(transcript_text)
        text = _template("email_completed.txt").substitute(values, link=link, excerpt=short)
        page = _template("email_completed.html").substitute(
            {k: html.escape(v) for k, v in values.items()},
            link=html.escape(link),
            excerpt_html=html.escape(short).replace("\n", "<br>"),
        )
        subject = f"Transcript ready: {title}"
    else:
        text = _template("email_failed.txt").substitute(values, link=link)
        page = _template("email_failed.html").substitute(
            {k: html.escape(v) for k, v in values.items()}, link=html.escape(link)
        )
        subject = f"Transcription failed: {title}"
    # One line, bounded: SES refuses a subject with line breaks.
    subject = " ".join(subject.split())[:200]
    return Email(to=job.options.notify_email, subject=subject, text=text, html=page)


def transcript_text(job: Job, settings: Settings) -> str:
    """The plain-text transcript (empty if it cannot be read: the email goes without its excerpt)."""
    try:
        bucket = (job.result or {}).get("bucket") or settings.bucket
        key = ((job.result or {}).get("keys") or {}).get("txt") or result_key(job.job_id, "txt")
        return MediaStore(bucket).get_text(key)[:8192]
    except Exception as exc:
        log.warning("transcript of %s not readable for its email: %s", job.job_id, exc)
        return ""


def send(message: Email, sender: str) -> str:
    """Through SES v2; returns its message id."""
    answer = aws.client("sesv2").send_email(
        FromEmailAddress=sender,
        Destination={"ToAddresses": [message.to]},
        Content={
            "Simple": {
                "Subject": {"Data": message.subject, "Charset": "UTF-8"},
                "Body": {
                    "Text": {"Data": message.text, "Charset": "UTF-8"},
                    "Html": {"Data": message.html, "Charset": "UTF-8"},
                },
            }
        },
    )
    return str(answer.get("MessageId", ""))


def sender_address(sender: str) -> str:
    """`YTCaption <noreply@example.com>` -> `noreply@example.com`."""
    return parseaddr(sender)[1] or sender


def email_job(job: Job, settings: Settings) -> dict[str, Any]:
    """Send the job's email; a dict for its history (outcome sent | failed)."""
    to = job.options.notify_email or ""
    if not settings.email_sender:
        return {"to": to, "outcome": "failed", "detail": "this deployment has no email sender (YTC_EMAIL_SENDER)"}
    try:
        message = compose(job, settings, transcript_text(job, settings) if job.status == JobStatus.COMPLETED else "")
        message_id = send(message, settings.email_sender)
    except Exception as exc:
        return {"to": to, "outcome": "failed", "detail": f"{aws.error_code(exc) or type(exc).__name__}: {exc}"[:500]}
    return {"to": to, "outcome": "sent", "detail": "accepted by SES", "message_id": message_id,
            "subject": message.subject}  # fmt: skip
