"""`ytcaption local up` hands one configuration to every component, and the CLI fails
cleanly: one line on stderr and an exit code, never a traceback."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest

from tests.support.audio import MEETING, word_error_rate

pytestmark = pytest.mark.e2e

CLI = [sys.executable, "-m", "ytcaption.cli"]
SETTINGS = {"YTC_ALLOW_LOOPBACK_URLS": "true", "YTC_ALLOWED_SITES": "127.0.0.1"}
FROM_FILE = {"YTC_MAX_MEDIA_SECONDS": "3600"}
FROM_FLAG = {"YTC_WEBHOOK_TIMEOUT_SECONDS": "7.5"}


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A shell with no runtime, no endpoint and no AWS credentials: a new user's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "YTC_"))}
    env.update({"YTC_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1", "TMPDIR": str(tmp_path), **extra})
    return env


def _cli(args: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=timeout)


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


@pytest.fixture
def configured_runtime(tmp_path: Path) -> Iterator[tuple[dict[str, str], dict[str, object]]]:
    """`local up` with settings from the shell, a --config file and --set, as a user starts it."""
    from ytcaption.local.runtime import free_port

    env = _clean_env(tmp_path, **SETTINGS)
    config = tmp_path / "ytcaption.env"
    config.write_text("# settings for the local runtime\n" + "".join(f"{k}={v}\n" for k, v in FROM_FILE.items()))
    sets = [f"--set={k}={v}" for k, v in FROM_FLAG.items()]
    port, api_port = free_port(), free_port()
    up = _cli(["local", "up", "--port", str(port), "--api-port", str(api_port), "--model", "tiny.en",
               "--config", str(config), *sets], env)  # fmt: skip
    try:
        assert up.returncode == 0, up.stderr
        state = json.loads(_cli(["local", "status"], env).stdout)
        yield env, state
    finally:
        _cli(["local", "down"], env)


def test_a_setting_given_to_local_up_reaches_every_component(
    configured_runtime: tuple[dict[str, str], dict[str, object]], speech_mp3: Path
) -> None:
    env, state = configured_runtime
    wanted = {**SETTINGS, **FROM_FILE, **FROM_FLAG, "YTC_DEFAULT_MODEL": "tiny.en"}
    secret = (Path(str(state["state_dir"])) / "aws-secret").read_text().strip()  # the runtime's own
    lam = boto3.client(
        "lambda", endpoint_url=state["endpoint"], region_name="us-east-1",  # type: ignore[arg-type]
        aws_access_key_id="local", aws_secret_access_key=secret,
    )  # fmt: skip
    functions = lam.list_functions()["Functions"]
    assert len(functions) >= 5
    for function in functions:
        variables = function["Environment"]["Variables"]
        assert {k: variables.get(k) for k in wanted} == wanted, function["FunctionName"]
    processes = {"api": state["api"]["pid"], **{f"worker {w['pid']}": w["pid"] for w in state["workers"]}}  # type: ignore[index, union-attr]
    for name, pid in processes.items():
        environ = _environ(int(pid))
        assert {k: environ.get(k) for k in wanted} == wanted, name

    # The scenario that used to fail: the API accepted a loopback URL and FetchAudio refused it.
    from tests.support.media_server import media_server

    key = _cli(["keys", "create", "--tenant", "loopback"], env).stdout.strip().splitlines()[-1]
    with media_server() as server, httpx.Client(base_url=state["api"]["url"], headers={"X-Api-Key": key}) as api:  # type: ignore[index]
        url = server.serve_file("/talk.mp3", speech_mp3)
        created = api.post("/v1/transcriptions", json={"source": {"url": url}})
        assert created.status_code == 202, created.text
        job = created.json()
        deadline = time.monotonic() + 180
        while job["status"] not in {"COMPLETED", "FAILED", "CANCELLED"} and time.monotonic() < deadline:
            time.sleep(0.5)
            job = api.get(f"/v1/transcriptions/{job['id']}").json()
        assert job["status"] == "COMPLETED", job.get("error")
        text = api.get(f"/v1/transcriptions/{job['id']}/result", params={"format": "txt"}).text
    assert word_error_rate(MEETING, text) <= 0.15
    # The outbox answers the CLI (it has the runtime's secret), and no one else.
    outbox = _cli(["local", "outbox", "--json"], env)
    assert outbox.returncode == 0 and isinstance(json.loads(outbox.stdout), list), outbox.stderr
    assert httpx.get(f"{state['endpoint']}/_ytcaption/outbox").status_code == 403


def _one_clean_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_errors_outside_the_command_are_one_clean_line(tmp_path: Path) -> None:
    env = _clean_env(tmp_path)
    no_runtime = _cli(["keys", "create", "--tenant", "acme"], env)
    assert no_runtime.returncode == 4 and "ytcaption local up" in _one_clean_line(no_runtime)
    no_runtime = _cli(["admin", "stats"], env)
    assert no_runtime.returncode == 4 and "ytcaption local up" in _one_clean_line(no_runtime)

    creds = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}"  # bound, never listening: refuses connections
        unreachable = _cli(["admin", "stats"], {**env, **creds, "AWS_ENDPOINT_URL": dead})
    assert unreachable.returncode == 4 and f"cannot reach AWS_ENDPOINT_URL={dead}" in _one_clean_line(unreachable)

    invalid = _cli(["local", "up", "--set", "YTC_HEARTBEAT_SECONDS=soon"], env)
    assert invalid.returncode == 2 and "YTC_HEARTBEAT_SECONDS" in _one_clean_line(invalid)
    unknown = _cli(["local", "up", "--set", "HEARTBEAT_SECOND=5"], env)
    assert unknown.returncode == 2 and "unknown setting" in _one_clean_line(unknown)


def test_a_busy_port_is_a_clean_refusal(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _cli(["local", "up", "--port", str(port), "--api-port", "0", "--workers", "0"], _clean_env(tmp_path))
    assert result.returncode == 4 and f"port {port} is in use" in _one_clean_line(result)


@pytest.mark.parametrize(
    ("source", "code"),
    [("http://169.254.169.254/latest/meta-data/", "URL_NOT_ALLOWED"), ("empty.wav", "EMPTY_MEDIA")],
)
def test_bad_input_is_refused_before_any_runtime_starts(tmp_path: Path, source: str, code: str) -> None:
    if not source.startswith("http"):
        (tmp_path / source).write_bytes(b"")
        source = str(tmp_path / source)
    started = time.monotonic()
    result = _cli(["transcribe", source], _clean_env(tmp_path))
    assert result.returncode == 2 and f"error: {code}:" in _one_clean_line(result)
    assert time.monotonic() - started < 30, "refused at once, not after starting a runtime"
    assert not list(tmp_path.glob("ytcaption-run-*"))


def test_ctrl_c_stops_the_run_and_the_runtime_it_started(tmp_path: Path, long_speech_wav: Path) -> None:
    from ytcaption.local.runtime import port_free

    env = _clean_env(tmp_path, PYTHONUNBUFFERED="1")
    # Ctrl-C in a terminal: SIGINT at its default, even where this test runs as a background job (a shell
    # starts those with SIGINT ignored, and a child inherits that).
    proc = subprocess.Popen([*CLI, "transcribe", str(long_speech_wav), "--model", "tiny.en"], env=env,
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if "uploaded" in line:
            break
    port = int(next(line for line in seen if "on port" in line).split("on port")[1].split()[0])
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=120)
    rest = "".join(seen) + err
    assert proc.returncode == 130, rest
    assert "Traceback" not in rest and "interrupted" in rest
    assert port_free("127.0.0.1", port), "the runtime it started is stopped"
    assert not list(tmp_path.glob("ytcaption-run-*")), "its temporary folder is removed"


def test_a_timeout_says_what_happens_to_the_job(tmp_path: Path, speech_wav: Path) -> None:
    result = _cli(["transcribe", str(speech_wav), "--model", "tiny.en", "--timeout", "0.5"], _clean_env(tmp_path))
    assert result.returncode == 3, result.stderr
    assert "stopped with the local runtime this run started" in result.stderr
    assert "Traceback" not in result.stderr
