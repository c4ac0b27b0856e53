"""The FetchAudio step for S3 sources: check the object, probe it, record it."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from ytcaption.errors import ErrorCode, InvalidTransition, YtcError
from ytcaption.job import JobStatus
from ytcaption.jobstore import JobStore
from ytcaption.probe import probe
from ytcaption.settings import Settings
from ytcaption.storage import MediaStore


def fetch_s3_audio(job_id: str, source: dict[str, Any], settings: Settings, store: JobStore) -> dict[str, Any]:
    job = store.get(job_id)
    if job is None:
        raise YtcError(ErrorCode.INTERNAL_ERROR, f"Job {job_id} does not exist.")
    if job.status == JobStatus.PENDING:
        store.transition(job_id, JobStatus.DOWNLOADING)
    elif job.status != JobStatus.DOWNLOADING:  # a retry finds DOWNLOADING: go on
        raise InvalidTransition(f"job {job_id} is {job.status}; it cannot fetch audio")

    media = MediaStore(source["bucket"])
    head = media.head(source["key"])
    if head is None:
        raise YtcError(ErrorCode.SOURCE_NOT_FOUND, f"The uploaded file {source['key']} was not found.")
    with tempfile.TemporaryDirectory(prefix="ytc-fetch-") as tmp:
        local = Path(tmp) / "media"
        media.download(source["key"], local)
        info = probe(local)
    if info.duration > settings.max_media_seconds:
        raise YtcError(
            ErrorCode.MEDIA_TOO_LONG,
            f"The audio is {info.duration / 60:.0f} minutes long; "
            f"the limit is {settings.max_media_seconds / 60:.0f} minutes.",
        )
    store.transition(job_id, JobStatus.QUEUED, media=info.as_dict())
    return {
        "audio": {"bucket": source["bucket"], "key": source["key"]},
        "media": info.as_dict(),
        "timeout_seconds": settings.transcription_timeout(info.duration),
    }
