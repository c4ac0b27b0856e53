"""The web page in a real browser (headless Chromium driven by Playwright) against the
local runtime: a bad key, an unreadable file, then an upload watched to COMPLETED, its
transcript searched, a segment played from its start, and the SRT downloaded.
Screenshots of the job list and the transcript: docs/images/ with UPDATE_SCREENSHOTS=1 (the README shows them)."""

from __future__ import annotations

import http.server
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import srt
import uvicorn

from tests import paths
from tests.support.api import new_key
from tests.support.browser import SCREENSHOTS, sign_in
from tests.support.results import completed_job, transcript_json, transcript_srt
from ytcaption import resources
from ytcaption.api.payload import PROXIED_BODY_BYTES, encoded_size
from ytcaption.domain.captions.check import check_text

pytestmark = pytest.mark.e2e

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the dev extra)")
WEB_ASSETS = paths.ROOT / "src" / "ytcaption" / "api" / "web"
COMPLETE_WITHIN_MS = 150_000


def test_a_bad_key_is_refused_with_the_apis_problem(page: Any) -> None:
    expect = sync_api.expect
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    sign_in(page, "ytc_not-a-real-key")
    error = page.locator("#signin-error")
    expect(error).to_contain_text("Missing or invalid API key")
    expect(error).to_contain_text("The API key is not valid.")
    expect(page.locator("#workspace")).to_be_hidden()
    assert page.evaluate("sessionStorage.getItem('ytc.key')") is None
    assert "ytc_" not in page.url


def test_upload_watch_read_seek_search_and_download(
    page: Any, worker: object, speech_mp3: Path, tmp_path: Path
) -> None:
    expect = sync_api.expect
    key = new_key("webpage")
    sign_in(page, key)
    expect(page.get_by_role("heading", name="Your transcriptions")).to_be_visible()
    assert key not in page.url and page.evaluate("sessionStorage.getItem('ytc.key')") == key

    # A refused request: the API's problem details, field errors included.
    page.fill("#url", "https://example.com/talk.mp3")  # not on the test runtime's allow-list
    page.get_by_role("button", name="Transcribe").click()
    refused = page.locator("#new-error")
    expect(refused).to_contain_text("The URL cannot be fetched")
    expect(refused.locator("li")).to_contain_text("body.source.url")

    # An unreadable file: text named .mp3. Its job FAILS and the reason is shown.
    bogus = tmp_path / "notes.mp3"
    bogus.write_text("these are meeting notes, not audio\n" * 50)
    page.get_by_label("A file").check()
    page.set_input_files("#file", str(bogus))
    page.get_by_role("button", name="Transcribe").click()
    failed = page.locator("li.job", has_text="notes.mp3")
    expect(failed.locator(".badge")).to_have_text("FAILED", timeout=60_000)
    reason = "INVALID_MEDIA: The file is not an audio or video format we can read"
    expect(failed.locator(".job-error")).to_contain_text(reason)

    # The speech: uploaded through the presigned POST, followed until COMPLETED.
    page.fill("#language", "en")
    page.set_input_files("#file", str(speech_mp3))
    page.get_by_role("button", name="Transcribe").click()
    job = page.locator("li.job", has_text=speech_mp3.name)
    expect(job).to_be_visible(timeout=30_000)
    expect(job.locator(".badge")).to_have_text("COMPLETED", timeout=COMPLETE_WITHIN_MS)
    expect(job.locator(".job-facts")).to_contain_text(re.compile(r"^0:(1[6-9]|2[0-3]) · en · tiny\.en"))  # ~20 s
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "web-jobs.png"), full_page=True)

    # The transcript: segments with their start times.
    job.get_by_role("link", name="Open transcript").click()
    segments = page.locator("#segments .segment")
    expect(segments.first).to_be_visible()
    assert segments.count() >= 2
    assert "budget" in page.locator("#segments").inner_text().lower()
    expect(page.locator("#player")).to_be_visible()

    # Search: matches highlighted, and the count follows the jumps.
    page.fill("#search", "the")
    marks = page.locator("#segments mark")
    expect(marks.first).to_be_visible()
    total = marks.count()
    expect(page.locator("#match-count")).to_have_text(f"1 of {total}")
    page.get_by_role("button", name="Next match").click()
    expect(page.locator("#match-count")).to_have_text(f"2 of {total}" if total > 1 else "1 of 1")
    page.screenshot(path=str(SCREENSHOTS / "web-transcript.png"), full_page=True)
    page.fill("#search", "")

    # A click on a segment plays the audio from its start.
    second = segments.nth(1)
    start = float(second.get_attribute("data-start") or "nan")
    assert start > 0
    second.click()
    page.wait_for_function(
        "start => Math.abs(document.getElementById('player').currentTime - start) < 1.0", arg=start, timeout=15_000
    )

    # SRT download: fetched with the key header and saved as a blob.
    with page.expect_download() as download:
        page.get_by_role("button", name="SRT").click()
    saved = tmp_path / "transcript.srt"
    download.value.save_as(str(saved))
    assert download.value.suggested_filename.endswith(".srt")
    cues = list(srt.parse(saved.read_text(encoding="utf-8")))
    # Shaped to the reading rules from the words: more, shorter cues than Whisper's segments.
    assert len(cues) >= segments.count() and "budget" in " ".join(c.content for c in cues).lower()
    assert check_text(saved.read_text(encoding="utf-8")).ok()

    # The same download with other subtitle settings, filled in beside the buttons.
    page.locator("#subtitle-settings summary").click()
    page.get_by_label("Characters a line").fill("24")
    with page.expect_download() as download:
        page.get_by_role("button", name="SRT").click()
    download.value.save_as(str(saved))
    narrow = list(srt.parse(saved.read_text(encoding="utf-8")))
    assert len(narrow) >= len(cues) and max(len(line) for c in narrow for line in c.content.split("\n")) <= 24
    page.get_by_label("Characters a line").fill("")

    # Copy: the text of every segment, one a line.
    page.get_by_role("button", name="Copy text").click()
    expect(page.locator("#status")).to_have_text("Transcript copied to the clipboard")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.count("\n") == segments.count() - 1 and "budget" in copied.lower()

    # Keyboard: the segments are buttons; Enter on one plays from its start too.
    third = segments.nth(2)
    third_start = float(third.get_attribute("data-start") or "nan")
    third.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "start => Math.abs(document.getElementById('player').currentTime - start) < 1.0", arg=third_start
    )

    # Readable on a phone: nothing wider than the screen, in either view.
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_role("button", name="All transcriptions").click()
    expect(page.get_by_role("heading", name="Your transcriptions")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_a_large_transcript_opens_and_downloads_from_storage_without_the_key(page: Any, tmp_path: Path) -> None:
    """Results too large to go through the API's Lambda are links: the page asks for them as JSON
    (`redirect=false`) and fetches them from S3 itself, with no key (the bucket's CORS lets it read them)."""
    expect = sync_api.expect
    doc, srt_body = transcript_json(800), transcript_srt(1950)
    assert encoded_size(doc, "application/json") > PROXIED_BODY_BYTES
    assert encoded_size(srt_body, "application/x-subrip") > PROXIED_BODY_BYTES
    job_id = completed_job("weblarge", {"json": doc, "srt": srt_body})
    to_storage: list[Any] = []
    page.on("request", lambda request: to_storage.append(request) if resources.BUCKET in request.url else None)
    sign_in(page, new_key("weblarge"))

    job = page.locator("li.job", has_text="long-talk.mp3")
    expect(job.locator(".badge")).to_have_text("COMPLETED")
    job.get_by_role("link", name="Open transcript").click()
    segments = page.locator("#segments .segment")
    expect(segments).to_have_count(800, timeout=30_000)
    expect(page.locator("#transcript-error")).to_be_hidden()

    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("button", name="SRT").click()
    saved = tmp_path / "large.srt"
    download.value.save_as(str(saved))
    assert download.value.suggested_filename == f"{job_id}.srt"
    assert saved.read_bytes() == srt_body
    # Both came from S3 by their presigned links, and the key never went there.
    fetched = [r.url.split("?")[0].rsplit("/", 1)[-1] for r in to_storage]
    assert {"transcript.json", "transcript.srt"} <= set(fetched), fetched
    assert all("x-api-key" not in {k.lower() for k in r.headers} for r in to_storage)


# -- the page served from another origin: CORS --------------------------------------------


class _PageOnly(http.server.SimpleHTTPRequestHandler):
    """The web page as a static host would serve it: / and /app/..., nothing else."""

    def translate_path(self, path: str) -> str:
        name = path.split("?", 1)[0]
        name = "index.html" if name == "/" else name.removeprefix("/app/")
        return str(WEB_ASSETS / Path(name).name)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def page_host() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _PageOnly)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    thread.join()


