"""The same runtime pointed at an AWS endpoint that already runs (how `make test-localstack` uses
LocalStack): nothing is started there, the resources are created in it, the API talks to it, and
`down` leaves it running. An emulator process started by hand stands in for LocalStack."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration


def test_a_runtime_can_use_an_endpoint_it_did_not_start(runtime: Any, tmp_path: Path) -> None:
    from tests.conftest import TEST_SETTINGS
    from ytcaption.local.runtime import LocalRuntime, RuntimeConfig, free_port, port_free
    from ytcaption.settings import get_settings
    from ytcaption.store.apikeys import ApiKeyStore

    port = free_port()
    outside = subprocess.Popen(
        [sys.executable, "-m", "ytcaption.local.emulator", "--port", str(port), "--cache-dir", str(tmp_path / "c")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    saved = dict(os.environ)
    endpoint = f"http://127.0.0.1:{port}"
    there = LocalRuntime(
        RuntimeConfig(
            workers=0,
            state_dir=tmp_path / "rt",
            settings=TEST_SETTINGS,
            api_port=free_port(),
            external_endpoint=endpoint,
        )
    )
    try:
        for _ in range(100):
            if not port_free("127.0.0.1", port):
                break
            time.sleep(0.1)
        made = there.up()
        assert there.endpoint == endpoint and there.emulator_pid is None
        assert made["table"] and made["state_machine"].startswith("arn:aws:states:")
        key, _ = ApiKeyStore(get_settings().table).create("elsewhere")
        with httpx.Client(base_url=str(there.api_url), headers={"X-Api-Key": key}) as api:
            assert api.get("/health/ready").json()["status"] == "ok"
            assert api.get("/v1/transcriptions").status_code == 200
        there.down()
        assert outside.poll() is None and not port_free("127.0.0.1", port), "down leaves an endpoint it did not start"
    finally:
        there.down()
        outside.kill()
        outside.wait()
        os.environ.clear()
        os.environ.update(saved)
        runtime.activate()
