"""The job: its statuses, the transitions between them, and its options."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ytcaption.domain.vocabulary import is_valid_model_reference


class JobStatus(StrEnum):
    PENDING = "PENDING"
    DOWNLOADING = "DOWNLOADING"
    QUEUED = "QUEUED"
    TRANSCRIBING = "TRANSCRIBING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL

    @property
    def rank(self) -> int:
        """Position in the forward order; history items sort by it."""
        return list(JobStatus).index(self)


TERMINAL = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})

# Status only moves forward; a terminal job never changes again.
ALLOWED_FROM: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.PENDING: frozenset(),
    JobStatus.DOWNLOADING: frozenset({JobStatus.PENDING}),
    JobStatus.QUEUED: frozenset({JobStatus.PENDING, JobStatus.DOWNLOADING}),
    JobStatus.TRANSCRIBING: frozenset({JobStatus.QUEUED}),
    # From DOWNLOADING when the video's own captions made Whisper unnecessary.
    JobStatus.COMPLETED: frozenset({JobStatus.DOWNLOADING, JobStatus.TRANSCRIBING}),
    JobStatus.FAILED: frozenset(set(JobStatus) - TERMINAL),
    JobStatus.CANCELLED: frozenset(set(JobStatus) - TERMINAL),
}


# ISO 639 code with an optional region/script subtag ("en", "pt-BR", "yue").
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?")


def can_transition(current: JobStatus, target: JobStatus) -> bool:
    return current in ALLOWED_FROM[target]


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(ts: datetime) -> str:
    return ts.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JobOptions(BaseModel):
    """What the client asked for; validated at the edge, carried to the worker."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = "tiny.en"
    language: str | None = Field(default=None, description="ISO code; None detects it")
    task: Literal["transcribe", "translate"] = "transcribe"
    word_timestamps: bool = False
    vad: bool = True
    beam_size: int = Field(default=5, ge=1, le=10)
    prefer_captions: bool = Field(default=False, description="use the video's own subtitles when it has them")
    priority: Literal["low", "normal", "high"] = "normal"
    webhook_url: str | None = Field(default=None, description="called with the job's terminal event")
    notify_progress: bool = Field(default=False, description="also send progress events to the webhook (each 10 %)")

    @field_validator("language", mode="before")
    @classmethod
    def _auto_is_none(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in {"", "auto"}:
            return None
        return value

    @field_validator("language")
    @classmethod
    def _language_code(cls, value: str | None) -> str | None:
        if value is not None and not _LANGUAGE.fullmatch(value):
            raise ValueError("language must be 'auto' or a language code such as 'en'")
        return value.lower() if value else None

    @field_validator("model")
    @classmethod
    def _model(cls, value: str) -> str:
        if not is_valid_model_reference(value):
            raise ValueError(
                "model must be a Whisper model name (tiny, base, small, medium, "
                "large-v3, turbo, ... with optional .en) or a local directory path"
            )
        return value


class S3Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["s3"] = "s3"
    bucket: str
    key: str


class UrlSource(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["url"] = "url"
    url: str


class Job(BaseModel):
    """A job as read back from the store."""

    model_config = ConfigDict(extra="ignore")

    job_id: str
    tenant: str
    status: JobStatus
    progress: int = 0
    source: dict[str, Any]
    options: JobOptions
    created_at: str
    updated_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    media: dict[str, Any] | None = None
    source_meta: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    error_code: str | None = None
    error_reason: str | None = None
    eta_seconds: float | None = None
    deadline_at: float | None = None  # epoch seconds; set when a worker first takes the job
    # The worker holding the job and until when (epoch seconds, millisecond precision).
    lease_owner: str | None = None
    lease_until: float | None = None
    lost_workers: int = 0  # workers that stopped renewing their lease on this job
    audio: dict[str, str] | None = None  # where FetchAudio left the audio for the worker
    redrives: int = 0
    execution_name: str | None = None
    language: str | None = None
    cache_hit: bool = False
    cached_from: str | None = None
