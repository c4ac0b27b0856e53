"""The job: its statuses, the transitions between them, and the job as stored."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

# JobOptions lives in domain.options; re-exported here for the modules that still import it
# from domain.job (the worker's, moved in a later commit to keep concurrent edits mergeable).
from ytcaption.domain.options import JobOptions as JobOptions


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


def can_transition(current: JobStatus, target: JobStatus) -> bool:
    return current in ALLOWED_FROM[target]


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(ts: datetime) -> str:
    return ts.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def normalized(value: str | None) -> str | None:
    """Any ISO 8601 instant in the one form clients see (UTC, milliseconds, `Z`); the state machine's
    `$$.State.EnteredTime` arrives as `…+00:00` with microseconds in the emulator."""
    if value is None:
        return None
    try:
        return iso(datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC))
    except ValueError:
        return value


class S3Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["s3"] = "s3"
    bucket: str
    key: str
    # The file the job was made from (an upload's ETag): a later file under the same key is not it.
    etag: str | None = None

    @model_serializer(mode="wrap")
    def _etag_only_when_known(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("etag") is None:
            data.pop("etag", None)
        return data


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
    plan: list[dict[str, Any]] | None = None  # long audio: its chunks (domain.chunks.Chunk)
    execution_name: str | None = None
    language: str | None = None
    cache_hit: bool = False
    cached_from: str | None = None
    # Set by the public API: the digest of the request (an idempotent replay must match it)
    # and the identity of its transcript in the result cache.
    request_hash: str | None = None
    cache_key: str | None = None
    # Made by a batch: which one, and which of its entries (store.batches).
    batch_id: str | None = None
    batch_entry: int | None = None
