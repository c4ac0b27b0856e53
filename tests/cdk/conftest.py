"""Synthesize the CDK app once per session (GPU default, and the Fargate option) for the checks."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

ROOT = Path(__file__).resolve().parents[2]
CDK_DIR = ROOT / "cdk"
STACK = "YTCaption"
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


# -- the pinned CDK CLI, the way an operator runs it --------------------------------------------

CLI = CDK_DIR / "node_modules" / ".bin" / "cdk"
ACCOUNT = "123456789012"
# The environments `cdk synth` is run in: the CLI's own defaults (no credentials: no account, and
# the region it falls back to, us-east-1), and a concrete account and region as an operator's
# credentials give them.
CLI_ENVIRONMENTS: dict[str, dict[str, str]] = {
    "defaults": {},
    "eu-west-1": {"CDK_DEFAULT_ACCOUNT": ACCOUNT, "CDK_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "eu-west-1"},
}
# With a concrete account and region the VPC asks for the region's availability zones: the CLI looks
# them up with the operator's credentials and keeps them in cdk.context.json. Without credentials the
# answer is given here instead (in ~/.cdk.json, the CLI's user settings), as that lookup would write it.
CLI_LOOKUPS = {
    f"availability-zones:account={ACCOUNT}:region=eu-west-1": ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
}


@dataclass
class CliSynth(Synth):
    environment: str
    region: str
    account: str | None
    outdir: Path
    output: str  # what the CLI printed

    def report(self) -> dict[str, Any]:
        """The validation report (cdk-nag's findings, acknowledged ones included)."""
        result: dict[str, Any] = json.loads((self.outdir / "validation-report.json").read_text())
        return result


def cli_environment(home: Path, extra: dict[str, str]) -> dict[str, str]:
    """The process environment of a CLI run: no AWS credentials or settings from this machine."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
    env.update(
        HOME=str(home),  # no ~/.aws, no ~/.cdk.json of this machine
        AWS_CONFIG_FILE=str(home / ".aws" / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / ".aws" / "credentials"),
        AWS_EC2_METADATA_DISABLED="true",  # no instance-role credentials either
        CDK_DISABLE_CLI_TELEMETRY="true",
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
    )
    env.update(extra)
    return env


def run_cli_synth(tmp: Path, environment: str, context: dict[str, str] | None = None) -> CliSynth:
    """`cdk synth` with the pinned CLI in the repository root: cdk.json's app and context, as is, or with
    `-c key=value` for each item of `context` as an operator would give them."""
    app_command = json.loads((ROOT / "cdk.json").read_text())["app"]
    interpreter = ROOT / app_command.split()[0]
    if not CLI.exists():
        pytest.fail(f"the pinned CDK CLI is not installed ({CLI}): run `make node-tools` (make test does)")
    if not interpreter.exists():
        pytest.fail(f"cdk.json's app runs {app_command!r} in {ROOT}, but {interpreter} is missing: run `make install`")
    home, outdir = tmp / "home", tmp / "cdk.out"
    home.mkdir()
    (home / ".cdk.json").write_text(json.dumps({"context": CLI_LOOKUPS}))
    options = [arg for key, value in (context or {}).items() for arg in ("-c", f"{key}={value}")]
    result = subprocess.run(
        [str(CLI), "synth", "--no-notices", "--quiet", "--output", str(outdir), *options],
        cwd=ROOT,
        env=cli_environment(home, CLI_ENVIRONMENTS[environment]),
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"cdk synth ({environment}) exited {result.returncode}:\n{output[-6000:]}"
    manifest = json.loads((outdir / "manifest.json").read_text())
    artifact = manifest["artifacts"][STACK]
    template_path = outdir / artifact["properties"]["templateFile"]
    template = json.loads(template_path.read_text())
    account = CLI_ENVIRONMENTS[environment].get("CDK_DEFAULT_ACCOUNT")
    region = CLI_ENVIRONMENTS[environment].get("CDK_DEFAULT_REGION", "us-east-1")
    checks = assertions.Template.from_json(template)
    return CliSynth(template, checks, template_path, None, environment, region, account, outdir, output)


@pytest.fixture(scope="session", params=sorted(CLI_ENVIRONMENTS))
def cli(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> CliSynth:
    """One `cdk synth` per environment for the whole session."""
    return run_cli_synth(tmp_path_factory.mktemp(f"cdk-cli-{request.param}"), request.param)
