"""Runs the emulator's Lambda functions as local Python processes (no Docker).

moto runs Lambda code in Docker; here `LambdaFunction._invoke_lambda` is
replaced. Each function's zip is unpacked once (cached by its SHA-256) and
served by warm processes of this same interpreter, with the function's
environment, AWS_ENDPOINT_URL pointing back at the emulator and its timeout
enforced. Module state survives between invocations, as in a warm Lambda.

Each function runs at most `concurrency` sandboxes at once, like Lambda's
concurrency limit: a burst of invocations (60 uploads at once) waits for a
free sandbox instead of starting 60 Python processes that starve each other
until their start-up times out, which lost S3 notifications.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import select
import subprocess
import sys
import threading
import uuid
import zipfile
from pathlib import Path
from typing import Any

from moto.awslambda.models import LambdaFunction

from ytcaption.local import lambda_layout, lambda_runner

_INIT_TIMEOUT_S = 30.0


class _Sandbox:
    """One warm process serving invocations of one function, one at a time."""

    def __init__(self, code_dir: Path, env: dict[str, str], isolated: bool = False) -> None:
        # Isolated: the runner by its path, with no venv and no site-packages (the built layers instead).
        command = [sys.executable, "-I", "-S", "-B", lambda_runner.__file__] if isolated else [
            sys.executable, "-m", "ytcaption.local.lambda_runner"
        ]  # fmt: skip
        self.proc = subprocess.Popen(
            command,
            cwd=code_dir,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        if self._read(_INIT_TIMEOUT_S) is None:
            self.kill()
            raise RuntimeError("Lambda sandbox did not start")

    def invoke(self, event: Any, timeout_s: float) -> dict[str, Any] | None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"event": event, "request_id": str(uuid.uuid4())}) + "\n")
        self.proc.stdin.flush()
        return self._read(timeout_s)

    def _read(self, timeout_s: float) -> dict[str, Any] | None:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout_s)
        if not ready:
            return None
        line = self.proc.stdout.readline()
        return json.loads(line) if line else None

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()


class LocalLambdaExecutor:
    def __init__(self, endpoint: str, cache_dir: Path, concurrency: int = 4, layers: list[Path] | None = None) -> None:
        self.endpoint = endpoint
        self.cache_dir = cache_dir
        self.layers = layers or []
        self.concurrency = concurrency
        self._idle: dict[str, list[_Sandbox]] = {}
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()

    def invoke(self, fn: LambdaFunction, event: Any) -> tuple[str, bool, str]:
        with self._lock:
            slots = self._slots.setdefault(fn.function_name, threading.BoundedSemaphore(self.concurrency))
        # Waiting for a slot is not run time: the function's timeout starts once it runs.
        with slots:
            return self._invoke(fn, event)

    def _invoke(self, fn: LambdaFunction, event: Any) -> tuple[str, bool, str]:
        key = f"{fn.function_name}:{fn.code_sha_256}:{hash(json.dumps(fn.environment_vars, sort_keys=True))}"
        with self._lock:
            pool = self._idle.setdefault(key, [])
            sandbox = pool.pop() if pool else None
        try:
            if sandbox is None or not sandbox.alive():
                code = self._code_dir(fn)
                sandbox = _Sandbox(code, self._environment(fn, code), isolated=bool(self.layers))
            answer = sandbox.invoke(event, float(fn.timeout))
        except Exception as exc:
            return json.dumps({"errorMessage": str(exc), "errorType": "Runtime.SandboxError"}), True, ""
        if answer is None:
            sandbox.kill()
            message = f"Task timed out after {float(fn.timeout):.2f} seconds"
            if not sandbox.alive() and sandbox.proc.returncode not in (None, -9):
                message = f"Runtime exited with error: exit status {sandbox.proc.returncode}"
            return json.dumps({"errorMessage": message, "errorType": "Sandbox.Timedout"}), True, ""
        with self._lock:
            self._idle.setdefault(key, []).append(sandbox)
        return json.dumps(answer["payload"]), bool(answer["error"]), ""

    def shutdown(self) -> None:
        with self._lock:
            for pool in self._idle.values():
                for sandbox in pool:
                    sandbox.kill()
            self._idle.clear()

    def _code_dir(self, fn: LambdaFunction) -> Path:
        target = self.cache_dir / fn.code_sha_256.replace("/", "_")
        if not target.is_dir():
            staging = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
            staging.mkdir(parents=True, exist_ok=True)
            zipfile.ZipFile(io.BytesIO(fn.code_bytes)).extractall(staging)
            with contextlib.suppress(OSError):  # another thread unpacked it first
                staging.rename(target)
        return target

    def _environment(self, fn: LambdaFunction, code: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "YTC_", "MOTO_"))}
        env.update(
            {
                "_HANDLER": str(fn.handler),
                "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
                "AWS_LAMBDA_FUNCTION_TIMEOUT": str(fn.timeout),
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
                "AWS_LAMBDA_FUNCTION_VERSION": str(fn.version),
                "AWS_REGION": fn.region,
                "AWS_DEFAULT_REGION": fn.region,
                # The runtime's own credentials (the emulator checks every signature against them).
                "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "local"),
                "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "local"),
                "AWS_ENDPOINT_URL": self.endpoint,
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.run_time}",
                "POWERTOOLS_TRACE_DISABLED": "true",
            }
        )
        env.update({k: str(v) for k, v in fn.environment_vars.items()})
        if os.environ.get("YTC_AWS_CALL_LOG"):  # the tests' record of AWS calls (ytcaption.store.aws)
            env["YTC_AWS_CALL_LOG"] = os.environ["YTC_AWS_CALL_LOG"]
        if self.layers:
            site = lambda_layout.runtime_site(self.cache_dir / "runtime-site-packages")
            env["LAMBDA_SYS_PATH"] = json.dumps(lambda_layout.sys_path(code, self.layers, site))
            env["PATH"] = lambda_layout.path_with_bins(self.layers, env.get("PATH", "/usr/bin:/bin"))
        return env


def install(executor: LocalLambdaExecutor) -> None:
    """Route moto's Lambda invocations to the executor."""
    if not hasattr(LambdaFunction, "_invoke_lambda"):
        raise RuntimeError("moto's LambdaFunction._invoke_lambda is gone: update ytcaption.local.lambda_executor")

    def _invoke_lambda(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
        return executor.invoke(self, event if event is not None else {})

    LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign]
