"""`ytcaption transcribe FEED_URL --output DIR`: a podcast feed served on 127.0.0.1 becomes one batch, each
entry's files named after its title, through the runtime itself (as an operator) and through the HTTP API."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_cli import _cli
from tests.e2e.test_cli_api import cli, tenant_env
from tests.support.api import new_key
from tests.support.audio import espeak
from tests.support.media_server import MediaServer, media_server

pytestmark = pytest.mark.e2e

# Two entries with the same title (and characters no file name may hold): one file set each.
TITLE = "Nature: rivers/lakes?"
STEM = "Nature_ rivers_lakes"


def feed(items: list[tuple[str, str, str]]) -> str:
    body = "".join(
        f'<item><title>{title}</title><guid>{guid}</guid><enclosure url="{url}" type="audio/wav" length="1"/></item>'
        for guid, title, url in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Talks</title>{body}</channel></rss>'


@pytest.fixture(scope="module")
def server(media_dir: Path) -> Iterator[MediaServer]:
    with media_server() as srv:
        first = srv.serve_file("/a.wav", espeak("The first episode is about rivers.", media_dir / "cli-first.wav"))
        second = srv.serve_file("/b.wav", espeak("The second episode is about lakes.", media_dir / "cli-second.wav"))
        srv.serve_text("/feed.xml", feed([("a", TITLE, first), ("b", TITLE, second)]), "application/rss+xml")
        refused = [("ok", "Good one", first), ("meta", "Metadata", "http://169.254.169.254/latest/x.wav")]
        srv.serve_text("/mixed.rss", feed(refused), "application/rss+xml")
        yield srv


def test_a_feed_is_written_one_file_set_per_entry_named_after_its_title(
    runtime: Any, worker: object, server: MediaServer, tmp_path: Path
) -> None:
    out = tmp_path / "talks"
    args = ["transcribe", server.url("/feed.xml"), "--output", str(out), "--format", "txt,srt", "--model", "tiny.en",
            "--language", "en"]  # fmt: skip
    done = _cli(args, dict(os.environ))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{STEM}.txt", f"{STEM}.srt", f"{STEM} (2).txt", f"{STEM} (2).srt"]
    )
    assert "first" in (out / f"{STEM}.txt").read_text().lower()
    assert "second" in (out / f"{STEM} (2).txt").read_text().lower()
    assert "2/2 done" in done.stderr and "2 of 2 entries transcribed" in done.stderr


def test_through_the_api_a_refused_entry_is_told_and_the_rest_written(
    runtime: Any, worker: object, server: MediaServer, tmp_path: Path
) -> None:
    env = tenant_env(tmp_path / "home", str(runtime.api_url), new_key("cli-batcher"))
    out = tmp_path / "mixed"
    done = cli(["transcribe", server.url("/mixed.rss"), "--output", str(out), "--format", "txt", "--model", "tiny.en",
                "--language", "en"], env, tmp_path)  # fmt: skip
    assert done.returncode == 1, done.stderr  # one entry failed: the command says so
    assert [p.name for p in out.iterdir()] == ["Good one.txt"]
    assert "first" in (out / "Good one.txt").read_text().lower()
    assert "Metadata: failed: URL_NOT_ALLOWED" in done.stderr, done.stderr
    assert "1 of 2 entries transcribed" in done.stderr
