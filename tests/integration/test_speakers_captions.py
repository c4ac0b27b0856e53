"""A job with speakers never ends on a site's own captions, which carry no voices: when the download
is blocked, a job without speakers falls back to the captions, one with speakers fails and says why
(the API refuses `speakers` with `prefer_captions` outright: tests/integration/test_speakers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.media_server import MediaServer, Route, media_server
from tests.support.pipeline import read_result, wait_job
from ytcaption.domain.job import JobStatus
from ytcaption.domain.options import JobOptions
from ytcaption.intake.submit import submit_url
from ytcaption.settings import get_settings
from ytcaption.store import keys
from ytcaption.store.breaker import CircuitBreaker

pytestmark = pytest.mark.integration

CAPTIONS = "WEBVTT\n\n00:00:00.000 --> 00:00:03.000\nOnly the captions got through.\n"


@pytest.fixture
def blocked_page(runtime: object) -> Iterator[tuple[MediaServer, str]]:
    """A page whose audio answers 403 (as a bot check does) and whose captions track answers."""
    settings = get_settings()
    breaker = CircuitBreaker(settings.table, settings.breaker_threshold, settings.breaker_window_seconds,
                             settings.breaker_reset_seconds)  # fmt: skip
    breaker.table.delete_item(Key=keys.breaker("127.0.0.1"))
    with media_server() as server:
        server.routes["/refused.mp3"] = Route(status=403)
        server.serve_text("/captions.vtt", CAPTIONS, "text/vtt")
        page = server.serve_text(
            "/refused.html",
            f'<html><head><title>Refused</title></head><body><audio controls src="{server.url("/refused.mp3")}">'
            f'<track kind="captions" srclang="en" src="{server.url("/captions.vtt")}"></audio></body></html>',
        )
        try:
            yield server, page
        finally:
            breaker.table.delete_item(Key=keys.breaker("127.0.0.1"))


def test_a_blocked_download_falls_back_to_captions_only_without_speakers(
    blocked_page: tuple[MediaServer, str],
) -> None:
    server, page = blocked_page
    plain = wait_job(submit_url(page, JobOptions(), "tests", get_settings()))
    assert plain.status == JobStatus.COMPLETED, plain.error_reason
    assert plain.result and plain.result["origin"] == "captions"
    assert read_result(plain, "txt").strip() == "Only the captions got through."
    read = server.requested("/captions.vtt")

    labelled = wait_job(submit_url(page, JobOptions(speakers="auto"), "tests", get_settings()))
    assert labelled.status == JobStatus.FAILED and labelled.error_code == "SOURCE_BLOCKED"
    assert "captions were not used" in (labelled.error_reason or "") and "speakers" in (labelled.error_reason or "")
    assert server.requested("/captions.vtt") == read  # never even fetched for the job with speakers
    assert server.requested("/refused.mp3") >= 2
