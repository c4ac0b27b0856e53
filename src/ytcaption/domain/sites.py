"""Video sites: which hosts are YouTube, and what makes two URLs the same media."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

# The hosts of YouTube's own pages (after sub-domains such as www., m., music.).
YOUTUBE_HOSTS: tuple[str, ...] = ("youtube.com", "youtu.be", "youtube-nocookie.com")

_MOBILE_OR_WWW = re.compile(r"^(www|m|music)\.")


def site_of(url: str) -> str:
    """The site a URL belongs to (the circuit breaker's key): its host without 'www.', 'm.', 'music.'."""
    host = (urlsplit(url).hostname or "").lower()
    return _MOBILE_OR_WWW.sub("", host)


def youtube_video_id(url: str) -> str | None:
    parts = urlsplit(url.strip())
    host = site_of(url.strip())
    if host not in YOUTUBE_HOSTS:
        return None
    if host == "youtu.be":
        return parts.path.strip("/").split("/")[0] or None
    if parts.path == "/watch":
        return (parse_qs(parts.query).get("v") or [""])[0] or None
    segments = parts.path.strip("/").split("/")
    if len(segments) >= 2 and segments[0] in {"shorts", "embed", "live", "v"}:
        return segments[1] or None
    return None


def source_identity(url: str) -> str:
    """What makes two URLs the same media: the video id on YouTube, else the URL without its fragment."""
    video = youtube_video_id(url)
    if video:
        return f"youtube:{video}"
    parts = urlsplit(url.strip())
    host = site_of(url.strip())
    netloc = host + (f":{parts.port}" if parts.port else "")
    return f"{parts.scheme.lower()}://{netloc}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")
