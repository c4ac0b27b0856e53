"""The fast lane in the template: an image function with the models in its image, sized from context,
without reserved concurrency; its router allowed to read the one worker service; the optional GPU warm pool."""

from __future__ import annotations

import json
from typing import Any

import pytest
from ytcaption_cdk.config import Config
from ytcaption_cdk.fast_lane import DOCKERFILE

from tests.cdk.conftest import Synth, _synth
from tests.paths import ROOT
from ytcaption import resources

CONTEXT = {"gpuWarmPool": "true", "gpuWarmPoolSize": "2", "fastLaneMemoryMiB": "10240",
           "fastLaneTimeoutSeconds": "600", "fastLaneConcurrency": "50", "fastLaneShortSeconds": "60"}  # fmt: skip


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
