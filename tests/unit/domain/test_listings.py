"""Which URLs are listings (answered at /v1/transcriptions with a pointer to /v1/batches)."""

from __future__ import annotations

import pytest

from ytcaption.domain.listings import looks_like_listing


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/playlist?list=PLabc",
        "https://youtube.com/@channel",
        "https://www.youtube.com/@channel/videos",
        "https://www.youtube.com/channel/UC123",
        "https://pod.example/show/feed.xml",
        "https://pod.example/show.rss",
        "https://blog.example/feed/",
        "https://pod.example/podcast",
    ],
)
def test_listings(url: str) -> None:
    assert looks_like_listing(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=PLabc",  # one video in a playlist: that video
        "https://youtu.be/dQw4w9WgXcQ",
        "https://media.example/talk.mp3",
        "https://www.youtube.com/playlist",
        "https://vimeo.com/123456",
    ],
)
def test_single_media(url: str) -> None:
    assert not looks_like_listing(url)
