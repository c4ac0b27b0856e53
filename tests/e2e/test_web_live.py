"""The web page's speakers, batches and live updates in headless Chromium against the local runtime:
a three-voice conversation transcribed with `speakers: auto` and followed over the live WebSocket
(no polling while it runs), its speakers coloured, renamed and filtered; then a podcast feed on
127.0.0.1 as a batch, followed by polling because the socket is refused, its entries completed and
one transcript opened. Screenshots: docs/images/web-speakers.png and web-batch.png (UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_batches import CLIPS, ORDINAL, rss
from tests.support.api import client, new_key
from tests.support.audio import espeak
from tests.support.browser import SCREENSHOTS, sign_in
from tests.support.conversation import conversation
from tests.support.media_server import MediaServer, media_server
from ytcaption.local.runtime import free_port

pytestmark = pytest.mark.e2e

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the dev extra)")
COMPLETE_WITHIN_MS = 240_000
# The page's list reads (what it polls): /v1/transcriptions?limit=… and /v1/batches?limit=…
LIST_READ = re.compile(r"/v1/(transcriptions|batches)\?")


@pytest.fixture(scope="module")
def feed(media_dir: Path) -> Iterator[MediaServer]:
    """The batch tests' podcast feed: three short episodes, dated."""
    with media_server() as server:
        items = []
        for name, text in CLIPS.items():
            url = server.serve_file(f"/ep/{name}.wav", espeak(text, media_dir / f"web-batch-{name}.wav"))
            items.append((name, url, None))
        server.serve_text("/podcast/feed.xml", rss(items), "application/rss+xml")
        yield server


def _requests(page: Any) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.method + " " + request.url))
    return seen


def test_speakers_followed_live_then_coloured_renamed_and_filtered(
    page: Any, runtime: Any, worker: object, tmp_path: Path
) -> None:
    expect = sync_api.expect
    audio, _ = conversation(tmp_path)
    key = new_key("webspeakers")
    sign_in(page, key)
    updates = page.locator("#updates")
    expect(updates).to_have_attribute("data-mode", "live")
    expect(updates).to_have_text("Live updates")

    page.fill("#language", "en")
    page.select_option("#speakers-mode", "auto")
    page.get_by_label("A file").check()
    page.set_input_files("#file", str(audio))
    seen = _requests(page)
    page.get_by_role("button", name="Transcribe").click()
    job = page.locator("li.job", has_text=audio.name)
    expect(job.locator(".badge")).to_have_text("COMPLETED", timeout=COMPLETE_WITHIN_MS)
    # Followed over the socket: the list was never read again while the job ran, only the job itself.
    assert not [r for r in seen if LIST_READ.search(r)], seen
    job_id = job.get_attribute("data-id")
    assert any(r == f"GET {runtime.api_url}/v1/transcriptions/{job_id}" for r in seen), seen
    expect(updates).to_have_attribute("data-mode", "live")

    job.get_by_role("link", name="Open transcript").click()
    chips = page.locator("#segments .turn-head .speaker-chip")
    expect(chips.first).to_be_visible()
    # Each speaker has one colour, and they differ.
    colours = page.evaluate(
        """() => [...document.querySelectorAll('#segments .turn-head')].map(
            (head) => [head.dataset.speaker, getComputedStyle(head.querySelector('.speaker-chip')).backgroundColor])"""
    )
    by_speaker: dict[str, set[str]] = {}
    for speaker, colour in colours:
        by_speaker.setdefault(speaker, set()).add(colour)
    assert len(by_speaker) >= 2, colours
    assert all(len(c) == 1 for c in by_speaker.values()), by_speaker
    assert len({next(iter(c)) for c in by_speaker.values()}) == len(by_speaker), by_speaker
    turns = page.locator("#segments li.turn")
    total = turns.count()

    # Renaming: the names are saved (every format rendered again) and shown in place of the labels.
    page.get_by_label("Speaker 1", exact=True).fill("Alice")
    page.get_by_label("Speaker 2", exact=True).fill("Bob")
    page.get_by_role("button", name="Save names").click()
    expect(page.locator("#status")).to_contain_text("Speaker 1 → Alice")
    expect(chips.filter(has_text="Alice").first).to_be_visible()
    names = set(chips.all_inner_texts())
    assert {"Alice", "Bob"} <= names and not {"Speaker 1", "Speaker 2"} & names, names
    with client(runtime.api_url, key) as api:
        text = api.get(f"/v1/transcriptions/{job_id}/result", params={"format": "txt"}).text
    assert text.startswith("Alice: ") and "\nBob: " in text, text[:300]
    # A colour follows its label, whatever it is named.
    renamed = page.evaluate(
        """() => [...document.querySelectorAll('#segments .turn-head')].map(
            (head) => [head.dataset.speaker, getComputedStyle(head.querySelector('.speaker-chip')).backgroundColor])"""
    )
    assert {speaker: {colour} for speaker, colour in renamed} == by_speaker

    # The filter: Bob's turns only.
    page.select_option("#speaker-filter", label="Bob")
    shown = page.locator("#segments li.turn:visible")
    expect(shown.first).to_be_visible()
    assert 0 < shown.count() < total
    assert set(page.locator("#segments .turn-head:visible .speaker-chip").all_inner_texts()) == {"Bob"}
    shown_labels = page.locator("#segments li.turn:visible").evaluate_all("items => items.map(i => i.dataset.speaker)")
    assert set(shown_labels) == {"Speaker 2"}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.select_option("#speaker-filter", label="All speakers")
    expect(page.locator("#segments li.turn:visible")).to_have_count(total)
    page.screenshot(path=str(SCREENSHOTS / "web-speakers.png"), full_page=True)

    # Past eight labels the colours come again: Speaker 9 has Speaker 1's colour but an outlined chip,
    # Speaker 17 a dashed one (the page's own module and style sheet, drawn by Chromium).
    drawn = page.evaluate(
        """async () => {
            const { speakerClass } = await import(new URL("app/speakers.js", document.baseURI).href);
            return ["Speaker 1", "Speaker 9", "Speaker 17"].map((label) => {
                const head = document.createElement("li");
                head.className = `turn-head ${speakerClass(label)}`;
                head.innerHTML = '<span class="speaker-chip">x</span>';
                document.querySelector("#segments").append(head);
                const chip = getComputedStyle(head.firstChild);
                const seen = [chip.backgroundColor, chip.borderTopStyle, chip.color];
                head.remove();
                return seen;
            });
        }"""
    )
    (first_bg, first_border, _), (ninth_bg, ninth_border, ninth_ink), (_, seventeenth_border, _) = drawn
    assert ninth_ink == first_bg and ninth_bg != first_bg, drawn  # the same colour, drawn apart
    assert (first_border, ninth_border, seventeenth_border) == ("none", "solid", "dashed"), drawn


