"""ytcaption.store.media: the S3 key layout of uploads and results."""

from __future__ import annotations

from pathlib import Path

import pytest

from ytcaption.store import media as storage
from ytcaption.store.media import (
    MAX_KEY_BYTES,
    RESULT_FORMATS,
    result_key,
    tenant_of_upload_key,
    upload_id_of_key,
    upload_key,
)


def test_upload_key_layout() -> None:
    assert upload_key("acme", "u123", "talk.mp4") == "uploads/acme/u123/talk.mp4"


@pytest.mark.parametrize(
    ("filename", "name"),
    [
        ("/home/me/videos/talk.mp4", "talk.mp4"),
        ("videos/talk.mp4", "talk.mp4"),
        ("../../etc/passwd", "passwd"),
        ("Grüße aus Köln.wav", "Grüße aus Köln.wav"),
    ],
)
def test_upload_key_keeps_only_the_file_name(filename: str, name: str) -> None:
    assert upload_key("t", "u", filename) == f"uploads/t/u/{name}"


@pytest.mark.parametrize(
    ("tenant", "upload_id", "filename"),
    [
        ("acme", "u1", "a.mp3"),
        ("local", "0123456789abcdef0123456789abcdef", "my talk (final).mp4"),
        ("t-1_x", "id", "file.with.dots.wav"),
    ],
)
def test_tenant_round_trip(tenant: str, upload_id: str, filename: str) -> None:
    assert tenant_of_upload_key(upload_key(tenant, upload_id, filename)) == tenant


@pytest.mark.parametrize(
    "key",
    [
        "uploads/x",
        "uploads/t/u",
        "other/t/u/f",
        "uploads//u/f",
        "uploads/t//f",
        "Uploads/t/u/f",
        "uploadsx/t/u/f",
        "/uploads/t/u/f",
        "audio/t/u/f",
        "results/job-1/transcript.srt",
        "",
    ],
)
def test_tenant_of_bad_keys_is_none(key: str) -> None:
    assert tenant_of_upload_key(key) is None


def test_tenant_of_a_nested_key() -> None:
    assert tenant_of_upload_key("uploads/acme/u1/sub/dir/f.mp3") == "acme"


@pytest.mark.skipif(not hasattr(storage, "upload_id_of_key"), reason="no upload_id_of_key in this version")
def test_upload_id_of_key() -> None:
    assert storage.upload_id_of_key("uploads/acme/u1/f.mp3") == "u1"
    assert storage.upload_id_of_key("uploads//u1/f.mp3") is None
    assert storage.upload_id_of_key("other/acme/u1/f.mp3") is None


def test_result_key_layout() -> None:
    assert result_key("job-abc", "srt") == "results/job-abc/transcript.srt"


def test_result_keys_of_every_format_are_distinct_and_under_the_job() -> None:
    keys = [result_key("job-1", fmt) for fmt in RESULT_FORMATS]
    assert keys == [
        "results/job-1/transcript.json",
        "results/job-1/transcript.txt",
        "results/job-1/transcript.srt",
        "results/job-1/transcript.vtt",
    ]
    assert result_key("job-1", "srt") != result_key("job-2", "srt")


def test_every_result_format_has_a_content_type() -> None:
    # and the transcript with its words, kept for re-rendering subtitles
    assert set(storage.CONTENT_TYPES) == {*RESULT_FORMATS, "words.json"}
    assert storage.CONTENT_TYPES["vtt"].startswith("text/vtt")
    assert storage.CONTENT_TYPES["json"] == "application/json"


@pytest.mark.parametrize(
    "filename",
    [
        "\U0001f600" * 255,
        "\U0001f600" * 250 + ".mp3",
        "é" * 255 + ".webm",
        "a" * 1100,
        "x" * 900 + ".not-an-extension-at-all",
    ],
)
def test_upload_keys_fit_s3s_limit_cut_at_a_character(filename: str) -> None:
    tenant, upload_id = "t" * 64, "0" * 32
    key = upload_key(tenant, upload_id, filename)
    assert len(key.encode()) <= MAX_KEY_BYTES
    name = key.rsplit("/", 1)[-1]
    stem = name.removesuffix(Path(filename).suffix) if filename.endswith((".mp3", ".webm")) else name
    assert stem and filename.startswith(stem)  # whole characters: a prefix of the name
    if filename.endswith((".mp3", ".webm")):
        assert name.endswith(Path(filename).suffix)
    assert tenant_of_upload_key(key) == tenant and upload_id_of_key(key) == upload_id


def test_a_short_name_is_kept_whole() -> None:
    assert upload_key("t", "u", "\U0001f600.mp3") == "uploads/t/u/\U0001f600.mp3"
