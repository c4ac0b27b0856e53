"""Bounding a flat listing: dedupe, date filters, newest first, max_items; feed entries' smuggled ids."""

from __future__ import annotations

from typing import Any

from yt_dlp.utils import smuggle_url

from ytcaption.batch.listing import Bounds, bounded


def _info(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"_type": "playlist", "title": "Feed", "entries": list(entries)}


FEED = _info(
    {"url": smuggle_url("https://pod.example/a.mp3", {"force_videoid": "ep-a"}), "title": "A", "timestamp": 100},
    {"url": smuggle_url("https://pod.example/b.mp3", {"force_videoid": "ep-b"}), "title": "B", "timestamp": 300},
    {"url": smuggle_url("https://pod.example/c.mp3", {"force_videoid": "ep-c"}), "title": "C", "timestamp": 200},
    {"url": smuggle_url("https://pod.example/b.mp3", {"force_videoid": "ep-b"}), "title": "B again"},
)


def test_feed_entries_are_unsmuggled_deduplicated_and_newest_first() -> None:
    listing = bounded(FEED, Bounds(max_items=10))
    assert listing.title == "Feed" and listing.found == 3
    assert [(e.entry_id, e.url, e.index) for e in listing.entries] == [
        ("ep-b", "https://pod.example/b.mp3", 0),
        ("ep-c", "https://pod.example/c.mp3", 1),
        ("ep-a", "https://pod.example/a.mp3", 2),
    ]


def test_source_order_max_items_and_date_filters() -> None:
    assert [e.entry_id for e in bounded(FEED, Bounds(max_items=2, newest_first=False)).entries] == ["ep-a", "ep-b"]
    assert [e.entry_id for e in bounded(FEED, Bounds(max_items=1)).entries] == ["ep-b"]
    window = bounded(FEED, Bounds(max_items=10, after=150, before=300))
    assert [e.entry_id for e in window.entries] == ["ep-c"] and window.found == 3


def test_undated_entries_pass_the_filters_and_keep_their_order() -> None:
    page = _info({"id": "p-1", "url": "https://x.example/1.mp3"}, {"id": "p-2", "url": "https://x.example/2.mp3"})
    assert [e.entry_id for e in bounded(page, Bounds(max_items=5, after=10**9)).entries] == ["p-1", "p-2"]


def test_entries_without_a_url_are_skipped_and_nothing_listed_is_empty() -> None:
    assert bounded(_info({"id": "x"}), Bounds(max_items=5)).entries == []
    assert bounded({"title": "one video"}, Bounds(max_items=5)).found == 0


def test_a_listing_that_redirects_to_a_private_address_is_refused_where_it_connects(tmp_path: Any) -> None:
    """Loopback is allowed (the test's own server), the metadata service and a private network are not:
    the listing's redirect is refused at the connection, as the download step's are."""
    import pytest

    from tests.support.media_server import Route, media_server
    from ytcaption.batch.listing import extract
    from ytcaption.domain.errors import ErrorCode, YtcError
    from ytcaption.fetch.download import DownloadConfig
    from ytcaption.intake.urlpolicy import UrlPolicy

    policy = UrlPolicy(allowed_sites=("127.0.0.1",), allow_loopback=True)
    with media_server() as server:
        for target in ("http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/feed.xml"):
            server.routes["/feed.xml"] = Route(status=302, location=target)
            with pytest.raises(YtcError) as refused:
                extract(server.url("/feed.xml"), DownloadConfig(socket_timeout=5), policy)
            assert refused.value.code == ErrorCode.URL_NOT_ALLOWED
            assert target.split("/")[2] in refused.value.reason
        server.routes["/missing.xml"] = Route(status=404)
        with pytest.raises(YtcError) as missing:
            extract(server.url("/missing.xml"), DownloadConfig(socket_timeout=5), policy)
        assert missing.value.code == ErrorCode.SOURCE_NOT_FOUND
        # About the listing, not one video, with yt-dlp's own words shortened as a download's are.
        reason = missing.value.reason
        assert reason.startswith("The playlist or feed could not be read: ") and "404" in reason, reason
        assert "video" not in reason.lower() and not reason.split(": ", 1)[1].startswith("ERROR")
