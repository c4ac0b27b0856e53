"""A Python client of the public HTTP API, for tenants: create, follow, download, cancel.

    from ytcaption.client import Client

    with Client("https://api.example.com/prod", "ytc_...") as api:
        job = api.create_from_file("talk.mp4", {"language": "en", "task": "transcribe"})
        job = api.wait(job.id, on_update=lambda j: print(j.status, j.progress))
        print(api.result(job.id, "srt"))

Typed with the API's own pydantic models (ytcaption.api.schemas); needs httpx (and websockets for
live waiting), not boto3.
"""

from __future__ import annotations

from ytcaption.api.schemas import JobEvents, OptionsIn, Transcription, TranscriptionPage, UploadStatus
from ytcaption.client.client import Client
from ytcaption.client.errors import (
    ApiError,
    BadRequest,
    BatchWaitTimeout,
    ClientError,
    Conflict,
    Forbidden,
    NotFound,
    RateLimited,
    TransportError,
    Unauthorized,
    Unavailable,
    ValidationFailed,
    WaitTimeout,
)
from ytcaption.client.retries import RetryPolicy

__all__ = [
    "ApiError",
    "BadRequest",
    "BatchWaitTimeout",
    "Client",
    "ClientError",
    "Conflict",
    "Forbidden",
    "JobEvents",
    "NotFound",
    "OptionsIn",
    "RateLimited",
    "RetryPolicy",
    "Transcription",
    "TranscriptionPage",
    "TransportError",
    "Unauthorized",
    "Unavailable",
    "UploadStatus",
    "ValidationFailed",
    "WaitTimeout",
]