@pytest.fixture
def cors_api(runtime: Any, page_host: int) -> Iterator[str]:
    """A second API process-alike (same emulator) that lets the page host's origin in."""
    from ytcaption.api.app import create_app
    from ytcaption.local.runtime import free_port
    from ytcaption.settings import Settings

    port = free_port()
    app = create_app(Settings(cors_origins=f"http://127.0.0.1:{page_host}"))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_a_page_on_an_allowed_origin_uses_the_api_and_another_origin_cannot(
    browser: Any, cors_api: str, page_host: int
) -> None:
    expect = sync_api.expect
    key = new_key("webcors")
    context = browser.new_context()
    try:
        for origin, allowed in ((f"http://127.0.0.1:{page_host}", True), (f"http://localhost:{page_host}", False)):
            tab = context.new_page()
            tab.set_default_timeout(15_000)
            answers: list[Any] = []
            tab.on("response", lambda response, seen=answers: seen.append(response))
            tab.goto(origin + "/")
            tab.get_by_text("API address").click()
            tab.fill("#api-base", cors_api)
            sign_in(tab, key)
            if allowed:
                expect(tab.get_by_role("heading", name="Your transcriptions")).to_be_visible()
                api_answer = next(r for r in answers if r.url.startswith(cors_api + "/v1/transcriptions"))
                assert api_answer.headers["access-control-allow-origin"] == origin
            else:
                expect(tab.locator("#signin-error")).to_contain_text("The API cannot be reached")
                expect(tab.locator("#workspace")).to_be_hidden()
            tab.close()
    finally:
        context.close()
