"""Whisper workers (containers/whisper): an ECS service scaled on the queue, down to zero.

GPU (default): EC2 GPU instances through two capacity providers, Spot (several
instance types, price-capacity-optimized) and on-demand, tasks placed
spotWeight:onDemandWeight between them. ECS does not move a task to on-demand
when Spot has no capacity, so the on-demand share is what keeps work flowing
through a Spot shortage; `gpuSpot=false` runs on on-demand only.

CPU (`workerCompute=fargate`): Fargate Spot first, then Fargate, for small models.

Scaling: to the backlog (one worker per `messagesPerWorker` messages waiting or
in flight, up to `maxWorkers`), and to zero once nothing has been waiting or in
flight for `scaleToZeroAfterMinutes`. A busy worker is never stopped to shrink
the fleet: it holds task scale-in protection while it has a job, and managed
termination protection keeps its GPU instance. Stopping sends SIGTERM: the
worker hands its unfinished message back to the queue within the stop timeout.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from aws_cdk import Aws, Duration, IgnoreMode, RemovalPolicy, Stack
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ytcaption import resources
from ytcaption_cdk.config import Config
from ytcaption_cdk.nag import acknowledge, acknowledge_resource
from ytcaption_cdk.paths import IMAGE_CONTEXT_EXCLUDE, ROOT
from ytcaption_cdk.pipeline import grant_transcription, retention
from ytcaption_cdk.teardown import ScaleInProtectionRelease

# ECS's longest stop timeout; the worker needs seconds to hand its message back.
STOP_TIMEOUT = Duration.seconds(120)
METRICS_NAMESPACE = "YTCaption"
# Managed termination protection: ECS keeps scale-in protection on every GPU instance that runs a
# task and lifts it only from idle ones, so when the fleet shrinks the Auto Scaling group can remove
# idle instances only, never one with a job (without it the group picks by its own policy and managed
# draining stops the task on it: the job goes back to the queue and counts toward its dead-letter
# limit). CDK turns on the groups' new-instance scale-in protection with it, as ECS requires. The
# protection outlives the capacity provider and would hold a stack deletion: teardown.py lifts it.
# Managed draining still covers what protection does not (Spot reclaim, instance refresh).
CAPACITY_PROVIDER = {"enable_managed_termination_protection": True, "enable_managed_draining": True}
# A new worker image (or task definition) rolls out beside the running workers: new tasks start at once
# (up to twice the count), idle old ones stop at once, and an old worker with a job in hand keeps its
# task scale-in protection (worker/protection.py), which deployments honour too, until the job ends or
# the protection expires: at most the job's time limit (an hour without one). That bounds how long a
# deployment (and CloudFormation's wait for it) can take; the circuit breaker rolls back an image
# whose tasks fail to start.
DEPLOYMENT = {
    "min_healthy_percent": 0,
    "max_healthy_percent": 200,
    "circuit_breaker": ecs.DeploymentCircuitBreaker(rollback=True),
}
_ECR_URI = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<repo>[^:@]+)(?::(?P<tag>.+))?$"
)


class Workers(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: Config,
        bucket: s3.IBucket,
        table: dynamodb.ITable,
        queue: sqs.IQueue,
        state_machine: sfn.IStateMachine,
        priority_queues: tuple[sqs.IQueue, ...] = (),
    ) -> None:
        super().__init__(scope, id)
        # Workers poll the high, normal and low queues (the high and low ones here).
        self.queues = (queue, *priority_queues)
        self.config = config
        gpu = config.workerCompute == "gpu"

        flow_logs = logs.LogGroup(
            self,
            "FlowLogs",
            retention=retention(config.logRetentionDays),
            removal_policy=RemovalPolicy.DESTROY,
        )
        subnets = [ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=20)]
        if config.natGateways:
            subnets.append(
                ec2.SubnetConfiguration(name="workers", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=20)
            )
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=config.maxAzs,
            nat_gateways=config.natGateways,
            subnet_configuration=subnets,
            # S3 and DynamoDB traffic stays inside AWS, free of NAT charges.
            gateway_endpoints={
                "S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3),
                "DynamoDB": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.DYNAMODB),
            },
            flow_logs={
                "Rejected": ec2.FlowLogOptions(
                    destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs),
                    traffic_type=ec2.FlowLogTrafficType.REJECT,
                )
            },
        )
        self.subnets = ec2.SubnetSelection(
            subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS if config.natGateways else ec2.SubnetType.PUBLIC
        )
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            cluster_name=config.names.worker_cluster,
            vpc=self.vpc,
            container_insights_v2=ecs.ContainerInsights.ENABLED,
            enable_fargate_capacity_providers=not gpu,
        )
        self.security_group = ec2.SecurityGroup(
            self, "WorkerSecurityGroup", vpc=self.vpc, description="Whisper workers: outbound only, no inbound"
        )

        self.log_group = logs.LogGroup(
            self,
            "WorkerLogs",
            log_group_name=f"/ytcaption/{config.names.prefix}-worker",
            retention=retention(config.logRetentionDays),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self._metric_filters()

        if gpu:
            task_definition = ecs.Ec2TaskDefinition(self, "GpuTask", network_mode=ecs.NetworkMode.BRIDGE)
        else:
            task_definition = ecs.FargateTaskDefinition(
                self,
                "CpuTask",
                cpu=config.fargateCpu,
                memory_limit_mib=config.fargateMemoryMiB,
                runtime_platform=ecs.RuntimePlatform(
                    cpu_architecture=ecs.CpuArchitecture.X86_64,
                    operating_system_family=ecs.OperatingSystemFamily.LINUX,
                ),
            )
        self.task_definition = task_definition
        self.container = task_definition.add_container(
            "whisper",
            image=self._image(),
            environment=self.environment(bucket, table, queue, state_machine),
            logging=ecs.LogDrivers.aws_logs(stream_prefix="worker", log_group=self.log_group),
            stop_timeout=STOP_TIMEOUT,
            gpu_count=1 if gpu else None,
            memory_reservation_mib=12 * 1024 if gpu else None,
            essential=True,
        )
        self._grant(task_definition.task_role, bucket, table, queue, state_machine)

        self.service = self._gpu_service() if gpu else self._fargate_service()
        # No DesiredCount in the template: the autoscaler owns the count. With one, every deploy
        # reset the service to it (0 stopped busy workers on each update). CloudFormation's rule:
        # an update without DesiredCount leaves the running count alone; a *new* service without
        # it starts at 1 (AWS::ECS::Service docs). So the very first deploy starts one worker
        # (and, on GPU, one instance), which takes the first jobs or is scaled back to zero by
        # the QueueIdle alarm after scaleToZeroAfterMinutes, as any idle fleet is. CloudFormation
        # waits for that first task to run: without GPU quota (0 on new accounts: README, "Before
        # you deploy") the first deploy waits until ECS gives up on placing it. CDK would write
        # DesiredCount 1 when desired_count is left out (without the removeDefaultDesiredCount
        # feature flag), so the property is removed from the resource itself.
        service_resource = self.service.node.default_child
        assert isinstance(service_resource, ecs.CfnService)
        service_resource.add_property_deletion_override("DesiredCount")
        # The service names capacity providers that the cluster accepts only once CDK's
        # AWS::ECS::ClusterCapacityProviderAssociations exists; without a dependency CloudFormation
        # may create the service first, or delete the association while the service still uses it.
        # CDK adds that resource under the cluster in an aspect (after this constructor), so the
        # dependency is on the cluster construct: at synthesis it covers every resource beneath it.
        self.service.node.add_dependency(self.cluster)
        self._scaling(self.queues)
        if task_definition.execution_role is not None:
            acknowledge(
                task_definition.execution_role,
                id="AwsSolutions-IAM5[Resource::*]",
                reason="ecr:GetAuthorizationToken has no resource-level permissions (image pulls are scoped "
                "to the repository).",
            )
        acknowledge(
            task_definition,
            id="AwsSolutions-ECS2",
            reason="Only resource names and tuning (no secrets) are passed as environment variables.",
        )

    # -- image and environment ----------------------------------------------------

    def _image(self) -> ecs.ContainerImage:
        uri = self.config.workerImage
        if uri:
            match = _ECR_URI.match(uri)
            if match:
                repository = ecr.Repository.from_repository_attributes(
                    self,
                    "WorkerRepository",
                    repository_name=match["repo"],
                    repository_arn=f"arn:{Aws.PARTITION}:ecr:{match['region']}:{match['account']}:repository/{match['repo']}",
                )
                return ecs.ContainerImage.from_ecr_repository(repository, match["tag"] or "latest")
            return ecs.ContainerImage.from_registry(uri)
        # Every model a job may reach a worker with: its own, and the fast lane's (handed-back jobs).
        extra = [m for m in self.config.worker_models.split(",") if m != self.config.model]
        build_args = {"WHISPER_MODEL": self.config.model, "EXTRA_MODELS": " ".join(extra)}
        if self.config.workerCompute == "fargate":
            build_args["CUDA_IMAGE"] = "ubuntu:24.04"  # no GPU: a plain base, same Dockerfile
        return ecs.ContainerImage.from_asset(
            str(ROOT),
            file="containers/whisper/Dockerfile",
            build_args=build_args,
            platform=ecr_assets.Platform.LINUX_AMD64,
            exclude=IMAGE_CONTEXT_EXCLUDE,
            ignore_mode=IgnoreMode.DOCKER,
        )

    def environment(
        self, bucket: s3.IBucket, table: dynamodb.ITable, queue: sqs.IQueue, state_machine: sfn.IStateMachine
    ) -> dict[str, str]:
        return {
            "YTC_REGION": Aws.REGION,
            "YTC_BUCKET": bucket.bucket_name,
            "YTC_TABLE": table.table_name,
            "YTC_QUEUE_NAME": queue.queue_name,
            "YTC_QUEUE_NAME_HIGH": self.config.names.queue_high,
            "YTC_QUEUE_NAME_LOW": self.config.names.queue_low,
            # The worker never touches the dead-letter queue (nor the connections table); named anyway so
            # that no name in a stack with another prefix falls back to a default.
            "YTC_DLQ_NAME": self.config.names.dlq,
            "YTC_CONNECTIONS_TABLE": self.config.names.connections_table,
            "YTC_STATE_MACHINE": state_machine.state_machine_name,
            "YTC_DEFAULT_MODEL": self.config.model,
            # The fast lane's models too: a job of one that the fast lane hands back is refused clearly.
            "YTC_SERVED_MODELS": self.config.served_models,
            "YTC_HEARTBEAT_SECONDS": str(resources.HEARTBEAT_SECONDS),
            "YTC_MAX_MEDIA_SECONDS": str(self.config.maxMediaMinutes * 60),
            "POWERTOOLS_SERVICE_NAME": f"{self.config.names.prefix}-worker",
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            "HF_HUB_OFFLINE": "1",
        }

    def _grant(
        self,
        role: iam.IRole,
        bucket: s3.IBucket,
        table: dynamodb.ITable,
        queue: sqs.IQueue,
        state_machine: sfn.IStateMachine,
    ) -> None:
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:ChangeMessageVisibility",
                    "sqs:GetQueueUrl",
                    "sqs:GetQueueAttributes",
                ],
                resources=[q.queue_arn for q in self.queues],
            )
        )
        state_machine.grant_task_response(role)
        # Task scale-in protection while a job is in hand (through the ECS agent's endpoint, which
        # calls UpdateTaskProtection with the task's role): scale-in stops only idle workers.
        cluster_tasks = Stack.of(self).format_arn(
            service="ecs", resource="task", resource_name=f"{self.cluster.cluster_name}/*"
        )
        protection = ["ecs:UpdateTaskProtection", "ecs:GetTaskProtection"]
        role.add_to_principal_policy(iam.PolicyStatement(actions=protection, resources=[cluster_tasks]))
        acknowledge_resource(
            role,
            cluster_tasks,
            reason="A task sets its own scale-in protection; task ids are not known in advance, so the statement "
            "names this cluster's tasks.",
        )
        grant_transcription(self, role, bucket, table, "worker")

    def _metric_filters(self) -> None:
        """The worker logs each job's metrics (JSON): turn them into CloudWatch metrics."""
        pattern = logs.FilterPattern.string_value("$.message", "=", "job transcribed")
        for name, field, unit in (
            ("RealTimeFactor", "$.metrics.real_time_factor", cloudwatch.Unit.NONE),
            ("AudioSecondsTranscribed", "$.metrics.audio_seconds", cloudwatch.Unit.SECONDS),
            ("ModelLoadSeconds", "$.metrics.model_load_seconds", cloudwatch.Unit.SECONDS),
        ):
            logs.MetricFilter(
                self,
                f"{name}Filter",
                log_group=self.log_group,
                filter_pattern=pattern,
                metric_namespace=METRICS_NAMESPACE,
                metric_name=name,
                metric_value=field,
                unit=unit,
            )

    # -- services -------------------------------------------------------------------

    def _gpu_service(self) -> ecs.Ec2Service:
        config = self.config
        instance_role = iam.Role(
            self,
            "GpuInstanceRole",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description="GPU container instances: join the cluster, nothing else",
        )
        user_data = ec2.UserData.for_linux()
        if config.gpuSpot:
            # CDK writes this only for ASGs with a spotPrice, never for a mixed-instances policy:
            # without it a reclaimed instance is not drained and its tasks get no SIGTERM in time.
            # (The on-demand group shares the template; it never gets a Spot interruption notice.)
            user_data.add_commands("echo ECS_ENABLE_SPOT_INSTANCE_DRAINING=true >> /etc/ecs/ecs.config")
        if config.gpuWarmPool:
            # An instance warming up for the pool must not join the cluster before it is stopped;
            # the agent registers when it is resumed (ECS's warm-pool support).
            user_data.add_commands("echo ECS_WARM_POOLS_CHECK=true >> /etc/ecs/ecs.config")
            # Scaled-in instances return to the pool with the image on their disk: a resumed one uses it
            # instead of pulling it again.
            user_data.add_commands("echo ECS_IMAGE_PULL_BEHAVIOR=prefer-cached >> /etc/ecs/ecs.config")

        def template(id: str, instance_type: ec2.InstanceType | None = None) -> ec2.LaunchTemplate:
            return self._launch_template(id, instance_role, user_data, instance_type)

        launch_template = template("GpuLaunchTemplate")
        overrides = [
            autoscaling.LaunchTemplateOverrides(instance_type=ec2.InstanceType(t)) for t in config.gpuInstanceTypes
        ]

        def group(id: str, spot: bool) -> autoscaling.AutoScalingGroup:
            if not spot and config.gpuWarmPool:
                return self._warm_group(
                    id, template("GpuWarmLaunchTemplate", ec2.InstanceType(config.gpuInstanceTypes[0]))
                )
            asg = self._group(
                id,
                mixed_instances_policy=autoscaling.MixedInstancesPolicy(
                    launch_template=launch_template,
                    launch_template_overrides=overrides,
                    instances_distribution=autoscaling.InstancesDistribution(
                        on_demand_base_capacity=0,
                        on_demand_percentage_above_base_capacity=0 if spot else 100,
                        spot_allocation_strategy=autoscaling.SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED
                        if spot
                        else None,
                        on_demand_allocation_strategy=autoscaling.OnDemandAllocationStrategy.PRIORITIZED,
                    ),
                ),
            )
            self._acknowledge_group(asg)
            return asg

        return self._gpu_capacity(group, instance_role)

    def _launch_template(
        self, id: str, instance_role: iam.IRole, user_data: ec2.UserData, instance_type: ec2.InstanceType | None
    ) -> ec2.LaunchTemplate:
        config = self.config
        return ec2.LaunchTemplate(
            self,
            id,
            instance_type=instance_type,
            machine_image=ecs.EcsOptimizedImage.amazon_linux2023(ecs.AmiHardwareType.GPU),
            user_data=user_data,
            role=instance_role,
            security_group=self.security_group,
            # IMDSv2 only, and a hop limit of 1: a container on the docker bridge is one hop further
            # away, so it cannot reach the instance role's credentials (the task uses its own role
            # through the ECS agent's endpoint); the agent runs on the host network and still can.
            http_endpoint=True,
            http_tokens=ec2.LaunchTemplateHttpTokens.REQUIRED,
            http_put_response_hop_limit=1,
            associate_public_ip_address=None if config.natGateways else True,
            block_devices=[
                ec2.BlockDevice(
                    device_name="/dev/xvda",
                    volume=ec2.BlockDeviceVolume.ebs(
                        100, encrypted=True, volume_type=ec2.EbsDeviceVolumeType.GP3, delete_on_termination=True
                    ),
                )
            ],
        )

    def _group(self, id: str, **launch: Any) -> autoscaling.AutoScalingGroup:
        """A GPU group of 0..maxWorkers instances (ECS managed scaling sets its size), launched as `launch` says."""
        return autoscaling.AutoScalingGroup(
            self, id, vpc=self.vpc, vpc_subnets=self.subnets, min_capacity=0, max_capacity=self.config.maxWorkers,
            **launch,
        )  # fmt: skip

    def _acknowledge_group(self, asg: autoscaling.AutoScalingGroup) -> None:
        acknowledge(
            asg,
            id="AwsSolutions-EC26",
            reason="The launch template encrypts the root volume (the only EBS volume); cdk-nag cannot "
            "follow the mixed-instances policy's reference to it.",
        )
        acknowledge(
            asg,
            id="AwsSolutions-AS3",
            reason="Scaling is driven by ECS managed scaling; the dashboard and alarms cover the service.",
        )

    def _warm_group(self, id: str, launch_template: ec2.LaunchTemplate) -> autoscaling.AutoScalingGroup:
        """The on-demand group with a warm pool of stopped instances (gpuWarmPool): a scale-out resumes one
        (booted once, stopped; after its first use, with the image on its disk) instead of launching a new one. Warm
        pools take no mixed-instances policy and no Spot, so this group launches the first of
        gpuInstanceTypes only. Stopped instances cost their EBS volumes, not their GPU hours."""
        config = self.config
        asg = self._group(id, launch_template=launch_template)
        asg.add_warm_pool(
            min_size=config.gpuWarmPoolSize,
            pool_state=autoscaling.PoolState.STOPPED,
            reuse_on_scale_in=True,
        )
        self._acknowledge_group(asg)
        return asg

    def _gpu_capacity(
        self, group: Callable[[str, bool], autoscaling.AutoScalingGroup], instance_role: iam.IRole
    ) -> ecs.Ec2Service:
        config = self.config
        release = ScaleInProtectionRelease(self, "ScaleInProtectionRelease", config=config)
        strategies = []
        if config.gpuSpot:
            spot = ecs.AsgCapacityProvider(
                self,
                "GpuSpotCapacity",
                auto_scaling_group=group("GpuSpotGroup", True),
                spot_instance_draining=True,
                **CAPACITY_PROVIDER,
            )
            spot.node.add_dependency(release.add(spot.auto_scaling_group))
            self.cluster.add_asg_capacity_provider(spot)
            strategies.append(
                ecs.CapacityProviderStrategy(capacity_provider=spot.capacity_provider_name, weight=config.spotWeight)
            )
        if not config.gpuSpot or config.onDemandWeight > 0:
            on_demand = ecs.AsgCapacityProvider(
                self, "GpuOnDemandCapacity", auto_scaling_group=group("GpuOnDemandGroup", False), **CAPACITY_PROVIDER
            )
            on_demand.node.add_dependency(release.add(on_demand.auto_scaling_group))
            self.cluster.add_asg_capacity_provider(on_demand)
            strategies.append(
                ecs.CapacityProviderStrategy(
                    capacity_provider=on_demand.capacity_provider_name, weight=max(config.onDemandWeight, 1)
                )
            )
        acknowledge(
            instance_role,
            id="AwsSolutions-IAM5[Action::ecs:Submit*]",
            reason="CDK's ECS agent policy: the agent reports container and task state (ecs:Submit*).",
        )
        acknowledge(
            instance_role,
            id="AwsSolutions-IAM5[Resource::*]",
            reason="CDK's ECS agent policy: ecs:DiscoverPollEndpoint, ecs:Poll, ecs:StartTelemetrySession and "
            "ecr:GetAuthorizationToken have no resource-level permissions; it also allows logs:CreateLogStream and "
            "logs:PutLogEvents on * (the worker's own logs go through its execution role, scoped to its log group). "
            "The cluster actions are scoped to this cluster by CDK; tests/cdk/test_checks.py fails on any other "
            "action on *.",
        )
        return ecs.Ec2Service(
            self,
            "GpuService",
            # Named, so the fast lane's router can be told where to look without a reference to it.
            service_name=self.config.names.worker_service,
            cluster=self.cluster,
            task_definition=self.task_definition,  # type: ignore[arg-type]
            **DEPLOYMENT,
            capacity_provider_strategies=strategies,
            placement_strategies=[ecs.PlacementStrategy.packed_by_memory()],
        )

    def _fargate_service(self) -> ecs.FargateService:
        config = self.config
        strategies = [ecs.CapacityProviderStrategy(capacity_provider="FARGATE", weight=max(config.onDemandWeight, 1))]
        if config.gpuSpot:
            strategies.insert(
                0, ecs.CapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=config.spotWeight)
            )
        return ecs.FargateService(
            self,
            "CpuService",
            # Named, so the fast lane's router can be told where to look without a reference to it.
            service_name=self.config.names.worker_service,
            cluster=self.cluster,
            task_definition=self.task_definition,  # type: ignore[arg-type]
            **DEPLOYMENT,
            capacity_provider_strategies=strategies,
            vpc_subnets=self.subnets,
            security_groups=[self.security_group],
            assign_public_ip=not config.natGateways,
        )

    # -- scaling ---------------------------------------------------------------------

    def _scaling(self, queues: tuple[sqs.IQueue, ...]) -> None:
        config = self.config
        target = appscaling.ScalableTarget(
            self,
            "WorkerScaling",
            service_namespace=appscaling.ServiceNamespace.ECS,
            resource_id=f"service/{self.cluster.cluster_name}/{self.service.service_name}",
            scalable_dimension="ecs:service:DesiredCount",
            min_capacity=0,
            max_capacity=config.maxWorkers,
        )
        target.node.add_dependency(self.service)
        period = Duration.minutes(1)
        # Every priority queue counts: work of any priority needs a worker.
        visible = {
            f"waiting{i}": q.metric_approximate_number_of_messages_visible(period=period, statistic="Maximum")
            for i, q in enumerate(queues)
        }
        hidden = {
            f"in_flight{i}": q.metric_approximate_number_of_messages_not_visible(period=period, statistic="Maximum")
            for i, q in enumerate(queues)
        }
        backlog = cloudwatch.MathExpression(
            expression=" + ".join([*visible, *hidden]),
            using_metrics={**visible, **hidden},
            period=period,
            label="Messages waiting or being transcribed",
        )

        # Exactly the workers the work needs: ceil((waiting + in flight) / messagesPerWorker), up to
        # maxWorkers. EXACT_CAPACITY, not "add k": while a GPU boots the alarm stays in ALARM and the
        # policy fires again, which with an additive step launched a second and third instance for the
        # same job. Down to a smaller fleet too (partial scale-in): busy workers hold ECS task
        # scale-in protection (the worker sets it per job), so only idle ones are stopped.
        scale = appscaling.StepScalingAction(
            self,
            "ScaleToBacklog",
            scaling_target=target,
            adjustment_type=appscaling.AdjustmentType.EXACT_CAPACITY,
            cooldown=Duration.minutes(2),
            metric_aggregation_type=appscaling.MetricAggregationType.MAXIMUM,
        )
        per = config.messagesPerWorker
        for k in range(1, config.maxWorkers + 1):
            # The alarm's threshold is 1 (bounds are relative to it): backlog in [1 + (k-1)*per, 1 + k*per).
            scale.add_adjustment(
                adjustment=k,
                lower_bound=(k - 1) * per,
                upper_bound=None if k == config.maxWorkers else k * per,
            )
        out_alarm = cloudwatch.Alarm(
            self,
            "MessagesWaiting",
            alarm_description="Transcriptions are waiting or being worked on: as many workers as they need.",
            metric=backlog,
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        out_alarm.add_alarm_action(cw_actions.ApplicationScalingAction(scale))

        # In: to zero only, after the queue has had nothing waiting or in flight for a while.
        scale_in = appscaling.StepScalingAction(
            self,
            "ScaleToZero",
            scaling_target=target,
            adjustment_type=appscaling.AdjustmentType.EXACT_CAPACITY,
            cooldown=Duration.minutes(1),
            metric_aggregation_type=appscaling.MetricAggregationType.MAXIMUM,
        )
        scale_in.add_adjustment(adjustment=0, upper_bound=0)
        in_alarm = cloudwatch.Alarm(
            self,
            "QueueIdle",
            alarm_description="Nothing waiting or being transcribed: scale the workers to zero.",
            metric=backlog,
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=config.scaleToZeroAfterMinutes,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )
        in_alarm.add_alarm_action(cw_actions.ApplicationScalingAction(scale_in))
        self.backlog = backlog
        self.scalable_target = target
