"""Where audio and results live in S3, and moving them in and out."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from ytcaption import resources
from ytcaption.domain.vocabulary import ResultFormat
from ytcaption.store import aws

RESULT_FORMATS: tuple[str, ...] = get_args(ResultFormat)

CONTENT_TYPES = {
    "json": "application/json",
    "txt": "text/plain; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
    # The transcript with its words, kept for re-rendering subtitles (domain.formats.WORDS).
    "words.json": "application/json",
}


# S3 refuses keys longer than 1,024 bytes (UTF-8).
MAX_KEY_BYTES = 1024
# What S3 answers for a key that is not there (HEAD answers a bare 404).
_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
# An extension longer than this is no extension worth keeping whole.
_MAX_SUFFIX_BYTES = 16


def upload_key(tenant: str, upload_id: str, filename: str) -> str:
    """uploads/{tenant}/{upload_id}/{name}, the name shortened (its extension kept) to fit S3's key limit."""
    prefix = f"{resources.UPLOADS_PREFIX}{tenant}/{upload_id}/"
    return prefix + fit_name(Path(filename).name, MAX_KEY_BYTES - len(prefix.encode()))


def fit_name(name: str, max_bytes: int) -> str:
    """The name in at most max_bytes of UTF-8, cut at a character boundary, its extension kept."""
    if len(name.encode()) <= max_bytes:
        return name
    suffix = Path(name).suffix
    if len(suffix.encode()) > _MAX_SUFFIX_BYTES:
        suffix = ""
    room = max_bytes - len(suffix.encode())
    stem = name[: len(name) - len(suffix)] if suffix else name
    # errors="ignore" drops a character the cut went through the middle of.
    return stem.encode()[:room].decode("utf-8", errors="ignore").rstrip() + suffix


def tenant_of_upload_key(key: str) -> str | None:
    """uploads/{tenant}/{upload_id}/{name} -> tenant; None if the key has another shape."""
    parts = key.split("/")
    if len(parts) < 4 or parts[0] + "/" != resources.UPLOADS_PREFIX or not all(parts[1:]):
        return None
    return parts[1]


def upload_id_of_key(key: str) -> str | None:
    return key.split("/")[2] if tenant_of_upload_key(key) else None


def audio_key(job_id: str, suffix: str) -> str:
    return f"{resources.AUDIO_PREFIX}{job_id}/audio{suffix}"


def chunk_results_prefix(job_id: str) -> str:
    return f"results/{job_id}/chunks/"


def chunk_result_key(job_id: str, index: int) -> str:
    """One chunk's transcript (long audio), in the file's time, kept until the job's results expire."""
    return f"{chunk_results_prefix(job_id)}{index:04d}.json"


def chunk_voices_key(job_id: str, index: int) -> str:
    """One chunk's voices (speech windows and their speaker embeddings) for a job with speakers,
    written before the chunk's transcript: a chunk with a transcript has its voices."""
    return f"{chunk_results_prefix(job_id)}{index:04d}.voices.json"


def result_key(job_id: str, fmt: str) -> str:
    return f"{resources.RESULTS_PREFIX}{job_id}/transcript.{fmt}"


@dataclass(frozen=True)
class LandedObject:
    key: str
    etag: str
    size: int
    written_at: float


class MediaStore:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket
        self.s3 = aws.client("s3")

    def landed(self, prefix: str, since: float) -> list[LandedObject]:
        """Objects under `prefix` last written at or after `since` (epoch seconds)."""
        found = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                written = obj["LastModified"].timestamp()
                if written >= since:
                    found.append(LandedObject(str(obj["Key"]), str(obj["ETag"]), int(obj["Size"]), written))
        return found

    def head(self, key: str) -> dict[str, Any] | None:
        try:
            return dict(self.s3.head_object(Bucket=self.bucket, Key=key))
        except Exception as exc:
            if aws.error_code(exc) in _NOT_FOUND:
                return None
            raise

    def download(self, key: str, path: Path) -> None:
        self.s3.download_file(self.bucket, key, str(path))

    def upload_file(self, path: Path, key: str, metadata: dict[str, str] | None = None) -> str:
        """Upload and return the object's ETag."""
        with path.open("rb") as body:
            response = self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, Metadata=metadata or {})
        return str(response["ETag"])

    def upload_large(self, path: Path, key: str) -> None:
        """Managed multipart upload: large media never has to fit in memory."""
        self.s3.upload_file(str(path), self.bucket, key)

    def put_text(self, key: str, text: str, content_type: str) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=text.encode("utf-8"), ContentType=content_type)

    def get_text(self, key: str) -> str:
        return str(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read().decode("utf-8"))

    def get_text_if_any(self, key: str) -> str | None:
        """The object's text, or None where there is none (one request, not a HEAD and a GET)."""
        try:
            return self.get_text(key)
        except Exception as exc:
            if aws.error_code(exc) in _NOT_FOUND:
                return None
            raise

    def write_results(self, job_id: str, rendered: dict[str, str]) -> dict[str, str]:
        """Store each rendered format; returns format -> key. The PUTs go at once (one round trip,
        not five, between a finished transcription and its result); any failure is raised."""
        keys = {fmt: result_key(job_id, fmt) for fmt in rendered}
        with ThreadPoolExecutor(max_workers=len(rendered) or 1, thread_name_prefix="put-result") as puts:
            done = [puts.submit(self.put_text, keys[fmt], text, CONTENT_TYPES[fmt]) for fmt, text in rendered.items()]
        for put in done:
            put.result()
        return keys

    # -- the public API: upload tickets and result downloads ---------------------------

    def presigned_post(
        self, key: str, max_bytes: int, content_type: str, expires_in: int
    ) -> tuple[str, dict[str, str]]:
        """A browser-style POST for one object of 1..max_bytes bytes and this media type: (url, form fields)."""
        fields: dict[str, str] = {"Content-Type": content_type}
        conditions: list[Any] = [["content-length-range", 1, max_bytes], {"Content-Type": content_type}]
        post = self.s3.generate_presigned_post(
            Bucket=self.bucket, Key=key, Fields=fields, Conditions=conditions, ExpiresIn=expires_in
        )
        return str(post["url"]), {k: str(v) for k, v in post["fields"].items()}

    def find_upload(self, tenant: str, upload_id: str) -> tuple[str, str] | None:
        """The file that arrived for this upload id: (key, ETag), or None while none has."""
        prefix = upload_key(tenant, upload_id, "x")[:-1]
        listing = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix, MaxKeys=1)
        contents = listing.get("Contents") or []
        if not contents:
            return None
        return str(contents[0]["Key"]), str(contents[0]["ETag"])

    def link(self, key: str, expires_in: int = 900, content_type: str | None = None) -> str:
        """A presigned GET of the object; served as `content_type` when given, whatever it was stored as."""
        params = {"Bucket": self.bucket, "Key": key}
        if content_type:
            params["ResponseContentType"] = content_type
        return str(self.s3.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in))

    def read_or_link(self, key: str, max_bytes: int, expires_in: int = 900) -> tuple[bytes | None, str | None]:
        """The object's bytes, or, when it is larger than max_bytes, a presigned download URL instead."""
        obj = self.s3.get_object(Bucket=self.bucket, Key=key)
        if int(obj.get("ContentLength", 0)) > max_bytes:
            obj["Body"].close()
            return None, self.link(key, expires_in)
        return bytes(obj["Body"].read()), None
