"""The fast lane in the template: an image function with the models in its image, sized from context,
without reserved concurrency; its router allowed to read the one worker service; the optional GPU warm pool;
with the lane off (fastLane false), no function, image, role or log group of it, and no permission to invoke it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ytcaption_cdk.config import Config
from ytcaption_cdk.fast_lane import DOCKERFILE

from tests.cdk import test_checks
from tests.cdk.conftest import STACK, Synth, _synth, run_cli_synth
from tests.paths import ROOT
from tests.support import iam
from ytcaption import resources

CONTEXT = {"gpuWarmPool": "true", "gpuWarmPoolSize": "2", "fastLaneMemoryMiB": "10240",
           "fastLaneTimeoutSeconds": "600", "fastLaneConcurrency": "50", "fastLaneShortSeconds": "60"}  # fmt: skip


OFF = {"fastLane": "false"}
FAST_LANE = resources.lambda_spec("fast-lane").function_name
# What the placeholders of its states name with the lane off: the ARN it would have (in-process synthesis
# in tests/support/iam.py's account and region).
ABSENT_ARN = f"arn:aws:lambda:us-east-1:123456789012:function:{FAST_LANE}"
WORKER_DOCKERFILE = "containers/whisper/Dockerfile"


@pytest.fixture(scope="module")
def off(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return _synth(tmp_path_factory.mktemp("cdk-fast-lane-off"), OFF)


def _docker_images(template_path: Path) -> set[str]:
    """The Dockerfiles of the image assets `cdk deploy` would build (the assembly's asset manifest)."""
    manifest = json.loads((template_path.parent / f"{STACK}.assets.json").read_text())
    return {image["source"]["dockerFile"] for image in manifest.get("dockerImages", {}).values()}


def _nag_violations(template_path: Path) -> list[Any]:
    """cdk-nag's open findings in the assembly's validation report (a synthesis with one raises too)."""
    report = json.loads((template_path.parent / "validation-report.json").read_text())
    (nag,) = [r for r in report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    assert nag["conclusion"] == "success", nag["violations"]
    return list(nag["violations"])


@pytest.fixture(scope="module")
def sized(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return _synth(tmp_path_factory.mktemp("cdk-fast-lane"), CONTEXT)


def _function(synth: Synth, name: str) -> dict[str, Any]:
    (props,) = [
        f["Properties"]
        for f in synth.resources("AWS::Lambda::Function").values()
        if f["Properties"].get("FunctionName") == resources.lambda_spec(name).function_name
    ]
    return props


def test_the_fast_lane_is_an_image_function_sized_from_context(gpu: Synth, sized: Synth) -> None:
    defaults = Config()
    for synth, memory, timeout, concurrency, short in (
        (gpu, defaults.fastLaneMemoryMiB, defaults.fastLaneTimeoutSeconds, defaults.fastLaneConcurrency, 180),
        (sized, 10240, 600, 50, 60),
    ):
        props = _function(synth, "fast-lane")
        assert props["PackageType"] == "Image" and "Handler" not in props and "Layers" not in props
        assert "ImageUri" in props["Code"]
        assert props["MemorySize"] == memory and props["Timeout"] == timeout
        # No reservation: it fails to deploy where it would leave the account under its unreserved minimum.
        assert "ReservedConcurrentExecutions" not in props
        variables = props["Environment"]["Variables"]
        assert variables["HF_HUB_OFFLINE"] == "1"
        router = _function(synth, "pick-lane")["Environment"]["Variables"]
        assert router["YTC_FAST_LANE"] == "true"
        assert router["YTC_FAST_LANE_CONCURRENCY"] == str(concurrency)
        assert router["YTC_FAST_LANE_SHORT_SECONDS"] == str(short)
        assert (
            router["YTC_WORKER_CLUSTER"] == "ytcaption-workers" and router["YTC_WORKER_SERVICE"] == "ytcaption-worker"
        )
    assert defaults.fastLaneMemoryMiB <= 3008, "deployable in a new account (its memory quota)"


def test_the_image_bakes_in_the_models_the_lane_serves() -> None:
    dockerfile = (ROOT / DOCKERFILE).read_text()
    for model in resources.FAST_LANE_MODELS:
        assert f"models fetch {model} --cache-dir /opt/models" in dockerfile
    assert "offline-models" in dockerfile and "HF_HUB_OFFLINE=1" in dockerfile


def test_the_router_may_describe_the_worker_service_only(gpu: Synth) -> None:
    role = _function(gpu, "pick-lane")["Role"]["Fn::GetAtt"][0]
    statements = [
        statement
        for policy in gpu.resources("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    ecs = [s for s in statements if "ecs" in json.dumps(s["Action"])]
    assert len(ecs) == 1 and ecs[0]["Action"] == "ecs:DescribeServices"
    assert "dynamodb" not in json.dumps(statements), "the router reads no job"
    assert json.dumps(ecs[0]["Resource"]).endswith(':service/ytcaption-workers/ytcaption-worker"]]}')
    (service,) = gpu.resources("AWS::ECS::Service").values()
    assert service["Properties"]["ServiceName"] == "ytcaption-worker"


def test_the_state_machine_may_invoke_the_fast_lane(gpu: Synth) -> None:
    for name in ("pick-lane", "fast-lane"):
        assert any(
            "lambda:InvokeFunction" in json.dumps(s) and logical in json.dumps(s)
            for policy in gpu.resources("AWS::IAM::Policy").values()
            for s in policy["Properties"]["PolicyDocument"]["Statement"]
            for logical in [
                k for k, v in gpu.resources("AWS::Lambda::Function").items()
                if v["Properties"].get("FunctionName") == resources.lambda_spec(name).function_name
            ]
        ), name  # fmt: skip


def test_the_gpu_warm_pool_is_off_by_default_and_holds_stopped_instances_when_on(gpu: Synth, sized: Synth) -> None:
    assert not gpu.resources("AWS::AutoScaling::WarmPool")
    (pool,) = sized.resources("AWS::AutoScaling::WarmPool").values()
    assert pool["Properties"]["PoolState"] == "Stopped" and pool["Properties"]["MinSize"] == 2
    assert pool["Properties"]["InstanceReusePolicy"] == {"ReuseOnScaleIn": True}
    group = sized.template["Resources"][pool["Properties"]["AutoScalingGroupName"]["Ref"]]["Properties"]
    # Warm pools take no mixed-instances policy (nor Spot): one launch template with one instance type.
    assert "MixedInstancesPolicy" not in group and "LaunchTemplate" in group
    templates = {
        k: v for k, v in sized.resources("AWS::EC2::LaunchTemplate").items()
        if v["Properties"]["LaunchTemplateData"].get("InstanceType") == Config().gpuInstanceTypes[0]
    }  # fmt: skip
    assert len(templates) == 1
    (template,) = templates.values()
    user_data = json.dumps(template["Properties"]["LaunchTemplateData"]["UserData"])
    assert "ECS_WARM_POOLS_CHECK=true" in user_data


def test_with_the_lane_off_every_component_serves_the_workers_model_only() -> None:
    config = Config(fastLane=False)
    assert config.served_models == config.model


def test_with_the_lane_off_no_function_image_role_or_log_group_of_it_is_deployed(gpu: Synth, off: Synth) -> None:
    assert _docker_images(gpu.template_path) == {WORKER_DOCKERFILE, DOCKERFILE}
    assert _docker_images(off.template_path) == {WORKER_DOCKERFILE}, "cdk deploy builds no fast-lane image"
    assert not _nag_violations(off.template_path)
    functions = {
        f["Properties"].get("FunctionName"): f["Properties"] for f in off.resources("AWS::Lambda::Function").values()
    }
    assert {spec.function_name for spec in resources.LAMBDAS} - set(functions) == {FAST_LANE}
    assert not [f for f in functions.values() if f.get("PackageType") == "Image"]
    # Its router still deploys: it answers off ("gpu"), and every job takes the GPU queue.
    router = functions[resources.lambda_spec("pick-lane").function_name]["Environment"]["Variables"]
    assert router["YTC_FAST_LANE"] == "false"
    # Nothing but the state machine's definition names it: no role, policy, log group, alarm or dashboard.
    (machine,) = off.resources("AWS::StepFunctions::StateMachine")
    others = {k: v for k, v in off.template["Resources"].items() if k != machine}
    assert FAST_LANE not in json.dumps(others)
    assert len(gpu.resources("AWS::IAM::Role")) - len(off.resources("AWS::IAM::Role")) == 1
    assert len(gpu.resources("AWS::Logs::LogGroup")) - len(off.resources("AWS::Logs::LogGroup")) == 1


def test_with_the_lane_off_its_states_name_an_arn_no_role_may_invoke(off: Synth) -> None:
    definition = iam.state_machine_definition(off.template)
    named = {
        state["Parameters"]["FunctionName"]
        for _, state, _ in iam._task_states(definition["States"])
        if FAST_LANE in json.dumps(state.get("Parameters", {}))
    }
    assert named == {ABSENT_ARN}, "FastTranscribe and FastTranscribeChunks: never reached, PickLane answers off"
    policies = [policy["Properties"]["PolicyDocument"] for policy in off.resources("AWS::IAM::Policy").values()]
    statements = [s for document in policies for s in document["Statement"]]
    invokes = [s for s in statements if "lambda:InvokeFunction" in json.dumps(s["Action"])]
    assert invokes and not [s for s in invokes if FAST_LANE in json.dumps(s["Resource"])]
    # The IAM check of the state machine's own calls: every other task state is allowed, those two are not.
    report = iam.check(off.template, [])
    assert {(f.component, f.action, f.resource, f.decision) for f in report.findings} == {
        (iam.STATE_MACHINE_COMPONENT, "lambda:InvokeFunction", ABSENT_ARN, "not allowed")
    }
    assert not report.unresolved


def test_cdk_synth_with_the_lane_off_needs_no_fast_lane_image(tmp_path: Path) -> None:
    """`cdk synth -c fastLane=false` with the pinned CLI, as `make deploy` runs it: no cdk-nag finding open,
    and the worker's is the only image the deploy would build."""
    cli = run_cli_synth(tmp_path, "defaults", OFF)
    assert not _nag_violations(cli.template_path)
    # No acknowledgement left over from the function that is not there (its role's went with it).
    test_checks.test_every_acknowledgement_covers_a_finding_of_the_cli_synth(cli)
    assert _docker_images(cli.template_path) == {WORKER_DOCKERFILE}
    assert not [f for f in cli.resources("AWS::Lambda::Function").values() if f["Properties"].get("PackageType")]
