"""The README's main job: `ytcaption transcribe FILE` through the whole pipeline."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import srt
import webvtt

from tests.support.audio import MEETING, video_with_audio, word_error_rate

pytestmark = pytest.mark.e2e


def _cli(args: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ytcaption.cli", *args], env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def runtime_env(runtime: object) -> dict[str, str]:
    return dict(os.environ)  # the session runtime activated itself: AWS_ENDPOINT_URL and settings


def test_transcribes_espeak_speech_within_15_percent_wer(
    runtime_env: dict[str, str], worker: object, speech_wav: Path, tmp_path: Path
) -> None:
    output = tmp_path / "meeting.vtt"
    result = _cli(["transcribe", str(speech_wav), "--model", "tiny.en", "--format", "vtt", "--output", str(output)],
                  runtime_env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert word_error_rate(MEETING, result.stdout) <= 0.15, result.stdout
    captions = webvtt.from_buffer(io.StringIO(output.read_text()))
    assert len(captions) >= 3
    assert "VTT written to" in result.stderr and "transcript.srt" in result.stderr


def test_video_file_is_transcribed_from_its_audio_track(
    runtime_env: dict[str, str], worker: object, speech_wav: Path, tmp_path: Path
) -> None:
    video = video_with_audio(speech_wav, tmp_path / "talk.mp4")
    output = tmp_path / "talk.srt"
    result = _cli(["transcribe", str(video), "--output", str(output)], runtime_env)
    assert result.returncode == 0, result.stderr
    assert word_error_rate(MEETING, result.stdout) <= 0.15
    assert len(list(srt.parse(output.read_text()))) >= 3


def _text_as_mp3(path: Path) -> Path:
    path.write_text("This is a text file pretending to be an mp3.\n" * 20)
    return path


def _empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


@pytest.mark.parametrize(
    ("make", "name", "code"),
    [
        (_text_as_mp3, "notes.mp3", "INVALID_MEDIA"),
        (_empty, "empty.wav", "EMPTY_MEDIA"),
        (None, "cut.mp3", "TRUNCATED_MEDIA"),
    ],
)
def test_bad_input_is_refused_with_the_pipelines_reason(
    runtime_env: dict[str, str], speech_mp3: Path, tmp_path: Path, make: object, name: str, code: str
) -> None:
    path = tmp_path / name
    if make is None:
        data = speech_mp3.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    else:
        make(path)  # type: ignore[operator]
    # The CLI probes the file as the FetchAudio step would, before any job exists.
    result = _cli(["transcribe", str(path)], runtime_env)
    assert result.returncode == 2
    assert f"error: {code}:" in result.stderr and "job" not in result.stderr
    reason = result.stderr.split(f"{code}:", 1)[1].strip()
    assert len(reason) > 15, "a sentence a user understands"
    assert not list(tmp_path.glob("*.srt"))


def test_starts_and_stops_its_own_runtime_when_none_runs(tmp_path: Path, speech_mp3: Path) -> None:
    from ytcaption.local.runtime import port_free

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "YTC_"))}
    env.update({"YTC_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1", "TMPDIR": str(tmp_path)})
    output = tmp_path / "out.srt"
    result = _cli(["transcribe", str(speech_mp3), "--output", str(output)], env)
    assert result.returncode == 0, result.stderr
    assert word_error_rate(MEETING, result.stdout) <= 0.15
    assert list(srt.parse(output.read_text()))
    # The runtime's S3 goes away with it: every format is kept as a file, no s3:// link is printed.
    assert all((tmp_path / f"out.{fmt}").is_file() for fmt in ("json", "txt", "vtt"))
    assert "s3://" not in result.stderr
    assert not list(tmp_path.glob("ytcaption-run-*")), "its temporary folder is removed"
    port = int(re.search(r"local runtime on port (\d+)", result.stderr).group(1))  # type: ignore[union-attr]
    assert port_free("127.0.0.1", port), "the runtime it started is stopped again"


def test_transcribes_a_url(runtime_env: dict[str, str], worker: object, speech_mp3: Path, tmp_path: Path) -> None:
    from tests.support.media_server import media_server

    with media_server() as server:
        url = server.serve_file("/episode.mp3", speech_mp3)
        result = _cli(["transcribe", url, "--output", str(tmp_path / "episode.srt")], runtime_env)
    assert result.returncode == 0, result.stderr
    assert word_error_rate(MEETING, result.stdout) <= 0.15
    assert list(srt.parse((tmp_path / "episode.srt").read_text()))


def test_unsafe_url_is_refused_before_a_job_exists(runtime_env: dict[str, str]) -> None:
    result = _cli(["transcribe", "http://169.254.169.254/latest/meta-data/"], runtime_env)
    assert result.returncode == 2
    assert "URL_NOT_ALLOWED" in result.stderr and "job" not in result.stderr.split("URL_NOT_ALLOWED")[0]


def test_local_up_status_down(tmp_path: Path) -> None:
    import json as _json

    from ytcaption.local.runtime import free_port, port_free

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "YTC_"))}
    env.update({"YTC_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1"})
    port, api_port = free_port(), free_port()
    up = _cli(["local", "up", "--port", str(port), "--api-port", str(api_port), "--workers", "1"], env)
    try:
        assert up.returncode == 0, up.stderr
        status = _cli(["local", "status"], env)
        state = _json.loads(status.stdout)
        assert state["emulator"]["running"] and all(w["running"] for w in state["workers"])
        assert state["api"]["running"] and state["api"]["url"] == f"http://127.0.0.1:{api_port}"
        live_url = f"ws://127.0.0.1:{api_port}/v1/live"
        assert state["live"]["url"] == live_url and f"Live updates (WebSocket): {live_url}" in up.stdout
        # Served by the API: a connection without a valid key is refused before the upgrade.
        from websockets.exceptions import InvalidStatus
        from websockets.sync.client import connect

        with pytest.raises(InvalidStatus) as refused:
            connect(f"{live_url}?key=ytc_nope", open_timeout=20)
        assert refused.value.response.status_code == 401
        assert _cli(["local", "up", "--port", str(port)], env).returncode == 1, "one runtime at a time"
    finally:
        down = _cli(["local", "down"], env)
    assert down.returncode == 0 and "stopped" in down.stdout
    assert _cli(["local", "status"], env).returncode == 1
    assert port_free("127.0.0.1", port) and port_free("127.0.0.1", api_port)
