"""cdk.json documents the defaults; the layer build targets Lambda's platform."""

from __future__ import annotations

import importlib.util
import json
import platform
import sys
from pathlib import Path
from types import ModuleType

import pytest
from ytcaption_cdk.config import Config

from tests.cdk.conftest import ROOT


def _build_layers() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_layers", ROOT / "scripts" / "build_layers.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_layers", module)
    spec.loader.exec_module(module)
    return module


def test_cdk_json_runs_the_app_and_lists_every_default() -> None:
    cdk_json = json.loads((ROOT / "cdk.json").read_text())
    assert "cdk/app.py" in cdk_json["app"]
    ours = {k: v for k, v in cdk_json["context"].items() if not k.startswith("@aws-cdk/")}
    assert ours == Config().as_context()


def test_context_from_the_command_line_is_coerced() -> None:
    class Node:
        def __init__(self, values: dict[str, str]) -> None:
            self.values = values

        def try_get_context(self, key: str) -> str | None:
            return self.values.get(key)

    config = Config.from_context(
        Node({"maxWorkers": "8", "gpuSpot": "false", "gpuInstanceTypes": "g6.2xlarge,g5.2xlarge"})  # type: ignore[arg-type]
    )
    assert config.maxWorkers == 8 and config.gpuSpot is False
    assert config.gpuInstanceTypes == ("g6.2xlarge", "g5.2xlarge")
    assert Config(workerCompute="fargate").model == "base" and Config().model == "large-v3-turbo"
    with pytest.raises(ValueError, match="workerCompute"):
        Config.from_context(Node({"workerCompute": "tpu"}))  # type: ignore[arg-type]


def test_a_prebuilt_worker_image_needs_the_model_it_holds(tmp_path: Path) -> None:
    from tests.cdk.conftest import load_app_module

    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/whisper:base"
    with pytest.raises(ValueError, match=r"workerImage is set .* whisperModel must name the model"):
        load_app_module().build_app(context={"placeholderLayers": True, "workerImage": image}, outdir=str(tmp_path))
    assert Config(workerImage=image, whisperModel="base").model == "base"


def test_fast_lane_context_is_held_to_the_bounds_of_the_settings_it_becomes() -> None:
    """Every function reads these settings at start-up: a value ytcaption.settings refuses would stop them all."""
    from ytcaption.settings import Settings

    for bad in ({"fastLaneConcurrency": 1001}, {"fastLaneConcurrency": 0}, {"fastLaneShortSeconds": -1}):
        with pytest.raises(ValueError, match="fastLane"):
            Config(**bad).validate()  # type: ignore[arg-type]
        key, value = next(iter(bad.items()))
        setting = {"fastLaneConcurrency": "fast_lane_concurrency", "fastLaneShortSeconds": "fast_lane_short_seconds"}
        with pytest.raises(ValueError):
            Settings(**{setting[key]: value})
    Config(fastLaneConcurrency=1000, fastLaneShortSeconds=0).validate()


def test_a_prebuilt_worker_image_serves_its_own_model_on_the_gpu_only() -> None:
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/whisper:base"
    assert Config(workerImage=image, whisperModel="base").worker_models == "base"
    assert set(Config().worker_models.split(",")) == {Config().model, "tiny.en", "base"}


def test_dependency_layer_requirements_leave_out_what_lambda_provides() -> None:
    reqs = _build_layers().requirements()
    names = {r.split(">")[0].split("=")[0].split("[")[0].split("<")[0] for r in reqs}
    assert "boto3" not in names and "botocore" not in names
    assert {"pydantic", "pydantic-settings", "aws-lambda-powertools"} <= names
    assert any(r.startswith("aws-lambda-powertools[tracer]") for r in reqs), "Tracer needs the X-Ray SDK"


def test_built_layers_are_for_lambda_arm64_python312() -> None:
    build = ROOT / "layers" / "build"
    if not (build / ".stamp").exists():
        pytest.skip("layers not built here: `make layers` (make test builds them)")
    core = build / "core" / "python" / "ytcaption"
    assert (core / "resources.py").exists()
    assert not (core / "local").exists(), "the local runtime stays out of Lambda"
    deps = build / "deps" / "python"
    native = list((deps / "pydantic_core").glob("_pydantic_core.*.so"))
    assert native and all("cpython-312-aarch64" in p.name for p in native), native
    assert not (deps / "boto3").exists()


def _pins() -> dict[str, str]:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [*project["dependencies"], *project["optional-dependencies"]["youtube"]]
    return {r.split("==")[0]: r.split("==")[1] for r in reqs if r.startswith(("yt-dlp==", "yt-dlp-ejs=="))}


def test_yt_dlp_and_its_javascript_are_pinned_together() -> None:
    """yt-dlp ignores a yt-dlp-ejs whose major.minor differs from the one it vendors; an unpinned yt-dlp
    drifts away from the pinned ejs at its next release. The installed yt-dlp of the pinned version
    declares the same ejs (its `pin` extra) and vendors it."""
    from importlib import metadata

    pins = _pins()
    assert set(pins) == {"yt-dlp", "yt-dlp-ejs"}, "both pinned exactly (==)"
    if metadata.version("yt-dlp") != pins["yt-dlp"]:
        pytest.skip(f"yt-dlp {metadata.version('yt-dlp')} installed here, not the pinned {pins['yt-dlp']}")
    declared = [r for r in metadata.requires("yt-dlp") or [] if r.startswith("yt-dlp-ejs") and "'pin'" in r]
    assert declared and declared[0].split(";")[0].strip() == f"yt-dlp-ejs=={pins['yt-dlp-ejs']}", declared
    from yt_dlp.extractor.youtube.jsc._builtin import vendor

    assert pins["yt-dlp-ejs"] == vendor.VERSION


def test_the_built_layers_ship_the_yt_dlp_ejs_their_yt_dlp_uses() -> None:
    build = ROOT / "layers" / "build"
    machine = platform.machine()
    candidates = [(build / "deps", build / "js"), (build / f"deps-{machine}", build / f"js-{machine}")]
    pairs = [(d, j) for d, j in candidates if (d / "python" / "yt_dlp").exists() and (j / "python").exists()]
    if not pairs:
        pytest.skip("layers not built here: `make layers` (make test builds them)")
    module = _build_layers()
    for deps, js in pairs:
        vendored, shipped = module.ejs_pair(deps, js)
        assert vendored.split(".")[:2] == shipped.split(".")[:2], (deps.name, vendored, js.name, shipped)
        assert shipped == _pins()["yt-dlp-ejs"], (js.name, shipped)
        module.check_ejs_pair(deps, js)


def test_the_layer_build_refuses_a_pair_yt_dlp_would_ignore(tmp_path: Path) -> None:
    deps, js = tmp_path / "deps", tmp_path / "js"
    vendor = deps / "python/yt_dlp/extractor/youtube/jsc/_builtin/vendor"
    vendor.mkdir(parents=True)
    (vendor / "_info.py").write_text("# generated\n\nVERSION = '0.9.1'\nHASHES = {}\n")
    (js / "python" / "yt_dlp_ejs-0.8.0.dist-info").mkdir(parents=True)
    module = _build_layers()
    assert module.ejs_pair(deps, js) == ("0.9.1", "0.8.0")
    with pytest.raises(SystemExit, match="pin the two together"):
        module.check_ejs_pair(deps, js)
    (js / "python" / "yt_dlp_ejs-0.8.0.dist-info").rename(js / "python" / "yt_dlp_ejs-0.9.0.dist-info")
    module.check_ejs_pair(deps, js)  # a patch release apart: yt-dlp uses it
