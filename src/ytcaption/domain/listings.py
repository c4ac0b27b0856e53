"""Whether a URL names a listing (a playlist, a channel, a podcast feed) rather than one media item.

A cheap check on the URL's shape, no network: YouTube playlist and channel URLs, and feed-like paths
(.rss, .xml, .atom, /feed, /rss). A listing whose URL looks like a page is not recognised here.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

_YOUTUBE = re.compile(r"(^|\.)(youtube\.com|youtube-nocookie\.com)$")
_CHANNEL_PATH = re.compile(r"^/(@[^/]+|channel/[^/]+|c/[^/]+|user/[^/]+)(/(videos|streams|shorts|playlists)?)?/?$")
_FEED_PATH = re.compile(r"(\.(rss|atom|xml)|/(feed|rss|atom|podcast))/?$", re.IGNORECASE)


def looks_like_listing(url: str) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if _YOUTUBE.search(host):
        query = parse_qs(parts.query)
        if parts.path.rstrip("/") == "/playlist" and "list" in query:
            return True
        return bool(_CHANNEL_PATH.match(parts.path))
    return bool(_FEED_PATH.search(parts.path))
