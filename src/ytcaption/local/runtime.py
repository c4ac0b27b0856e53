"""Start, find and stop the embedded local runtime: emulator process, resources, workers."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

DEFAULT_PORT = 4566
REGION = "us-east-1"


def default_state_dir() -> Path:
    return Path(os.environ.get("YTC_HOME", Path.home() / ".ytcaption")) / "local"


def port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((host, port)) != 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


ACCESS_KEY_ID = "local"
SECRET_FILE = "aws-secret"


def client_env(endpoint: str, secret: str, key_id: str = ACCESS_KEY_ID) -> dict[str, str]:
    """What a client process needs to talk to the emulator: its endpoint and the runtime's credentials
    (the emulator refuses any request not signed with them)."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": key_id,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
    }


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    # A zombie child still answers kill(0); it is not running.
    with contextlib.suppress(OSError), open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"
    return True


class RuntimeStartError(RuntimeError):
    """The runtime could not start (a port in use, a process that exited): a message for people."""


@dataclass
class RuntimeConfig:
    port: int = DEFAULT_PORT
    host: str = "127.0.0.1"
    workers: int = 1
    state_dir: Path = field(default_factory=default_state_dir)
    # YTC_* settings for the Lambdas and the workers (heartbeat, limits...).
    settings: dict[str, str] = field(default_factory=dict)
    worker_env: dict[str, str] = field(default_factory=dict)
    # The public HTTP API (uvicorn serving ytcaption.api.app) on host:api_port; None: not started.
    api_port: int | None = None
    # An AWS endpoint that runs already (LocalStack: http://localhost:4566): no emulator is started,
    # the resources are created there, and the API and workers talk to it.
    external_endpoint: str | None = None


LOCAL_EMAIL_SENDER = "YTCaption <ytcaption@localhost.localdomain>"


