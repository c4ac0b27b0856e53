"""worker.audio: a worker downloads a long job's audio once for all the chunks it takes."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

moto = pytest.importorskip("moto", reason="the `local` extra (moto) is not installed")

BUCKET = "audio-cache-test"


@pytest.fixture
def s3(in_process_aws: None) -> Any:
    """A real S3 API (moto, in-process) behind the project's own client factory."""
    from ytcaption.store import aws

    client = aws.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


def test_the_same_object_is_downloaded_once_and_a_new_one_replaces_it(s3: Any) -> None:
    from ytcaption.worker.audio import AudioCache

    client = s3
    client.put_object(Bucket=BUCKET, Key="audio/a/audio.wav", Body=b"first job")
    cache = AudioCache()
    path, cached = cache.get(BUCKET, "audio/a/audio.wav")
    assert (path.read_bytes(), cached) == (b"first job", False)
    inode = path.stat().st_ino
    again, cached = cache.get(BUCKET, "audio/a/audio.wav")
    assert (again, cached, again.stat().st_ino) == (path, True, inode)

    # Replaced in S3 (another ETag): downloaded again.
    client.put_object(Bucket=BUCKET, Key="audio/a/audio.wav", Body=b"replaced")
    replaced, cached = cache.get(BUCKET, "audio/a/audio.wav")
    assert (replaced.read_bytes(), cached) == (b"replaced", False)
    assert not path.exists() or path == replaced

    # Another job's audio takes its place: one file is kept at a time.
    client.put_object(Bucket=BUCKET, Key="audio/b/audio.wav", Body=b"second job")
    other, cached = cache.get(BUCKET, "audio/b/audio.wav")
    assert (other.read_bytes(), cached) == (b"second job", False)
    assert not replaced.parent.exists()
    cache.clear()
    assert not other.parent.exists()


def test_a_failed_download_leaves_nothing_behind(s3: Any) -> None:
    from ytcaption.worker.audio import AudioCache

    cache = AudioCache()
    before = set(Path(tempfile.gettempdir()).glob("ytc-audio-*"))
    with pytest.raises(Exception):  # noqa: B017 - botocore's 404 (ClientError)
        cache.get(BUCKET, "audio/missing/audio.wav")
    assert set(Path(tempfile.gettempdir()).glob("ytc-audio-*")) == before
