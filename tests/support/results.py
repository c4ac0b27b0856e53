"""A COMPLETED transcription whose results are as large as a test needs: real items and objects,
written through the stores (transcribing hours of speech would take longer than a test may)."""

from __future__ import annotations

import json
import uuid

from ytcaption.domain.job import JobStatus
from ytcaption.domain.options import JobOptions
from ytcaption.settings import get_settings
from ytcaption.store import aws
from ytcaption.store.jobs import JobStore
from ytcaption.store.media import CONTENT_TYPES, audio_key, result_key

# Text that JSON escapes to six bytes a character (a page's transcript need not be English).
WIDE = "日本語の字幕テキスト"


def transcript_json(segments: int, text: str = WIDE * 100) -> bytes:
    rows = [{"id": i, "start": i * 2.0, "end": i * 2.0 + 2.0, "text": f"{i} {text}"} for i in range(segments)]
    return json.dumps({"language": "ja", "segments": rows}, ensure_ascii=False).encode()


def transcript_srt(cues: int, text: str = "Grüße " * 200) -> bytes:
    def stamp(seconds: int) -> str:
        return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d},000"

    return "".join(f"{i + 1}\n{stamp(2 * i)} --> {stamp(2 * i + 2)}\n{i} {text}\n\n" for i in range(cues)).encode()


def completed_job(tenant: str, results: dict[str, bytes], audio: bytes | None = None) -> str:
    """A COMPLETED job of this tenant with these results (format -> bytes) in the bucket (and audio)."""
    settings = get_settings()
    job_id = f"job-large-{uuid.uuid4().hex[:16]}"
    keys = {}
    for fmt, body in results.items():
        keys[fmt] = result_key(job_id, fmt)
        aws.client("s3").put_object(Bucket=settings.bucket, Key=keys[fmt], Body=body, ContentType=CONTENT_TYPES[fmt])
    extra = {}
    if audio is not None:
        extra["audio"] = {"bucket": settings.bucket, "key": audio_key(job_id, ".mp3")}
        aws.client("s3").put_object(Bucket=settings.bucket, Key=extra["audio"]["key"], Body=audio)
    created = JobStore(settings.table).create(
        job_id=job_id,
        tenant=tenant,
        source={"type": "url", "url": "https://example.com/long-talk.mp3"},
        options=JobOptions(),
        status=JobStatus.COMPLETED,
        result={"bucket": settings.bucket, "keys": keys},
        language="ja",
        **extra,
    )
    assert created
    return job_id
