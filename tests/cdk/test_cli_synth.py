"""`cdk synth` with the pinned CDK CLI, as `make deploy` runs it before its first AWS call.

The other checks synthesize in-process, without an environment; the CLI gives the app one
(CDK_DEFAULT_REGION always, CDK_DEFAULT_ACCOUNT with credentials), and ARNs then carry the
region and account as text. Here the CLI runs cdk.json's app from the repository root with its
defaults and with a concrete account and region (conftest.CLI_ENVIRONMENTS): it must exit 0 with
no cdk-nag finding left open, each template must pass cfn-lint, and each must hold the very
resources of the in-process template the drift, IAM and asset checks read.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.cdk.conftest import CLI_LOOKUPS, CliSynth, Synth

PSEUDO = {"AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}
# Added by the CLI only (its version reporting, on by default): not part of the app.
CLI_ONLY = {"AWS::CDK::Metadata"}


def test_cdk_synth_exits_0_with_every_finding_acknowledged(cli: CliSynth) -> None:
    (report,) = [r for r in cli.report()["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    assert report["conclusion"] == "success", report["violations"]
    assert not report["violations"]
    assert report["suppressedViolations"], "the app acknowledges some findings, each with a reason"
    assert "Synthesis finished with errors" not in cli.output


def test_the_cli_environment_reaches_the_template(cli: CliSynth) -> None:
    """The region (and account) the CLI passes come out as text in the ARNs that named them as tokens
    in-process: the acknowledgements above were checked against exactly these."""
    text = json.dumps(cli.template)
    assert f":states:{cli.region}:" in text
    assert (f":{cli.account}:" in text) == (cli.account is not None)
    other = "eu-west-1" if cli.region == "us-east-1" else "us-east-1"
    assert f":states:{other}:" not in text


def test_cfn_lint_passes_on_the_cli_template(cli: CliSynth) -> None:
    cfn_lint = shutil.which("cfn-lint", path=str(Path(sys.executable).parent))
    assert cfn_lint, "cfn-lint is part of the `cdk` extra"
    result = subprocess.run(
        [cfn_lint, "--ignore-checks", "W3005", "--regions", cli.region, "--", str(cli.template_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_cli_template_holds_the_resources_the_other_checks_read(cli: CliSynth, gpu: Synth) -> None:
    """Resource for resource, property for property, once the account, region and availability zones
    are filled in the same way into both (the in-process template names them with intrinsics)."""
    azs = CLI_LOOKUPS.get(f"availability-zones:account={cli.account}:region={cli.region}", ["az-a", "az-b", "az-c"])
    values = {**PSEUDO, "AWS::Region": cli.region, "AWS::AccountId": cli.account or "123456789012", "azs": azs}

    def resources(template: dict[str, Any]) -> dict[str, Any]:
        template = _without_deployment_hashes(template)
        return {
            logical_id: render({k: v for k, v in resource.items() if k != "Metadata"}, values)
            for logical_id, resource in template["Resources"].items()
            if resource["Type"] not in CLI_ONLY
        }

    ours, theirs = resources(cli.template), resources(gpu.template)
    assert sorted(ours) == sorted(theirs)
    different = [logical_id for logical_id in ours if ours[logical_id] != theirs[logical_id]]
    assert not different, {k: (ours[k], theirs[k]) for k in different[:3]}
    assert render(cli.template["Outputs"], values) == render(gpu.template["Outputs"], values)


def _without_deployment_hashes(template: dict[str, Any]) -> dict[str, Any]:
    """An API Gateway deployment's logical id ends in a hash of the API it deploys (a new id is a new
    deployment), and that hash covers the region and account as text or as intrinsics alike."""
    text = json.dumps(template)
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::ApiGateway::Deployment" and re.search(r"[0-9a-f]{32}$", logical_id):
            text = text.replace(f'"{logical_id}"', f'"{logical_id[:-32]}"')
    result: dict[str, Any] = json.loads(text)
    return result


def render(value: Any, values: dict[str, Any]) -> Any:
    """A template value with pseudo parameters and availability zones filled in, and every Fn::Join
    folded as far as its parts allow, so that a text and its intrinsic spelling compare equal."""
    if isinstance(value, list):
        return [render(v, values) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref" and arg in values:
            return values[arg]
        if key == "Fn::GetAZs":
            return values["azs"]
        if key == "Fn::Select":
            index, items = render(arg, values)
            if isinstance(items, list):
                return items[int(index)]
        if key == "Fn::Sub" and isinstance(arg, str):
            return re.sub(r"\$\{(AWS::\w+)\}", lambda m: str(values.get(m[1], m[0])), arg)
        if key == "Fn::Join":
            separator, parts = arg
            pieces: list[Any] = []
            for i, part in enumerate(render(parts, values)):
                for piece in ([separator] if i and separator else []) + [part]:
                    if isinstance(piece, str) and pieces and isinstance(pieces[-1], str):
                        pieces[-1] += piece
                    else:
                        pieces.append(piece)
            return pieces[0] if len(pieces) == 1 and isinstance(pieces[0], str) else {"Fn::Join": ["", pieces]}
    return {k: render(v, values) for k, v in value.items()}
