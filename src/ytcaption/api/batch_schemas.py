"""Request and response bodies of /v1/batches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ytcaption.api.schemas import URL_PATTERN, OptionsIn
from ytcaption.domain.vocabulary import Priority


class BatchRequest(OptionsIn):
    """A playlist, channel or feed URL and the options every entry's transcription gets."""

    url: str = Field(max_length=2048, pattern=URL_PATTERN, examples=["https://example.com/podcast/feed.xml"])
    # Entries go to the low-priority queue unless asked: a large batch does not hold up single jobs.
    priority: Priority = "low"
    max_items: int | None = Field(
        default=None, ge=1, description="at most this many entries (default and ceiling: your key's batch limit)"
    )
    newest_first: bool = Field(default=True, description="dated entries newest first (else the source's order)")
    published_after: datetime | None = Field(default=None, description="only entries published at or after this")
    published_before: datetime | None = Field(default=None, description="only entries published before this")
    cache: bool = Field(
        default=True, description="answer entries already transcribed with these options from the cache"
    )

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"url": "https://example.com/feed.xml", "model": "base"}]}
    )


class BatchEntry(BaseModel):
    index: int
    entry_id: str
    url: str
    title: str = ""
    timestamp: int | None = Field(default=None, description="when the entry was published (Unix seconds), if known")
    job_id: str | None = Field(default=None, description="its transcription (none when the entry was refused)")
    status: str
    progress: int = 0
    error_code: str | None = None
    error_reason: str | None = None
    cache_hit: bool = False


class Batch(BaseModel):
    id: str
    status: str = Field(description="EXPANDING, RUNNING, then COMPLETED, FAILED or CANCELLED")
    url: str
    title: str = ""
    created_at: str
    finished_at: str | None = None
    total: int = Field(description="entries listed")
    ended: int = Field(default=0, description="entries whose transcription has ended")
    counts: dict[str, int] = Field(
        default_factory=dict,
        description="entries by their transcription's status; in a list of batches, the ended entries only "
        "(by the status each ended with)",
    )
    progress: int = Field(
        description="percent of the batch's work done; in a list, by ended entries only (GET the batch for more)"
    )
    error_code: str | None = None
    error_reason: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    entries: list[BatchEntry] | None = Field(default=None, description="in the batch's order (GET of one batch)")
    links: dict[str, str]


class BatchPage(BaseModel):
    items: list[Batch] = Field(description="newest first, without their entries")
    next_cursor: str | None = Field(default=None, description="pass as `cursor` for the next page; none at the end")
