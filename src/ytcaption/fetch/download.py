"""Download a URL's audio with yt-dlp: metadata first, limits checked, then the file.

No post-processing (so no ffmpeg); no playlists. Every TCP connection yt-dlp
opens, redirects included, goes through the URL policy's address check.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ytcaption.domain.errors import ErrorCode, TransientError, YtcError
from ytcaption.intake.urlpolicy import UrlPolicy, addresses_checked
from ytcaption.settings import Settings


class Blocked(Exception):
    """The site refused us (bot check, 403/429): counts into the circuit breaker."""


@dataclass
class DownloadConfig:
    cookies_file: str | None = None
    proxy: str | None = None
    user_agents: list[str] = field(default_factory=list)
    socket_timeout: float = 20.0
    max_bytes: int = 2 * 1024**3


def config_from(settings: Settings, workdir: Path) -> DownloadConfig:
    cookies, proxy = settings.download_cookies_file or None, settings.download_proxy or None
    if settings.download_secret_id:
        from aws_lambda_powertools.utilities import parameters

        secret: Any = parameters.get_secret(settings.download_secret_id, transform="json", max_age=300)
        if secret.get("cookies"):
            cookies = str(workdir / "cookies.txt")
            Path(cookies).write_text(secret["cookies"])
        proxy = secret.get("proxy") or proxy
    agents = [a.strip() for a in re.split(r"[\n|]", settings.download_user_agents) if a.strip()]
    return DownloadConfig(cookies, proxy, agents, settings.download_socket_timeout, settings.max_download_bytes)


# -- errors --------------------------------------------------------------------------

_BLOCKED = re.compile(r"HTTP Error (403|429)|Too Many Requests|not a bot|Sign in to confirm", re.I)
_TRANSIENT = re.compile(
    r"HTTP Error 5\d\d|timed? ?out|Connection (reset|refused|aborted)|Remote end closed|IncompleteRead|"
    r"Temporary failure|EOF occurred|Broken pipe|Unable to download webpage: <urlopen error",
    re.I,
)
_PERMANENT: list[tuple[re.Pattern[str], ErrorCode, str]] = [
    (re.compile(r"Unsupported URL", re.I), ErrorCode.SOURCE_UNSUPPORTED, "This URL is not a video page we can read."),
    (re.compile(r"Private video|members-only|requires payment", re.I), ErrorCode.SOURCE_PRIVATE,
     "The video is private or restricted; we cannot access it."),
    (re.compile(r"available (in|from) your country|geo.?restrict", re.I), ErrorCode.SOURCE_GEO_BLOCKED,
     "The video is not available in the region we download from."),
    (re.compile(r"HTTP Error (404|410)|Video unavailable|has been removed|does not exist|not found", re.I),
     ErrorCode.SOURCE_NOT_FOUND, "The video does not exist or was removed."),
]  # fmt: skip


def classify(message: str) -> Exception:
    """Map a yt-dlp error message to what the pipeline does with it."""
    if _BLOCKED.search(message):
        return Blocked(message)
    for pattern, code, reason in _PERMANENT:
        if pattern.search(message):
            return YtcError(code, reason)
    if _TRANSIENT.search(message):
        return TransientError(message)
    return YtcError(ErrorCode.DOWNLOAD_FAILED, f"The download failed: {short(message)}")


def short(message: str) -> str:
    """yt-dlp's error text for a reason: without its "ERROR: [extractor]" prefix, at most 300 characters."""
    return re.sub(r"^ERROR: (\[\w+\] )?", "", message.strip())[:300]


# -- yt-dlp -------------------------------------------------------------------------


class Quiet:
    """yt-dlp logger that keeps the last error for classification."""

    def __init__(self) -> None:
        self.last_error = ""

    def debug(self, msg: str) -> None:
        pass

    def info(self, msg: str) -> None:
        pass

    def warning(self, msg: str) -> None:
        pass

    def error(self, msg: str) -> None:
        self.last_error = msg


def connection_options(config: DownloadConfig, logger: Quiet) -> dict[str, Any]:
    """What every yt-dlp of ours is given, downloading or listing: quiet, the operator's cookies, proxy
    and user agents, no retries of its own (the state machine or the caller owns retries)."""
    options: dict[str, Any] = {
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "logger": logger,
        "cachedir": False,
        "socket_timeout": config.socket_timeout,
        "retries": 0,
        "extractor_retries": 0,
    }
    if config.cookies_file:
        options["cookiefile"] = config.cookies_file
    if config.proxy:
        options["proxy"] = config.proxy
    if config.user_agents:
        options["http_headers"] = {"User-Agent": random.choice(config.user_agents)}
    return options


def _options(config: DownloadConfig, workdir: Path, logger: Quiet) -> dict[str, Any]:
    return {
        **connection_options(config, logger),
        "format": "bestaudio/best",
        "noplaylist": True,
        "outtmpl": str(workdir / "media.%(ext)s"),
        "fragment_retries": 1,
        "max_filesize": config.max_bytes,
        "writesubtitles": False,
        "check_formats": False,
    }


