"""Offline checks on the synthesized app: cdk-nag (AwsSolutions), cfn-lint, statelint and asl-validator."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests import paths
from tests.cdk.conftest import ROOT, CliSynth, Synth
from tests.cdk.resolve import substituted_definition

NODE_BIN = ROOT / "cdk" / "node_modules" / ".bin"


def _acknowledgments(synth: Synth) -> dict[str, str]:
    metadata = json.loads((synth.template_path.parent / "YTCaption.metadata.json").read_text())
    found: dict[str, str] = {}
    for path, entries in metadata.items():
        for entry in entries:
            if entry["type"] == "aws:cdk:acknowledged-rules":
                for rule, reason in entry["data"].items():
                    found[f"{path} {rule}"] = reason
    return found


def test_cdk_nag_passes_and_every_acknowledged_finding_has_a_reason(gpu: Synth, fargate: Synth, alt: Synth) -> None:
    # All synths ran with AwsSolutionsChecks as a validation plugin: reaching here means no
    # unacknowledged finding. Each acknowledgment must say why.
    for synth in (gpu, fargate, alt):
        acks = {k: v for k, v in _acknowledgments(synth).items() if "AwsSolutions" in k}
        assert acks, "the app acknowledges some AwsSolutions findings"
        short = {k: v for k, v in acks.items() if len(v.strip()) < 20}
        assert not short, f"acknowledgments need a real reason: {short}"


def test_cdk_nag_fails_synth_on_an_unacknowledged_finding(tmp_path: Path) -> None:
    from aws_cdk import App, Stack, Validations
    from aws_cdk import aws_sqs as sqs
    from cdk_nag import AwsSolutionsChecks

    app = App(outdir=str(tmp_path))
    stack = Stack(app, "Bad")
    sqs.Queue(stack, "NoDlqNoTls")
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    with pytest.raises(RuntimeError, match=r"ValidationFailed(.|\n)*AwsSolutions-SQS3"):
        app.synth()


@pytest.mark.parametrize("variant", ["gpu", "fargate", "alt"])
def test_cfn_lint_passes(variant: str, request: pytest.FixtureRequest) -> None:
    synth: Synth = request.getfixturevalue(variant)
    cfn_lint = shutil.which("cfn-lint", path=str(Path(sys.executable).parent))
    assert cfn_lint, "cfn-lint is part of the `cdk` extra"
    result = subprocess.run(
        [cfn_lint, "--ignore-checks", "W3005", "--", str(synth.template_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _node_tool(name: str) -> Path:
    tool = NODE_BIN / name
    if not tool.exists():
        pytest.skip(f"{name} is not installed: run `make node-tools` (npm ci in cdk/)")
    return tool


def _asl_files(gpu: Synth, tmp_path: Path) -> list[Path]:
    """The ASL file as written (with ${Placeholders}) and as deployed (substituted)."""
    deployed = tmp_path / "deployed.asl.json"
    deployed.write_text(json.dumps(substituted_definition(gpu.template), indent=2))
    return [paths.ASL_PATH, deployed]


# AWS accepts a "Comment" in a Retrier (its console templates have one); @wmfs/statelint's
# grammar does not list it. That one finding is statelint's gap, not ours; anything else fails.
# Likewise a Map's "MaxConcurrencyPath" (AWS takes the Map's concurrency from the input since 2024;
# the chunks of long audio use it so the limit is a setting); statelint predates it.
STATELINT_FALSE_POSITIVE = re.compile(
    r'^Field "Comment" not allowed in .*\.Retry\[\d+\]$'
    r'|^Field "MaxConcurrencyPath" not allowed in .*\.(Fast)?TranscribeChunks$'
)


def test_asl_passes_statelint(gpu: Synth, tmp_path: Path) -> None:
    statelint = _node_tool("statelint")
    for path in _asl_files(gpu, tmp_path):
        result = subprocess.run([str(statelint), str(path)], capture_output=True, text=True, timeout=120)
        if result.returncode == 0:
            continue
        problems = [line.strip() for line in result.stdout.splitlines()[1:] if line.strip()]
        real = [p for p in problems if not STATELINT_FALSE_POSITIVE.match(p)]
        assert problems and not real, f"{path.name}: {result.stdout}{result.stderr}"


def test_asl_passes_asl_validator(gpu: Synth, tmp_path: Path) -> None:
    validator = _node_tool("asl-validator")
    for path in _asl_files(gpu, tmp_path):
        result = subprocess.run([str(validator), "--json-path", str(path)], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"{path.name}: {result.stdout}{result.stderr}"


# IAM actions with no resource-level permissions: the only ones a statement may allow on "*"
# (AwsSolutions-IAM5[Resource::*] is acknowledged per role, so this list is what keeps that
# acknowledgement from hiding a future "*" on anything else).
NO_RESOURCE_LEVEL = {
    "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets",
    # Step Functions' log delivery (vended logs) and CDK's ECS agent policy.
    "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
    "ecr:GetAuthorizationToken", "ecs:DiscoverPollEndpoint", "ecs:Poll", "ecs:StartTelemetrySession",
    "autoscaling:DescribeAutoScalingGroups",
}  # fmt: skip
# CDK's ECS agent policy on the GPU instance role also allows these on "*" (acknowledged there, saying so).
ALSO_ON_EVERYTHING = {"WorkersGpuInstanceRole": {"logs:CreateLogStream", "logs:PutLogEvents"}}


def _statements(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for logical_id, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        documents = [props["PolicyDocument"]] if resource["Type"] == "AWS::IAM::Policy" else []
        documents += [p["PolicyDocument"] for p in props.get("Policies", []) if resource["Type"] == "AWS::IAM::Role"]
        found += [(logical_id, s) for document in documents for s in document["Statement"]]
    return found


@pytest.mark.parametrize("variant", ["gpu", "fargate", "alt"])
def test_only_actions_without_resource_level_permissions_are_allowed_on_every_resource(
    variant: str, request: pytest.FixtureRequest
) -> None:
    synth: Synth = request.getfixturevalue(variant)
    on_everything = {}
    for logical_id, statement in _statements(synth.template):
        listed = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if "*" in listed and statement["Effect"] == "Allow":
            also = {a for prefix, more in ALSO_ON_EVERYTHING.items() if logical_id.startswith(prefix) for a in more}
            on_everything[logical_id] = set(actions) - NO_RESOURCE_LEVEL - also
    assert on_everything, "the X-Ray and log-delivery statements at least"
    assert not {k: v for k, v in on_everything.items() if v}, "a statement allows these on every resource"


def test_every_acknowledgement_covers_a_finding_of_the_cli_synth(cli: CliSynth) -> None:
    """No acknowledgement left over from a finding that no longer exists (or never matched: an
    acknowledgement spelled for another environment)."""
    (report,) = [r for r in cli.report()["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    used = {(v["acknowledgedAt"].strip("/"), v["acknowledgedId"]) for v in report["suppressedViolations"]}
    pairs = [key.split(" ", 1) for key in _acknowledgments(cli)]
    made = {(path.strip("/"), rule) for path, rule in pairs if rule.startswith("AwsSolutions::")}
    assert made and not made - used, sorted(made - used)
