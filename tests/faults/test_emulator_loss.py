"""Losing the emulator, as a user would: `local up`, SIGKILL the emulator, use what is left,
`local status`, `local down`, `local up` again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e

CLI = [sys.executable, "-m", "ytcaption.cli"]


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=300)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"


def test_the_runtime_survives_losing_its_emulator(tmp_path: Path) -> None:
    from ytcaption.local.runtime import free_port, port_free

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "YTC_"))}
    env.update({"YTC_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1", "YTC_POLL_WAIT_SECONDS": "1"})
    port, api_port = free_port(), free_port()
    up = ["local", "up", "--port", str(port), "--api-port", str(api_port), "--workers", "1", "--model", "tiny.en"]
    assert _cli(up, env).returncode == 0
    try:
        state = json.loads(_cli(["local", "status"], env).stdout)
        key = _cli(["keys", "create", "--tenant", "survivor"], env).stdout.strip()
        worker_pid = state["workers"][0]["pid"]
        os.kill(state["emulator"]["pid"], signal.SIGKILL)
        time.sleep(3)

        api = httpx.Client(base_url=state["api"]["url"], headers={"X-Api-Key": key}, timeout=60)
        answer = api.get("/v1/transcriptions")
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["code"] == "unavailable" and answer.headers["retry-after"]
        assert api.get("/health/ready").status_code == 503
        assert _alive(worker_pid), "the worker waits for the emulator instead of dying"
        (log_file,) = (tmp_path / "home" / "local").glob("worker-*.log")
        log = log_file.read_text()
        assert "Traceback" not in log and "AWS unreachable" in log

        status = _cli(["local", "status"], env)
        assert status.returncode == 1 and "emulator is gone" in status.stdout
    finally:
        down = _cli(["local", "down"], env)
    assert down.returncode == 0 and "stopped" in down.stdout
    assert not _alive(worker_pid) and port_free("127.0.0.1", api_port), "down stops what was left"
    again = _cli(up, env)
    try:
        assert again.returncode == 0, again.stderr
        assert "lives in the emulator's memory" in again.stdout, "up says plainly that state did not survive"
    finally:
        _cli(["local", "down"], env)


def test_a_worker_started_before_its_emulator_waits_for_it(tmp_path: Path) -> None:
    """A worker whose AWS endpoint does not answer yet (its queues cannot even be looked up) keeps retrying
    instead of dying on start-up: on a busy host `local up`'s workers may still be starting when the
    emulator goes, and in AWS a task may start during an outage."""
    from ytcaption.local.runtime import free_port

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "YTC_"))}
    env.update({
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",  # nothing listens there
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
        "YTC_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1", "YTC_POLL_WAIT_SECONDS": "1",
    })  # fmt: skip
    log_file = tmp_path / "worker.log"
    with log_file.open("w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "ytcaption.worker", "--preload", "none"], env=env, stdout=log, stderr=log
        )
    try:
        deadline = time.monotonic() + 120
        while "AWS unreachable" not in log_file.read_text() and worker.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        text = log_file.read_text()
        assert worker.poll() is None, f"the worker died instead of waiting:\n{text[-2000:]}"
        assert "AWS unreachable" in text and "Traceback" not in text
    finally:
        worker.terminate()
        worker.wait(timeout=60)