def guarded(policy: UrlPolicy, logger: Quiet, call: Any) -> Any:
    """Run a yt-dlp call with every connection it opens (redirects included) under the URL policy's
    address check; its failure becomes URL_NOT_ALLOWED if an address was refused, else classified."""
    from yt_dlp.networking.exceptions import RequestError
    from yt_dlp.utils import DownloadError, ExtractorError

    with addresses_checked(policy) as refused:
        try:
            return call()
        # RequestError: a request made outside the extractors (a caption file) fails with the
        # networking layer's own error, not a DownloadError.
        except (DownloadError, ExtractorError, RequestError) as exc:
            if refused:
                raise YtcError(
                    ErrorCode.URL_NOT_ALLOWED,
                    f"The URL led to a private or local network address ({refused[0]}), which is not allowed.",
                ) from exc
            raise classify(logger.last_error or str(exc)) from exc


class Downloader:
    def __init__(self, config: DownloadConfig, policy: UrlPolicy, workdir: Path) -> None:
        from yt_dlp import YoutubeDL

        self.policy = policy
        self.logger = Quiet()
        self.ydl = YoutubeDL(_options(config, workdir, self.logger))

    def close(self) -> None:
        self.ydl.close()

    def _run(self, call: Any) -> Any:
        return guarded(self.policy, self.logger, call)

    def metadata(self, url: str) -> dict[str, Any]:
        """The page's own metadata, before any media URL is touched."""
        info = self._run(lambda: self.ydl.extract_info(url, download=False, process=False))
        if info.get("_type") in {"playlist", "multi_video"}:
            raise YtcError(ErrorCode.SOURCE_UNSUPPORTED, "The URL is a playlist; send one video at a time.")
        return dict(info)

    def resolve(self, info: dict[str, Any]) -> dict[str, Any]:
        """Formats and subtitle tracks (may look at the media itself)."""
        return dict(self._run(lambda: self.ydl.process_ie_result(dict(info), download=False)))

    def download(self, info: dict[str, Any]) -> Path:
        result = self._run(lambda: self.ydl.process_ie_result(dict(info), download=True))
        downloads = result.get("requested_downloads") or []
        path = Path(downloads[0]["filepath"]) if downloads else None
        if path is None or not path.is_file():
            raise YtcError(ErrorCode.MEDIA_TOO_LARGE, "The file is larger than the download limit.")
        return path

    def fetch_text(self, url: str) -> str:
        from yt_dlp.networking import Request

        def get() -> str:
            with self.ydl.urlopen(Request(url)) as response:
                return str(response.read().decode("utf-8", errors="replace"))

        text: str = self._run(get)
        return text


def describe(info: dict[str, Any]) -> dict[str, Any]:
    """What we keep on the job about the source."""
    return {
        key: value
        for key, value in {
            "title": info.get("title"),
            "duration": info.get("duration"),
            "uploader": info.get("uploader") or info.get("channel"),
            "site": info.get("extractor_key") or info.get("extractor"),
            "video_id": info.get("id"),
            "webpage_url": info.get("webpage_url"),
        }.items()
        if value is not None
    }


def pick_captions(info: dict[str, Any], language: str | None) -> tuple[str, str, str] | None:
    """(language, format, url) of the best subtitle track: manual first, then automatic."""
    for pool in (info.get("subtitles") or {}, info.get("automatic_captions") or {}):
        languages = [language] if language else ["en", *pool.keys()]
        for lang in languages:
            for candidate in (lang, *[k for k in pool if k.split("-")[0] == lang]):
                tracks = pool.get(candidate) or []
                for fmt in ("vtt", "srt"):
                    for track in tracks:
                        if track.get("ext") == fmt and track.get("url"):
                            return candidate.split("-")[0], fmt, str(track["url"])
    return None


def limits_problem(info: dict[str, Any], max_seconds: float, max_bytes: int) -> YtcError | None:
    if info.get("is_live") or info.get("live_status") in {"is_live", "is_upcoming"}:
        return YtcError(ErrorCode.LIVE_NOT_SUPPORTED, "Live streams cannot be transcribed; try again once it ended.")
    duration = info.get("duration")
    if duration and float(duration) > max_seconds:
        return YtcError(
            ErrorCode.MEDIA_TOO_LONG,
            f"The video is {float(duration) / 60:.0f} minutes long; the limit is {max_seconds / 60:.0f} minutes.",
        )
    size = info.get("filesize") or info.get("filesize_approx")
    if size and int(size) > max_bytes:
        return YtcError(
            ErrorCode.MEDIA_TOO_LARGE, f"The file is {int(size) / 1e6:.0f} MB; the limit is {max_bytes / 1e6:.0f} MB."
        )
    return None
