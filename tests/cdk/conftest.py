"""Synthesize the CDK app once per session (GPU default, and the Fargate option) for the checks."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

ROOT = Path(__file__).resolve().parents[2]
CDK_DIR = ROOT / "cdk"
if str(CDK_DIR) not in sys.path:
    sys.path.insert(0, str(CDK_DIR))

aws_cdk = pytest.importorskip("aws_cdk", reason="the `cdk` extra is not installed (make install)")

from aws_cdk import assertions  # noqa: E402


@dataclass
class Synth:
    template: dict[str, Any]
    assertions: assertions.Template
    template_path: Path
    stack: Any

    def resources(self, type_: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.template["Resources"].items() if v["Type"] == type_}

    def one(self, type_: str) -> tuple[str, dict[str, Any]]:
        (item,) = self.resources(type_).items()
        return item


def load_app_module() -> Any:
    """cdk/app.py under a name of its own (`app` alone is too common a module name)."""
    if "ytcaption_cdk_app" not in sys.modules:
        spec = importlib.util.spec_from_file_location("ytcaption_cdk_app", CDK_DIR / "app.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return sys.modules["ytcaption_cdk_app"]


def _synth(tmp: Path, context: dict[str, Any]) -> Synth:
    app_module = load_app_module()
    STACK_NAME, build_app = app_module.STACK_NAME, app_module.build_app

    # Uses layers/build when `make layers` has run; empty stand-ins otherwise.
    app = build_app(context={"placeholderLayers": True, **context}, outdir=str(tmp))
    assembly = app.synth()  # cdk-nag runs here: an unacknowledged finding raises
    artifact = assembly.get_stack_artifact(STACK_NAME)
    path = Path(assembly.directory) / artifact.template_file
    template = json.loads(path.read_text())
    stack = app.node.find_child(STACK_NAME)
    return Synth(template, assertions.Template.from_json(template), path, stack)


@pytest.fixture(scope="session")
def gpu(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Synth:
    return _synth(tmp_path_factory.mktemp("cdk-gpu"), {})


@pytest.fixture(scope="session")
def fargate(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return _synth(
        tmp_path_factory.mktemp("cdk-fargate"),
        {
            "workerCompute": "fargate",
            "natGateways": "1",
            "downloadSecretName": "ytcaption/download",
            "emailSender": "YTCaption <noreply@mail.example.com>",
        },
    )


# The non-default settings the checks need, in one more synthesis: a second stack's name prefix,
# data not retained, GPU workers on on-demand only, API Gateway's account role managed elsewhere.
ALT_CONTEXT = {"namePrefix": "ytc2", "retainData": "false", "gpuSpot": "false", "apiGatewayAccountRole": "false"}


@pytest.fixture(scope="session")
def alt(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return _synth(tmp_path_factory.mktemp("cdk-alt"), ALT_CONTEXT)
