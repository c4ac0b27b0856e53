"""Pure parts of the download step: error classes, limits, caption choice and parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from ytcaption.domain.errors import ErrorCode, TransientError, YtcError
from ytcaption.domain.sites import site_of
from ytcaption.fetch import captions
from ytcaption.fetch.download import Blocked, classify, describe, limits_problem, pick_captions


@pytest.mark.parametrize(
    ("message", "kind", "code"),
    [
        ("ERROR: [generic] Unable to download webpage: HTTP Error 403: Forbidden", Blocked, None),
        ("ERROR: [youtube] abc: Sign in to confirm you're not a bot", Blocked, None),
        ("ERROR: unable to download video data: HTTP Error 429: Too Many Requests", Blocked, None),
        ("ERROR: [generic] Unable to download webpage: HTTP Error 503: Service Unavailable", TransientError, None),
        ("ERROR: [download] Got error: The read operation timed out", TransientError, None),
        ("ERROR: Connection reset by peer", TransientError, None),
        ("ERROR: [youtube] abc: Private video. Sign in if you've been granted access", YtcError, "SOURCE_PRIVATE"),
        ("ERROR: [youtube] abc: Video unavailable. This video has been removed", YtcError, "SOURCE_NOT_FOUND"),
        ("ERROR: [generic] Unable to download webpage: HTTP Error 404: Not Found", YtcError, "SOURCE_NOT_FOUND"),
        ("ERROR: Unsupported URL: https://example.com/", YtcError, "SOURCE_UNSUPPORTED"),
        ("ERROR: The uploader has not made this video available in your country", YtcError, "SOURCE_GEO_BLOCKED"),
        ("ERROR: something nobody expected", YtcError, "DOWNLOAD_FAILED"),
    ],
)
def test_classify(message: str, kind: type, code: str | None) -> None:
    error = classify(message)
    assert type(error) is kind
    if code:
        assert isinstance(error, YtcError) and error.code == ErrorCode(code)
        assert "ERROR:" not in error.reason


def test_transient_error_keeps_its_exact_name_for_the_state_machine() -> None:
    # The ASL retries on the Lambda errorType "TransientError".
    assert type(classify("HTTP Error 502: Bad Gateway")).__name__ == "TransientError"


def test_limits() -> None:
    assert limits_problem({"duration": 60}, max_seconds=3600, max_bytes=10**9) is None
    too_long = limits_problem({"duration": 5 * 3600}, max_seconds=4 * 3600, max_bytes=10**9)
    assert too_long and too_long.code == ErrorCode.MEDIA_TOO_LONG and "300 minutes" in too_long.reason
    live = limits_problem({"is_live": True}, 3600, 10**9)
    assert live and live.code == ErrorCode.LIVE_NOT_SUPPORTED
    assert limits_problem({"live_status": "is_upcoming"}, 3600, 10**9) is not None
    big = limits_problem({"filesize_approx": 3 * 10**9}, 10**6, 2 * 10**9)
    assert big and big.code == ErrorCode.MEDIA_TOO_LARGE


def test_describe_keeps_what_the_job_shows() -> None:
    info = {"title": "T", "duration": 12.5, "channel": "C", "extractor_key": "Youtube", "id": "abc", "formats": []}
    assert describe(info) == {"title": "T", "duration": 12.5, "uploader": "C", "site": "Youtube", "video_id": "abc"}


def test_site_of() -> None:
    assert site_of("https://www.youtube.com/watch?v=x") == "youtube.com"
    assert site_of("https://m.youtube.com/watch?v=x") == "youtube.com"
    assert site_of("http://127.0.0.1:8080/a") == "127.0.0.1"


def test_manual_captions_before_automatic_and_language_choice() -> None:
    info = {
        "subtitles": {"de": [{"ext": "vtt", "url": "manual-de"}], "en-GB": [{"ext": "srv3", "url": "x"},
                                                                             {"ext": "vtt", "url": "manual-en"}]},
        "automatic_captions": {"en": [{"ext": "vtt", "url": "auto-en"}], "fr": [{"ext": "vtt", "url": "auto-fr"}]},
    }  # fmt: skip
    assert pick_captions(info, "en") == ("en", "vtt", "manual-en")
    assert pick_captions(info, None) == ("en", "vtt", "manual-en")
    assert pick_captions(info, "fr") == ("fr", "vtt", "auto-fr")
    assert pick_captions(info, "ja") is None
    assert pick_captions({}, None) is None


def test_rolling_auto_captions_become_clean_segments() -> None:
    vtt = (
        "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nhello <00:00:00.500><c>there</c>\n\n"
        "00:00:02.000 --> 00:00:02.010\nhello there\n\n"
        "00:00:02.010 --> 00:00:04.000\nhello there\ngeneral &amp; friends\n"
    )
    transcript = captions.to_transcript(captions.parse(vtt, "vtt"), "en", 4.0)
    assert [s.text for s in transcript.segments] == ["hello there", "general & friends"]
    assert transcript.origin == "captions" and transcript.duration == 4.0


def test_srt_captions() -> None:
    text = "1\n00:00:01,000 --> 00:00:02,500\n<i>Hi</i> all\n\n2\n00:00:03,000 --> 00:00:04,000\nBye\n"
    transcript = captions.to_transcript(captions.parse(text, "srt"), "en", None)
    assert [(s.start, s.end, s.text) for s in transcript.segments] == [(1.0, 2.5, "Hi all"), (3.0, 4.0, "Bye")]
    assert transcript.duration == 4.0


@pytest.mark.parametrize("target", ["http://[::ffff:169.254.169.254]/latest/", "http://169.254.169.254/latest/"])
def test_every_request_refuses_redirects_to_private_addresses(tmp_path: Path, target: str) -> None:
    """The metadata, the media and a caption file alike: a redirect to the metadata service is
    URL_NOT_ALLOWED, never a raw networking error."""
    from tests.support.media_server import Route, media_server
    from ytcaption.fetch.download import DownloadConfig, Downloader
    from ytcaption.intake.urlpolicy import UrlPolicy

    policy = UrlPolicy(allowed_sites=("127.0.0.1",), allow_loopback=True)
    with media_server() as server:
        server.routes["/go"] = Route(status=302, location=target)
        downloader = Downloader(DownloadConfig(), policy, tmp_path)
        info = {"url": server.url("/go"), "id": "x", "title": "t", "ext": "mp3", "webpage_url": server.url("/go")}
        calls = [
            lambda: downloader.metadata(server.url("/go")),
            lambda: downloader.fetch_text(server.url("/go")),
            lambda: downloader.download(info),
        ]
        for call in calls:
            with pytest.raises(YtcError) as refused:
                call()
            assert refused.value.code == ErrorCode.URL_NOT_ALLOWED
        downloader.close()
