"""What a playlist, channel or feed holds: yt-dlp's flat extraction (nothing is downloaded),
bounded and ordered as the request asks.

yt-dlp lists YouTube playlists and channels, RSS/Atom podcast feeds (its generic extractor: one
entry per enclosure, with the item's guid, title and date) and HTML pages with several
<audio>/<video> elements (the generic extractor's HTML5 media). Plain <a href> links to media files
are not listed by yt-dlp, so they are not entries here either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ytcaption.domain.errors import ErrorCode, YtcError
from ytcaption.fetch.download import Blocked, DownloadConfig, Quiet, connection_options, guarded, short
from ytcaption.intake.urlpolicy import UrlPolicy
from ytcaption.store.batches import Entry


@dataclass(frozen=True)
class Listing:
    title: str
    entries: list[Entry]
    # How many entries the source had before the bounds were applied.
    found: int


@dataclass(frozen=True)
class Bounds:
    max_items: int
    newest_first: bool = True
    # Unix seconds; entries without a date pass the date filters.
    after: int | None = None
    before: int | None = None


def extract(url: str, config: DownloadConfig, policy: UrlPolicy) -> dict[str, Any]:
    """yt-dlp's flat listing of a URL, as the download step reaches the web: its cookies, proxy and
    user agents, and every connection (redirects included) under the URL policy's address check.
    Raises YtcError when it cannot be read (URL_NOT_ALLOWED when it led to a private address; else the
    download step's code, with a reason about the listing and yt-dlp's own words), and TransientError
    for a failure worth another attempt (ExpandBatch runs again)."""
    from yt_dlp import YoutubeDL

    logger = Quiet()
    options = {**connection_options(config, logger), "extract_flat": "in_playlist", "skip_download": True,
               "noplaylist": False}  # fmt: skip
    with YoutubeDL(options) as ydl:
        try:
            info = guarded(policy, logger, lambda: ydl.extract_info(url, download=False, process=True))
        except Blocked as exc:
            raise YtcError(
                ErrorCode.SOURCE_UNAVAILABLE,
                f"The site refused to list it (bot check or HTTP 403/429): {short(str(exc))}",
            ) from exc
        except YtcError as exc:
            if exc.code == ErrorCode.URL_NOT_ALLOWED:
                raise
            # The download step's reasons speak of one video; this is a listing.
            said = short(logger.last_error or str(exc.__cause__ or exc.reason))
            raise YtcError(exc.code, f"The playlist or feed could not be read: {said}") from exc
    return dict(info or {})


def _entry(raw: dict[str, Any]) -> tuple[str, str, str, int | None] | None:
    from yt_dlp.utils import unsmuggle_url

    url, smuggled = unsmuggle_url(str(raw.get("url") or raw.get("webpage_url") or ""), {})
    if not url:
        return None
    entry_id = str(raw.get("id") or (smuggled or {}).get("force_videoid") or url)
    timestamp = raw.get("timestamp") or raw.get("release_timestamp")
    return entry_id, url, str(raw.get("title") or ""), int(timestamp) if timestamp else None


def bounded(info: dict[str, Any], bounds: Bounds) -> Listing:
    """The entries of a flat listing: deduplicated, date-filtered, newest first if asked, at most max_items."""
    seen: set[str] = set()
    rows: list[tuple[int, str, str, str, int | None]] = []
    for position, raw in enumerate(info.get("entries") or []):
        parsed = _entry(dict(raw or {}))
        if parsed is None or parsed[0] in seen:
            continue
        seen.add(parsed[0])
        rows.append((position, *parsed))
    found = len(rows)
    if bounds.after is not None:
        rows = [r for r in rows if r[4] is None or r[4] >= bounds.after]
    if bounds.before is not None:
        rows = [r for r in rows if r[4] is None or r[4] < bounds.before]
    if bounds.newest_first and any(r[4] is not None for r in rows):
        # Dated entries newest first; a stable sort keeps the source's order among equals.
        rows.sort(key=lambda r: -(r[4] or 0))
    rows = rows[: bounds.max_items]
    entries = [Entry(index=i, entry_id=r[1], url=r[2], title=r[3], timestamp=r[4]) for i, r in enumerate(rows)]
    return Listing(title=str(info.get("title") or ""), entries=entries, found=found)
