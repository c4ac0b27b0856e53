"""The audio of the long job in hand, kept on the worker's disk between its chunks.

A worker that takes several chunks of one file downloads the file once, not once per chunk (each
download of a long file costs the worker and S3 a second or more; on a host where the workers share
the cores, that is time taken from the transcription). One file is kept at a time: the next job's
audio replaces it, and the worker removes it when it stops. The object's ETag is part of the key,
so a file replaced in S3 is downloaded again.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path

from ytcaption.store.media import MediaStore


class AudioCache:
    def __init__(self) -> None:
        self._folder: Path | None = None
        self._ident: tuple[str, str, str] | None = None
        self._lock = threading.Lock()

    def get(self, bucket: str, key: str) -> tuple[Path, bool]:
        """A local copy of s3://bucket/key, and whether it was there already (no download)."""
        media = MediaStore(bucket)
        head = media.head(key) or {}
        ident = (bucket, key, str(head.get("ETag") or ""))
        with self._lock:
            if self._folder is not None and self._ident == ident and (self._folder / "audio").is_file():
                return self._folder / "audio", True
            self._clear()
            folder = Path(tempfile.mkdtemp(prefix="ytc-audio-"))
            try:
                media.download(key, folder / "audio")
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            self._folder, self._ident = folder, ident
            return folder / "audio", False

    def clear(self) -> None:
        with self._lock:
            self._clear()

    def _clear(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
        self._folder, self._ident = None, None
