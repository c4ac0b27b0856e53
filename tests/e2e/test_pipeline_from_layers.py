"""The pipeline end to end with every Lambda handler loaded from the built layers as Lambda lays
them out (isolated interpreters: the function's code, the layers' python/, the runtime's boto3),
not from the venv: what would crash in AWS on a packaging mistake crashes here."""

from __future__ import annotations

import os
import platform
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.paths import LAYER_BUILD
from tests.support.audio import MEETING, word_error_rate
from tests.support.pipeline import submit, wait_execution, wait_job
from ytcaption.domain.job import JobStatus

pytestmark = pytest.mark.e2e

LAYERS = [LAYER_BUILD / "core", LAYER_BUILD / f"deps-{platform.machine()}", LAYER_BUILD / f"js-{platform.machine()}"]


@pytest.fixture
def layered_runtime(runtime: Any, tmp_path: Path) -> Iterator[Any]:
    from tests.conftest import TEST_SETTINGS, WORKER_ENV
    from ytcaption.local.runtime import LocalRuntime, RuntimeConfig, free_port

    missing = [str(layer) for layer in LAYERS if not (layer / "python").is_dir()]
    if missing:
        pytest.fail(f"layers not built ({', '.join(missing)}): run `make layers host-layers` (make test does)")
    saved = dict(os.environ)
    settings = {**TEST_SETTINGS, "YTC_LOCAL_LAMBDA_LAYERS": os.pathsep.join(map(str, LAYERS))}
    layered = LocalRuntime(
        RuntimeConfig(port=free_port(), workers=1, state_dir=tmp_path / "layered", settings=settings,
                      worker_env=WORKER_ENV)
    )  # fmt: skip
    try:
        layered.up()
        yield layered
    finally:
        layered.down()
        os.environ.clear()
        os.environ.update(saved)
        runtime.activate()


def test_a_job_runs_end_to_end_on_handlers_loaded_from_the_built_layers(layered_runtime: Any, speech_wav: Path) -> None:
    job = wait_job(submit(speech_wav))
    assert job.status == JobStatus.COMPLETED, job.error_reason
    assert wait_execution(job.job_id)["status"] == "SUCCEEDED", "notified too"
    text = layered_runtime.config.state_dir.joinpath("emulator.log").read_text(errors="replace")
    loaded = dict(re.findall(r"^(ytcaption-[\w-]+): ytcaption from (\S+)$", text, re.M))
    core = str(LAYERS[0] / "python" / "ytcaption" / "__init__.py")
    # ytcaption-live: every job event goes through it (it records them; no WebSocket API here to post to).
    for function in ("ytcaption-intake", "ytcaption-fetch-audio", "ytcaption-notify", "ytcaption-live"):
        assert loaded.get(function) == core, (function, loaded)
    from ytcaption.store.media import MediaStore

    result = job.result or {}
    transcript = MediaStore(result["bucket"]).get_text(result["keys"]["txt"])
    assert word_error_rate(MEETING, transcript) <= 0.15