class LocalRuntime:
    def __init__(self, config: RuntimeConfig) -> None:
        self.config = config
        self.emulator_pid: int | None = None
        self.api_pid: int | None = None
        self.worker_pids: list[int] = []
        self._workers: list[subprocess.Popen[bytes]] = []
        self._logs: list[IO[bytes]] = []
        self.log_paths: dict[int, Path] = {}
        self._secret: str | None = None

    @property
    def endpoint(self) -> str:
        return self.config.external_endpoint or f"http://{self.config.host}:{self.config.port}"

    @property
    def api_url(self) -> str | None:
        return f"http://{self.config.host}:{self.config.api_port}" if self.config.api_port else None

    @property
    def live_url(self) -> str | None:
        """The live-updates WebSocket (resources.LIVE_PATH on the local API)."""
        from ytcaption import resources

        return f"ws://{self.config.host}:{self.config.api_port}{resources.LIVE_PATH}" if self.config.api_port else None

    @property
    def state_file(self) -> Path:
        return self.config.state_dir / "state.json"

    @property
    def secret_file(self) -> Path:
        """The runtime's AWS secret key, readable by its owner only (`$(cat …)` in a shell)."""
        return self.config.state_dir / SECRET_FILE

    @property
    def key_id(self) -> str:
        if self.config.external_endpoint:
            return os.environ.get("AWS_ACCESS_KEY_ID") or "test"
        return ACCESS_KEY_ID

    @property
    def secret(self) -> str:
        """The secret the runtime's processes sign with: made once per `local up`, never a known dummy.
        An endpoint the runtime did not start (LocalStack) has its own: the shell's credentials."""
        if self.config.external_endpoint:
            return os.environ.get("AWS_SECRET_ACCESS_KEY") or "test"
        if self._secret is None:
            try:
                self._secret = self.secret_file.read_text().strip()
            except OSError:
                self._secret = ""
            if not self._secret:
                self._secret = secrets.token_hex(20)
                self.config.state_dir.mkdir(parents=True, exist_ok=True)
                descriptor = os.open(self.secret_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(descriptor, "w") as out:
                    out.write(self._secret + "\n")
        return self._secret

    # -- lifecycle -------------------------------------------------------------

    def up(self) -> dict[str, str]:
        self.config.state_dir.mkdir(parents=True, exist_ok=True)
        if not self.config.external_endpoint:
            # A new secret for every runtime: nothing signed for an earlier one is good here.
            self.secret_file.unlink(missing_ok=True)
            self._secret = None
        if not self.config.external_endpoint and not port_free(self.config.host, self.config.port):
            raise RuntimeStartError(f"port {self.config.port} is in use; pick another with --port")
        if self.config.api_port and not port_free(self.config.host, self.config.api_port):
            raise RuntimeStartError(f"port {self.config.api_port} is in use; pick another with --api-port")
        if not self.config.external_endpoint:
            emulator = self._spawn(
                [sys.executable, "-m", "ytcaption.local.emulator", "--host", self.config.host,
                 "--port", str(self.config.port), "--cache-dir", str(self.config.state_dir / "lambda-code")],
                "emulator.log", self.config.settings,
            )  # fmt: skip
            self.emulator_pid = emulator.pid
            self._wait_listening(emulator)
        self.activate()
        from ytcaption.local.bootstrap import bootstrap

        made = bootstrap({**self.lambda_defaults(), **self.config.settings})
        if self.config.api_port:
            self.start_api()
        for _ in range(self.config.workers):
            self.start_worker()
        self._save()
        return made

    def lambda_defaults(self) -> dict[str, str]:
        """What the Lambdas get unless the settings say otherwise: emails go out (to the emulator's
        SES, `ytcaption local outbox`) from a local sender and link to the local API."""
        defaults = {
            "YTC_EMAIL_SENDER": LOCAL_EMAIL_SENDER,
            "YTC_PUBLIC_API_URL": self.api_url or f"http://{self.config.host}:8000",
        }
        if self.api_url:
            # The `live` Lambda posts to WebSocket connections through the local API's management API.
            defaults["YTC_LIVE_ENDPOINT"] = self.api_url
        return defaults

    def activate(self) -> None:
        """Point this process's AWS clients at the runtime."""
        os.environ.update(client_env(self.endpoint, self.secret, self.key_id))
        os.environ.update(self.config.settings)
        from ytcaption.settings import get_settings
        from ytcaption.store import aws

        get_settings.cache_clear()
        aws.client.cache_clear()
        aws.brief_client.cache_clear()
        aws.resource.cache_clear()
        aws.resource_as.cache_clear()
        aws.client_at.cache_clear()

    def start_api(self) -> None:
        """uvicorn serving the same FastAPI app as the `api` Lambda."""
        port = self.config.api_port
        api = self._spawn(
            [sys.executable, "-m", "uvicorn", "ytcaption.api.app:create_app", "--factory",
             "--host", self.config.host, "--port", str(port), "--log-level", "warning"],
            "api.log", {**self.config.settings, "YTC_COMPONENT": "api", "YTC_SERVE_LIVE": "true"},
        )  # fmt: skip
        self.api_pid = api.pid
        deadline = time.monotonic() + 60
        while port_free(self.config.host, int(port or 0)):
            if api.poll() is not None or time.monotonic() > deadline:
                log = (self.config.state_dir / "api.log").read_text(errors="replace")[-2000:]
                raise RuntimeStartError(f"the API did not start on port {port}:\n{log}")
            time.sleep(0.1)
        self._save()

    def start_worker(self, extra_env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        env = {"YTC_COMPONENT": "worker", **self.config.settings, **self.config.worker_env, **(extra_env or {})}
        worker = self._spawn([sys.executable, "-m", "ytcaption.worker"], f"worker-{len(self.log_paths)}.log", env)
        self._workers.append(worker)
        self.worker_pids.append(worker.pid)
        self.report_fleet()  # saves the state too
        return worker

    @contextlib.contextmanager
    def worker(self, extra_env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
        """A Whisper worker for the length of a `with` block, stopped (SIGTERM) at its end whatever happened."""
        worker = self.start_worker(extra_env)
        try:
            yield worker
        finally:
            if worker.poll() is None or worker in self._workers:
                self.stop_worker(worker)

    def stop_worker(self, worker: subprocess.Popen[bytes], timeout: float = 60) -> int:
        """SIGTERM, as ECS does on scale-in; the worker hands back unfinished work."""
        worker.send_signal(signal.SIGTERM)
        try:
            code = worker.wait(timeout)
        except subprocess.TimeoutExpired:
            worker.kill()
            code = worker.wait()
        if worker.pid in self.worker_pids:
            self.worker_pids.remove(worker.pid)
        if worker in self._workers:
            self._workers.remove(worker)
        self.report_fleet()  # saves the state too
        return code

    def report_fleet(self) -> None:
        """The worker processes as the emulator's ECS service counts them (the fast lane's router reads it):
        only those still running, as ECS's runningCount does; a worker that died (SIGKILL, a crash) is
        forgotten here, or the router would keep sending jobs to a queue no worker reads."""
        from ytcaption.local import fleet

        ended = {w.pid for w in self._workers if w.poll() is not None}  # poll() also reaps a zombie
        self._workers = [w for w in self._workers if w.pid not in ended]
        own = {w.pid for w in self._workers}
        # A pid with no process object here (a runtime found from its state file) is asked directly.
        self.worker_pids = [pid for pid in self.worker_pids if pid in own or (pid not in ended and _alive(pid))]
        self._save()
        fleet.running(len(self.worker_pids))

    def down(self) -> None:
        for pid in list(self.worker_pids):
            _terminate(pid, grace=30)
        if self.api_pid:
            _terminate(self.api_pid, grace=10)
            self.api_pid = None
        if self.emulator_pid:
            _terminate(self.emulator_pid, grace=10, group=True)
        for worker in self._workers:
            with contextlib.suppress(Exception):
                worker.wait(0)
        for log in self._logs:
            log.close()
        self.worker_pids.clear()
        self._workers.clear()
        self.emulator_pid = None
        self.state_file.unlink(missing_ok=True)
        self.secret_file.unlink(missing_ok=True)

    # -- status ----------------------------------------------------------------

    def emulator_alive(self) -> bool:
        return bool(self.emulator_pid and _alive(self.emulator_pid))

    def status(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "emulator": {"pid": self.emulator_pid, "running": self.emulator_alive()},
            "workers": [{"pid": pid, "running": _alive(pid)} for pid in self.worker_pids],
            "api": {"url": self.api_url, "pid": self.api_pid, "running": bool(self.api_pid and _alive(self.api_pid))},
            "live": {"url": self.live_url},
            "state_dir": str(self.config.state_dir),
        }

    @classmethod
    def find_running(cls, state_dir: Path | None = None) -> LocalRuntime | None:
        """The runtime `local up` started, while any of its processes still runs (so that
        `local down` stops what is left of it, the emulator gone or not)."""
        state_dir = state_dir or default_state_dir()
        try:
            state = json.loads((state_dir / "state.json").read_text())
        except (OSError, ValueError):
            return None
        runtime = cls(
            RuntimeConfig(port=state["port"], host=state["host"], state_dir=state_dir, settings=state["settings"])
        )
        runtime.emulator_pid = state["emulator_pid"]
        runtime.config.api_port = state.get("api_port")
        runtime.api_pid = state.get("api_pid")
        runtime.worker_pids = [pid for pid in state["worker_pids"] if _alive(pid)]
        if not any(_alive(pid) for pid in [runtime.emulator_pid or -1, runtime.api_pid or -1, *runtime.worker_pids]):
            return None
        return runtime

    # -- helpers ---------------------------------------------------------------

    def _spawn(self, argv: list[str], log_name: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
        path = self.config.state_dir / log_name
        log = path.open("ab")
        self._logs.append(log)
        full_env = {**os.environ, **client_env(self.endpoint, self.secret, self.key_id), **env}
        # Own session: `local up` returns while these keep running.
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=full_env, start_new_session=True)
        self.log_paths[proc.pid] = path
        return proc

    def _wait_listening(self, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                log = (self.config.state_dir / "emulator.log").read_text(errors="replace")[-2000:]
                raise RuntimeStartError(f"the emulator exited ({proc.returncode}):\n{log}")
            if not port_free(self.config.host, self.config.port):
                return
            time.sleep(0.1)
        raise RuntimeStartError("the emulator did not start listening in time")

    def _save(self) -> None:
        self.config.state_dir.mkdir(parents=True, exist_ok=True)
        state = {
            "port": self.config.port,
            "host": self.config.host,
            "emulator_pid": self.emulator_pid,
            "api_port": self.config.api_port,
            "api_pid": self.api_pid,
            "worker_pids": self.worker_pids,
            "settings": self.config.settings,
        }
        self.state_file.write_text(json.dumps(state, indent=2))


def _terminate(pid: int, grace: float, group: bool = False) -> None:
    kill = os.killpg if group else os.kill
    with contextlib.suppress(ProcessLookupError, PermissionError):
        kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _alive(pid):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.1)
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            kill(pid, signal.SIGKILL)
