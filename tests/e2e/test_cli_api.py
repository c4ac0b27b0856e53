"""`ytcaption transcribe` and `ytcaption jobs` as a tenant: through the local runtime's HTTP API with a
key, from a process that can reach nothing else (no AWS endpoint or credentials, an empty home, no
local runtime state)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import srt
import webvtt

from tests.support.api import new_key
from tests.support.audio import MEETING, espeak, word_error_rate
from tests.support.media_server import MediaServer
from tests.support.scripted_api import Answer, scripted_api
from ytcaption.client import Client

pytestmark = pytest.mark.e2e

EXIT_FAILED, EXIT_UNAUTHORIZED = 1, 5


@pytest.fixture(scope="module")
def api_url(runtime: Any) -> str:
    return str(runtime.api_url)


@pytest.fixture(scope="module")
def key() -> str:
    return new_key("cli-tenant")


def tenant_env(home: Path, api_url: str, key: str) -> dict[str, str]:
    """Only the API and the key: no AWS_*, an empty HOME/config/state, so any AWS call would fail."""
    home.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": os.environ["PATH"],
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "YTC_HOME": str(home / ".ytcaption"),
        "AWS_CONFIG_FILE": str(home / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-aws-credentials"),
        "YTC_API_URL": api_url,
        "YTC_API_KEY": key,
    }
    if "PYTHONPATH" in os.environ:  # the sources under test
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


def cli(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 420) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "ytcaption.cli", *args]
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def env(tmp_path: Path, api_url: str, key: str) -> dict[str, str]:
    return tenant_env(tmp_path / "home", api_url, key)


def test_a_file_job_writes_every_format_asked_and_the_jobs_commands_see_it(
    env: dict[str, str], worker: object, speech_wav: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out" / "meeting.srt"
    done = cli(["transcribe", str(speech_wav), "--format", "srt,vtt", "--format", "json", "--output", str(out),
                "--word-timestamps", "--language", "en"], env, tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert word_error_rate(MEETING, done.stdout) <= 0.15, done.stdout
    assert len(list(srt.parse(out.read_text()))) >= 3
    assert len(webvtt.read(str(out.with_suffix(".vtt")))) >= 3
    segments = json.loads(out.with_suffix(".json").read_text())["segments"]
    assert segments and segments[0]["words"]
    assert not out.with_suffix(".txt").exists()
    job_id = done.stderr.split("job ", 1)[1].split(":", 1)[0]
    for fmt in ("SRT", "VTT", "JSON"):
        assert f"{fmt} written to" in done.stderr

    listed = cli(["jobs", "list", "--json"], env, tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert job_id in [job["id"] for job in json.loads(listed.stdout)]
    got = json.loads(cli(["jobs", "get", job_id], env, tmp_path).stdout)
    assert got["status"] == "COMPLETED" and got["options"]["word_timestamps"] and got["options"]["language"] == "en"
    events = cli(["jobs", "events", job_id], env, tmp_path)
    assert events.returncode == 0 and events.stdout.strip().splitlines()[-1].split()[1] == "transcription.completed"
    vtt = cli(["jobs", "result", job_id, "--format", "vtt"], env, tmp_path)
    assert vtt.returncode == 0 and vtt.stdout.startswith("WEBVTT")


def test_a_url_job_writes_all_formats(
    env: dict[str, str], worker: object, talk_server: MediaServer, tmp_path: Path
) -> None:
    done = cli(["transcribe", talk_server.url("/talk.mp3?cli"), "--format", "all", "--no-cache"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert word_error_rate(MEETING, done.stdout) <= 0.15
    written = sorted(p.suffix for p in tmp_path.glob("*.*"))
    assert written == [".json", ".srt", ".txt", ".vtt"], written
    assert word_error_rate(MEETING, next(tmp_path.glob("*.txt")).read_text()) <= 0.15


def test_a_translate_job(env: dict[str, str], worker: object, tmp_path: Path) -> None:
    german = espeak("Guten Morgen. Heute ist das Wetter sehr schön. Wir gehen in den Park und trinken Kaffee.",
                    tmp_path / "morgen.wav", voice="de")  # fmt: skip
    done = cli(["transcribe", str(german), "--task", "translate", "--model", "base", "--format", "txt"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    english = done.stdout.lower()
    assert "morning" in english and "coffee" in english and "guten" not in english, done.stdout
    assert (tmp_path / "morgen.txt").read_text().strip() == done.stdout.strip()


def test_a_job_cancelled_while_the_cli_follows_it(
    env: dict[str, str], api_url: str, key: str, talk_server: MediaServer, tmp_path: Path
) -> None:
    # No worker: the job waits in the queue until it is cancelled.
    url = talk_server.url("/talk.mp3?cancelled")
    follower = subprocess.Popen([sys.executable, "-m", "ytcaption.cli", "transcribe", url, "--no-cache"], env=env,
                                cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        with Client(api_url, key) as api:
            job_id = _first_job_of(api, url)
        cancelled = cli(["jobs", "cancel", job_id], env, tmp_path)
        assert cancelled.returncode == 0 and cancelled.stdout.strip() == f"{job_id} cancelled", cancelled.stderr
        _, stderr = follower.communicate(timeout=120)
    finally:
        follower.kill()
    assert follower.returncode == EXIT_FAILED, stderr
    assert "transcription cancelled" in stderr
    again = cli(["jobs", "cancel", job_id], env, tmp_path)
    assert again.returncode == EXIT_FAILED and again.stderr.startswith("error: job-already-ended:")


def _first_job_of(api: Client, url: str) -> str:
    for _ in range(600):
        found = [job.id for job in api.list(limit=20).items if job.source.url == url]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"no job for {url}")


def test_a_bad_key_is_one_line_and_its_own_exit_code(env: dict[str, str], speech_wav: Path, tmp_path: Path) -> None:
    bad = {**env, "YTC_API_KEY": "ytc_not-a-key-of-anyone"}
    for args in (["transcribe", str(speech_wav)], ["jobs", "list"]):
        refused = cli(args, bad, tmp_path)
        assert refused.returncode == EXIT_UNAUTHORIZED, refused.stderr
        assert refused.stderr.startswith("error: the API refused the key (unauthorized): ")
        assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr
        assert "ytc_not-a-key-of-anyone" not in refused.stderr


def test_a_429_is_retried_after_its_retry_after(tmp_path: Path) -> None:
    busy = {"type": "/problems/x", "title": "Busy", "status": 429, "detail": "slow down", "code": "too-many-requests"}
    with scripted_api() as api:
        api.on(
            "/v1/transcriptions",
            Answer(429, busy, {"Retry-After": "1"}),
            Answer(200, {"items": [], "next_cursor": None}),
        )
        done = cli(["jobs", "list"], tenant_env(tmp_path / "home", api.url, "ytc_k"), tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    first, second = api.seen
    assert first.path == second.path == "/v1/transcriptions?limit=20"
    # A lower bound only (sleep never returns early): the retry waited the second it was told to.
    assert second.at - first.at >= 1.0


def test_the_apis_refusals_and_an_unreachable_api_are_one_line_each(
    env: dict[str, str], api_url: str, talk_server: MediaServer, tmp_path: Path
) -> None:
    refused = cli(["transcribe", "https://example.com/talk.mp3"], env, tmp_path)
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.startswith("error: url-not-allowed: ") and "(body.source.url: " in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1

    with Client(api_url, new_key("cli-other-tenant")) as other:
        theirs = other.create_from_url(talk_server.url("/talk.mp3?theirs"), cache=False).id
        other.cancel(theirs)
    hidden = cli(["jobs", "get", theirs], env, tmp_path)
    assert hidden.returncode == EXIT_FAILED and hidden.stderr.startswith("error: not-found: "), hidden.stderr

    with scripted_api() as gone:
        closed = gone.url
    unreachable = cli(["jobs", "list"], {**env, "YTC_API_URL": closed}, tmp_path)
    assert unreachable.returncode == 4 and unreachable.stderr.startswith("error: cannot reach 127.0.0.1"), (
        unreachable.stderr
    )
    assert len(unreachable.stderr.strip().splitlines()) == 1
