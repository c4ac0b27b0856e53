"""Error codes a job can end with, and the exceptions that carry them.

A code is stable (clients and the state machine match on it); the reason is a
sentence a user understands.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    SOURCE_NOT_FOUND = "SOURCE_NOT_FOUND"
    URL_NOT_ALLOWED = "URL_NOT_ALLOWED"
    SOURCE_UNSUPPORTED = "SOURCE_UNSUPPORTED"
    SOURCE_PRIVATE = "SOURCE_PRIVATE"
    SOURCE_GEO_BLOCKED = "SOURCE_GEO_BLOCKED"
    SOURCE_BLOCKED = "SOURCE_BLOCKED"
    SOURCE_UNAVAILABLE = "SOURCE_UNAVAILABLE"
    LIVE_NOT_SUPPORTED = "LIVE_NOT_SUPPORTED"
    MEDIA_TOO_LARGE = "MEDIA_TOO_LARGE"
    DOWNLOAD_FAILED = "DOWNLOAD_FAILED"
    EMPTY_MEDIA = "EMPTY_MEDIA"
    INVALID_MEDIA = "INVALID_MEDIA"
    NO_AUDIO_TRACK = "NO_AUDIO_TRACK"
    TRUNCATED_MEDIA = "TRUNCATED_MEDIA"
    MEDIA_TOO_LONG = "MEDIA_TOO_LONG"
    MODEL_UNAVAILABLE = "MODEL_UNAVAILABLE"
    TRANSCRIPTION_FAILED = "TRANSCRIPTION_FAILED"
    WORKER_TIMEOUT = "WORKER_TIMEOUT"
    TIMEOUT = "TIMEOUT"
    CANCELLED = "CANCELLED"
    INVALID_REQUEST = "INVALID_REQUEST"
    INTERNAL_ERROR = "INTERNAL_ERROR"


class YtcError(Exception):
    """A failure that ends the job: it has a code and a human reason."""

    def __init__(self, code: ErrorCode, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


class TransientError(Exception):
    """A failure worth retrying (the state machine retries it by name)."""


class InvalidTransition(Exception):
    """A status change the job's current status does not allow."""