def test_a_feed_becomes_a_batch_followed_by_polling_when_the_socket_is_refused(
    browser: Any, runtime: Any, worker: object, feed: MediaServer
) -> None:
    expect = sync_api.expect
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(runtime.api_url + "/")
        # Nothing listens there: the socket is refused, and the page says it polls instead.
        page.get_by_text("API address").click()
        page.fill("#live-url", f"ws://127.0.0.1:{free_port()}/v1/live")
        key = new_key("webbatch")
        sign_in(page, key)
        updates = page.locator("#updates")
        expect(updates).to_have_attribute("data-mode", "polling")
        expect(updates).to_have_text("Polling every 2 s")

        # A feed pasted as a link: the API points it to batches, and the page follows the pointer.
        seen = _requests(page)
        page.fill("#url", feed.url("/podcast/feed.xml"))
        page.get_by_role("button", name="Transcribe").click()
        expect(page).to_have_url(re.compile(r"#/b/batch-[0-9a-f]{24}$"), timeout=30_000)
        batch_id = page.url.rsplit("/", 1)[-1]
        entries = page.locator("#entries li.entry")
        expect(entries).to_have_count(3, timeout=60_000)
        expect(page.locator("#batch-status")).to_have_text("COMPLETED", timeout=COMPLETE_WITHIN_MS)
        expect(entries.locator(".badge")).to_have_text(["COMPLETED"] * 3)
        assert len([r for r in seen if r.endswith(f"/v1/batches/{batch_id}")]) >= 3, "followed by polling"
        expect(updates).to_have_attribute("data-mode", "polling")
        assert "null" not in page.locator("#batch").inner_text()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "web-batch.png"), full_page=True)

        # Each transcript is a plain link (a new tab works too); this one opens in place.
        first = entries.first
        name = first.get_attribute("data-entry") or ""
        link = first.get_by_role("link", name="Open transcript")
        href = link.get_attribute("href") or ""
        assert re.fullmatch(r"#/t/job-[0-9a-f]+", href)
        link.click()
        expect(page.locator("#segments .segment").first).to_be_visible()
        assert ORDINAL[name] in page.locator("#segments").inner_text().lower()
        # The same link in a new tab: the key is asked for (it is kept per tab), then the transcript opens.
        tab = context.new_page()
        tab.goto(runtime.api_url + "/" + href)
        sign_in(tab, key)
        expect(tab.locator("#segments .segment").first).to_be_visible()
        assert ORDINAL[name] in tab.locator("#segments").inner_text().lower()
        tab.close()

        # Back to the list: the batch is there, linked.
        page.get_by_role("button", name="All transcriptions").click()
        expect(page.locator(f'#batch-list a[href="#/b/{batch_id}"]')).to_be_visible()
    finally:
        context.close()
