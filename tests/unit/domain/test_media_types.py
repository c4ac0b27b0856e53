"""Declared media types: audio and video only, never free text."""

from __future__ import annotations

import pytest

from ytcaption.domain.media_types import accepted_media_type, media_type_of


@pytest.mark.parametrize(
    "bad",
    ["audio/mpeg\r\nX-Injected: 1", "text/html", "image/svg+xml", "application/javascript", "audio/mpeg; x=1", ""],
)
def test_anything_but_an_audio_or_video_type_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="audio or video media type"):
        accepted_media_type(bad)


def test_declared_types_are_normalised() -> None:
    assert accepted_media_type(" Audio/MPEG ") == "audio/mpeg"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("talk.MP3", "audio/mpeg"),
        ("clip.webm", "video/webm"),
        ("page.html", "application/octet-stream"),
        ("x", "application/octet-stream"),
    ],
)
def test_a_files_type_follows_its_extension(name: str, kind: str) -> None:
    assert media_type_of(name) == kind
