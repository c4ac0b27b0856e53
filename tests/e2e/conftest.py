"""The browser tests' one Chromium (Debian's `chromium`, driven by Playwright), shared by the session:
launching it costs seconds each time; every test takes a fresh context (its own storage) from it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Without the background-networking flags Chromium keeps calling Google's services.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--autoplay-policy=no-user-gesture-required",
]  # fmt: skip


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the dev extra)")
    if CHROMIUM is None:
        pytest.skip("no chromium: scripts/install-system-deps.sh installs it")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, runtime: Any) -> Iterator[Any]:
    """A new tab, in a context of its own, on the local runtime's page."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1100, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    tab.goto(runtime.api_url + "/")
    yield tab
    context.close()
