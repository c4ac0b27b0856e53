"""URL jobs: yt-dlp against a media server on 127.0.0.1, through the real pipeline."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.audio import MEETING, encode, word_error_rate
from tests.support.media_server import MediaServer, Route, media_server
from tests.support.pipeline import history_statuses, read_result, wait_execution, wait_job
from ytcaption import resources
from ytcaption.domain.job import JobStatus, UrlSource
from ytcaption.domain.options import JobOptions
from ytcaption.intake.launch import launch_job
from ytcaption.intake.submit import submit_url
from ytcaption.settings import get_settings
from ytcaption.store import aws, keys
from ytcaption.store.breaker import CircuitBreaker
from ytcaption.store.jobs import JobStore

pytestmark = pytest.mark.integration

CAPTIONS = "WEBVTT\n\n00:00:00.000 --> 00:00:03.000\nHello from the captions track.\n\n" \
           "00:00:03.000 --> 00:00:06.000\nNo Whisper was needed for this one.\n"  # fmt: skip


@pytest.fixture(scope="module")
def server(speech_wav: Path, speech_mp3: Path, media_dir: Path) -> Iterator[MediaServer]:
    with media_server() as srv:
        srv.serve_file("/talk.mp3", speech_mp3)
        srv.serve_file("/talk.m4a", encode(speech_wav, media_dir / "talk.m4a", "aac", container="mp4"))
        srv.serve_file("/talk.webm", encode(speech_wav, media_dir / "talk.webm", "libopus", "webm", rate=48000))
        yield srv


@pytest.fixture
def breaker(runtime: object) -> Iterator[CircuitBreaker]:
    settings = get_settings()
    cb = CircuitBreaker(settings.table, settings.breaker_threshold, settings.breaker_window_seconds,
                        settings.breaker_reset_seconds)  # fmt: skip
    cb.table.delete_item(Key=keys.breaker("127.0.0.1"))
    yield cb
    cb.table.delete_item(Key=keys.breaker("127.0.0.1"))


def _submit(url: str, **options: object) -> str:
    return submit_url(url, JobOptions(**options), "tests", get_settings())  # type: ignore[arg-type]


@pytest.mark.parametrize("path", ["/talk.mp3", "/talk.m4a", "/talk.webm"])
def test_url_job_completes_with_a_correct_transcript(
    runtime: object, worker: object, server: MediaServer, path: str
) -> None:
    job = wait_job(_submit(server.url(path)))
    assert job.status == JobStatus.COMPLETED, job.error_reason
    assert word_error_rate(MEETING, read_result(job, "txt")) <= 0.15
    assert job.source_meta and job.source_meta["title"] == "talk" and job.source_meta["site"] == "Generic"
    assert job.result and job.result["metrics"]["audio_seconds"] > 15
    audio = aws.client("s3").list_objects_v2(Bucket=resources.BUCKET, Prefix=f"audio/{job.job_id}/")
    assert audio["KeyCount"] == 1, "the downloaded audio is kept in S3 under audio/{job_id}/"
    assert history_statuses(job.job_id) == ["PENDING", "DOWNLOADING", "QUEUED", "TRANSCRIBING", "COMPLETED"]


def test_transient_server_errors_are_retried(
    runtime: object, worker: object, server: MediaServer, speech_mp3: Path, breaker: CircuitBreaker
) -> None:
    server.routes["/flaky.mp3"] = Route(speech_mp3.read_bytes(), "audio/mpeg", failures=[503, 503])
    job = wait_job(_submit(server.url("/flaky.mp3")))
    assert job.status == JobStatus.COMPLETED, job.error_reason
    assert server.requested("/flaky.mp3") >= 3
    assert breaker.status("127.0.0.1").state == "closed", "server errors are not blocks"


def test_over_long_media_is_refused_before_any_byte_is_downloaded(runtime: object, server: MediaServer) -> None:
    page = server.serve_text(
        "/long.html",
        '<html><head><title>Long</title><script type="application/ld+json">{"@context": "https://schema.org", '
        '"@type": "VideoObject", "name": "A five hour talk", "duration": "PT5H", "uploadDate": "2024-01-01", '
        f'"contentUrl": "{server.url("/long.mp3")}", "thumbnailUrl": "{server.url("/t.jpg")}"}}</script>'
        "</head><body></body></html>",
    )
    job = wait_job(_submit(page))
    assert job.status == JobStatus.FAILED
    assert job.error_code == "MEDIA_TOO_LONG" and "300 minutes" in (job.error_reason or "")
    assert server.requested("/long.mp3") == 0


def test_captions_track_completes_without_a_worker(runtime: object, server: MediaServer) -> None:
    server.serve_text("/captions.vtt", CAPTIONS, "text/vtt")
    page = server.serve_text(
        "/captioned.html",
        f'<html><head><title>Captioned</title></head><body><audio controls src="{server.url("/talk.mp3")}">'
        f'<track kind="captions" srclang="en" src="{server.url("/captions.vtt")}"></audio></body></html>',
    )
    job_id = _submit(page, prefer_captions=True)
    job = wait_job(job_id)  # no worker fixture: nobody would transcribe
    assert job.status == JobStatus.COMPLETED, job.error_reason
    assert job.result and job.result["origin"] == "captions"
    # One paragraph: no pause between the two cues.
    assert read_result(job, "txt") == "Hello from the captions track. No Whisper was needed for this one.\n"
    assert '"origin": "captions"' in read_result(job, "json")
    assert wait_execution(job_id)["status"] == "SUCCEEDED"
    assert history_statuses(job_id) == ["PENDING", "DOWNLOADING", "COMPLETED"]


def test_blocked_downloads_open_the_breaker_which_fails_fast_then_closes(
    runtime: object, server: MediaServer, speech_mp3: Path, breaker: CircuitBreaker
) -> None:
    server.routes["/blocked.mp3"] = Route(status=403)
    for _ in range(3):
        job = wait_job(_submit(server.url("/blocked.mp3")))
        assert job.status == JobStatus.FAILED and job.error_code == "SOURCE_BLOCKED", job.error_reason
    assert breaker.status("127.0.0.1").state == "open"

    # Open: a job for the same site fails fast, without a request reaching the site.
    server.serve_file("/later.mp3", speech_mp3)
    job = wait_job(_submit(server.url("/later.mp3")))
    assert job.status == JobStatus.FAILED and job.error_code == "SOURCE_UNAVAILABLE"
    assert "paused" in (job.error_reason or "")
    assert server.requested("/later.mp3") == 0

    # After the reset time one probe goes through; its success closes the breaker.
    retry_at = breaker.status("127.0.0.1").retry_at
    assert retry_at is not None
    import time

    time.sleep(max(0.0, retry_at - time.time()) + 0.5)
    from ytcaption.local.runtime import LocalRuntime

    assert isinstance(runtime, LocalRuntime)
    with runtime.worker():
        job = wait_job(_submit(server.url("/later.mp3")))
    assert job.status == JobStatus.COMPLETED, job.error_reason
    assert breaker.status("127.0.0.1").state == "closed"


@pytest.mark.parametrize(
    "url",
    ["http://10.0.0.1/talk.mp3", "http://169.254.169.254/latest/meta-data/", "REDIRECT:http://10.0.0.1/talk.mp3",
     "REDIRECT:http://169.254.169.254/latest/meta-data/"],
)  # fmt: skip
def test_fetch_step_refuses_private_addresses_and_redirects_to_them(
    runtime: object, server: MediaServer, url: str
) -> None:
    """Even a job that got past the API's check is refused by FetchAudio, redirects included."""
    if url.startswith("REDIRECT:"):
        path = f"/go-{uuid.uuid4().hex[:6]}"
        server.routes[path] = Route(status=302, location=url.removeprefix("REDIRECT:"))
        url = server.url(path)
    job_id = f"job-{uuid.uuid4().hex[:24]}"
    launch_job(JobStore(resources.TABLE), get_settings(), job_id=job_id, tenant="tests",
               source=UrlSource(url=url), options=JobOptions())  # fmt: skip
    job = wait_job(job_id)
    assert job.status == JobStatus.FAILED
    assert job.error_code == "URL_NOT_ALLOWED", job.error_reason
    assert "private or local network address" in (job.error_reason or "")


def test_blocks_reported_at_once_by_many_instances_are_all_counted(breaker: CircuitBreaker) -> None:
    from concurrent.futures import ThreadPoolExecutor

    site = f"race-{uuid.uuid4().hex[:6]}.example"
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda _: breaker.record_blocked(site), range(8)))
        status = breaker.status(site)
        assert status.failures == 8, "no block is lost to a concurrent read-modify-write"
        assert status.state == "open" and status.opened_at is not None
    finally:
        breaker.table.delete_item(Key=keys.breaker(site))
