"""A file to the presigned POST of an upload ticket (POST /v1/uploads), with progress.

The file is streamed from disk, never read whole; `on_progress(sent, total)` is called as its bytes
go out (and from 0 again if a retry sends it again). The API key is not sent to the storage URL.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ytcaption.domain.media_types import OCTET_STREAM, media_type_of

Progress = Callable[[int, int], None]


class _CountingFile(io.FileIO):
    """A file whose reads report how far they got (httpx's multipart reads it in chunks)."""

    def __init__(self, path: Path, on_progress: Progress | None) -> None:
        super().__init__(path, "rb")
        self.total = path.stat().st_size
        self.sent = 0
        self.on_progress = on_progress

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.sent += len(data or b"")
        if self.on_progress is not None and data:
            self.on_progress(self.sent, self.total)
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        position = super().seek(offset, whence)
        self.sent = position
        return position


def content_type(path: Path) -> str | None:
    """The media type the service itself gives this name (mimetypes calls .ts a Qt translation); None
    where the name says nothing, so the service decides."""
    kind = media_type_of(path.name)
    return None if kind == OCTET_STREAM else kind


def multipart(path: Path, fields: dict[str, str], kind: str | None, on_progress: Progress | None) -> dict[str, Any]:
    """httpx arguments of the POST: the ticket's fields first, then the file (S3 ignores fields after it)."""
    file = _CountingFile(path, on_progress)
    return {"data": fields, "files": {"file": (path.name, file, kind or "application/octet-stream")}}
