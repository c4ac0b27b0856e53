"""The fast lane in AWS: its image function (containers/fast_lane), its role, and what its router needs.

The function is a container image (CPU faster-whisper, tiny.en and base baked in), sized from context
(fastLaneMemoryMiB: Lambda gives one vCPU per 1,769 MB, six at 10,240 MB; fastLaneTimeoutSeconds). No
reserved concurrency: a reservation fails to deploy where it would leave the account under its
unreserved minimum (new accounts may have a quota of 10); the state machine's Map bounds a job's
fan-out instead (fastLaneConcurrency), and a throttled invocation is retried, then handed to the GPU queue.

With the lane off (fastLane false) none of it is deployed: no function, image asset, role or log group, and no
permission to invoke it, so `cdk deploy` builds no fast-lane image (no Docker for it). The router still is:
it answers off, and every job takes the GPU queue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration, IgnoreMode, Size, Stack
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

from ytcaption.resources import LambdaSpec
from ytcaption_cdk.paths import IMAGE_CONTEXT_EXCLUDE as WORKER_CONTEXT_EXCLUDE
from ytcaption_cdk.paths import ROOT

if TYPE_CHECKING:
    from ytcaption_cdk.config import Config
    from ytcaption_cdk.pipeline import Pipeline

# Only what the image build reads: the worker image's context and the function's handler.
IMAGE_CONTEXT_EXCLUDE = [*WORKER_CONTEXT_EXCLUDE, "!functions", "functions/*", "!functions/fast_lane", "**/__pycache__"]
DOCKERFILE = "containers/fast_lane/Dockerfile"
# The image function (resources.LAMBDAS); the router, pick-lane, deploys either way.
FUNCTION = "fast-lane"


def deploys(config: Config, spec: LambdaSpec) -> bool:
    """Whether the stack holds this function: every one, less the lane's own when the lane is off."""
    return config.fastLane or spec.name != FUNCTION


def image_function(
    p: Pipeline, spec: LambdaSpec, name: str, role: iam.Role, log_group: logs.LogGroup, environment: dict[str, str]
) -> lambda_.Function:
    config = p.config
    return lambda_.DockerImageFunction(
        p,
        f"{name}Function",
        function_name=p.names.function(spec.name),
        code=lambda_.DockerImageCode.from_image_asset(
            str(ROOT),
            file=DOCKERFILE,
            # CTranslate2's int8 kernels are fastest on x86 (oneDNN); the worker image is amd64 too.
            platform=ecr_assets.Platform.LINUX_AMD64,
            exclude=IMAGE_CONTEXT_EXCLUDE,
            ignore_mode=IgnoreMode.DOCKER,
        ),
        architecture=lambda_.Architecture.X86_64,
        timeout=Duration.seconds(config.fastLaneTimeoutSeconds),
        memory_size=config.fastLaneMemoryMiB,
        # The long job's audio is downloaded to /tmp once per sandbox (worker.audio).
        ephemeral_storage_size=Size.mebibytes(spec.ephemeral_storage_mb),
        role=role,
        environment=environment,
        tracing=lambda_.Tracing.ACTIVE,
        log_group=log_group,
    )


def grant_fast_lane(p: Pipeline, spec: LambdaSpec, role: iam.Role) -> None:
    """What a worker does (pipeline.grant_transcription), less the queue and the task token (the state
    machine waits on the invocation) and less ECS task protection."""
    from ytcaption_cdk.pipeline import grant_transcription

    grant_transcription(p, role, p.bucket, p.table, "fast lane")


def grant_pick_lane(p: Pipeline, spec: LambdaSpec, role: iam.Role) -> None:
    """Nothing here: the router reads no job (the state passes it what it needs); the worker service it
    looks at is granted with it (connect_router)."""


def connect_router(p: Pipeline, router: lambda_.Function, workers: bool) -> None:
    """The router tells a warm fleet by the worker service's running count: DescribeServices on that one
    service, by its name (a reference would make the state machine depend on the service, which depends on
    the state machine). Without workers (deployWorkers false) it is told there is none, and every job it
    may route takes the fast lane."""
    names = p.config.names
    if not workers:
        router.add_environment("YTC_WORKER_CLUSTER", "")
        router.add_environment("YTC_WORKER_SERVICE", "")
        return
    router.add_environment("YTC_WORKER_CLUSTER", names.worker_cluster)
    router.add_environment("YTC_WORKER_SERVICE", names.worker_service)
    service = Stack.of(p).format_arn(
        service="ecs", resource="service", resource_name=f"{names.worker_cluster}/{names.worker_service}"
    )
    assert router.role is not None
    router.role.add_to_principal_policy(iam.PolicyStatement(actions=["ecs:DescribeServices"], resources=[service]))
