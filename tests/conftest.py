"""Shared fixtures: real speech audio, and one embedded local runtime per test session."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.audio import MEETING, STORY, encode, espeak

# Small values so retries and timeouts happen within a test's patience.
TEST_SETTINGS = {
    "YTC_POLL_WAIT_SECONDS": "1",
    "YTC_HEARTBEAT_SECONDS": "6",
    # A lost worker's message reappears this long after its lease lapsed.
    "YTC_LEASE_MARGIN_SECONDS": "2",
    "YTC_DEFAULT_MODEL": "tiny.en",
    # The media server of the download tests lives on 127.0.0.1.
    "YTC_ALLOW_LOOPBACK_URLS": "true",
    "YTC_ALLOWED_SITES": "127.0.0.1,localhost",
    "YTC_BREAKER_THRESHOLD": "3",
    "YTC_BREAKER_RESET_SECONDS": "4",
    # The webhook receiver of the notification tests is plain http on 127.0.0.1.
    "YTC_WEBHOOK_REQUIRE_HTTPS": "false",
}
WORKER_ENV = {"HF_HUB_OFFLINE": "1"}


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def speech_wav(media_dir: Path) -> Path:
    return espeak(MEETING, media_dir / "meeting.wav")


@pytest.fixture(scope="session")
def speech_mp3(media_dir: Path, speech_wav: Path) -> Path:
    return encode(speech_wav, media_dir / "meeting.mp3", "libmp3lame")


@pytest.fixture(scope="session")
def long_speech_wav(media_dir: Path) -> Path:
    """About 90 s of speech: long enough to interrupt a worker mid-job."""
    return espeak(STORY * 3, media_dir / "story.wav")


@pytest.fixture(scope="session")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from ytcaption.local.runtime import LocalRuntime, RuntimeConfig, free_port

    state_dir = tmp_path_factory.mktemp("runtime")
    config = RuntimeConfig(
        port=free_port(),
        workers=0,
        state_dir=state_dir,
        settings=TEST_SETTINGS,
        worker_env=WORKER_ENV,
        api_port=free_port(),  # the HTTP API (uvicorn), as `ytcaption local up` serves it
    )
    rt = LocalRuntime(config)
    saved = dict(os.environ)
    try:
        rt.up()
        yield rt
    finally:
        rt.down()
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
def worker(runtime: object) -> Iterator[subprocess.Popen[bytes]]:
    """One Whisper worker process for the test, stopped (SIGTERM) after it."""
    from ytcaption.local.runtime import LocalRuntime

    assert isinstance(runtime, LocalRuntime)
    proc = runtime.start_worker()
    yield proc
    runtime.stop_worker(proc)
