"""What matters in the synthesized template, checked with aws_cdk.assertions."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk.assertions import Match

from tests import paths
from tests.cdk.conftest import ROOT, Synth
from tests.cdk.resolve import resolve
from ytcaption import resources
from ytcaption.local import statemachine


def _statements(synth: Synth, role_logical_id: str) -> list[dict[str, Any]]:
    """Every statement of the inline policies attached to a role."""
    out = []
    for policy in synth.resources("AWS::IAM::Policy").values():
        roles = policy["Properties"].get("Roles", [])
        if {"Ref": role_logical_id} in roles:
            out += policy["Properties"]["PolicyDocument"]["Statement"]
    return out


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else action


def _resources(statement: dict[str, Any]) -> list[Any]:
    res = statement["Resource"]
    return res if isinstance(res, list) else [res]


def _role_of_function(synth: Synth, function_name: str) -> str:
    for function in synth.resources("AWS::Lambda::Function").values():
        if function["Properties"].get("FunctionName") == function_name:
            return str(function["Properties"]["Role"]["Fn::GetAtt"][0])
    raise AssertionError(f"no function {function_name}")


def _logical_id(synth: Synth, type_: str, **properties: Any) -> str:
    for key, value in synth.resources(type_).items():
        if all(value["Properties"].get(k) == v for k, v in properties.items()):
            return key
    raise AssertionError(f"no {type_} with {properties}")


def _allowed(synth: Synth, role: str) -> dict[str, list[Any]]:
    allowed: dict[str, list[Any]] = {}
    for statement in _statements(synth, role):
        assert statement["Effect"] == "Allow"
        for action in _actions(statement):
            allowed.setdefault(action, []).extend(_resources(statement))
    return allowed


# -- storage ----------------------------------------------------------------------


def test_media_bucket_is_encrypted_private_tls_only_versioned_with_lifecycle(gpu: Synth) -> None:
    gpu.assertions.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketName": {"Fn::Join": ["", Match.array_with([f"{resources.BUCKET}-"])]},
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "VersioningConfiguration": {"Status": "Enabled"},
            "LifecycleConfiguration": {
                "Rules": Match.array_with(
                    [
                        Match.object_like({"Prefix": resources.UPLOADS_PREFIX, "ExpirationInDays": 7}),
                        Match.object_like({"Prefix": resources.AUDIO_PREFIX, "ExpirationInDays": 7}),
                        Match.object_like({"Prefix": resources.RESULTS_PREFIX, "ExpirationInDays": 365}),
                    ]
                )
            },
            "LoggingConfiguration": Match.any_value(),
            # The web page's uploads (presigned POST from the browser) and its reads of large results (a
            # presigned GET, sent without the key), and nothing else cross-origin.
            "CorsConfiguration": {
                "CorsRules": [{"AllowedMethods": ["GET", "POST"], "AllowedOrigins": ["*"], "MaxAge": 3600}]
            },
        },
    )
    # TLS only: a Deny on aws:SecureTransport=false in the bucket policy.
    gpu.assertions.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                )
            }
        },
    )


def test_uploads_start_jobs_through_the_intake_queue_like_the_local_runtime(gpu: Synth) -> None:
    _, notification = gpu.one("Custom::S3BucketNotifications")
    (config,) = notification["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    assert config["Events"] == ["s3:ObjectCreated:*"]
    assert config["Filter"] == {"Key": {"FilterRules": [{"Name": "prefix", "Value": resources.UPLOADS_PREFIX}]}}
    queue = _logical_id(gpu, "AWS::SQS::Queue", QueueName=resources.INTAKE_QUEUE)
    assert config["QueueArn"] == {"Fn::GetAtt": [queue, "Arn"]}
    intake = _logical_id(gpu, "AWS::Lambda::Function", FunctionName=resources.lambda_spec("intake").function_name)
    gpu.assertions.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "FunctionName": {"Ref": intake},
            "EventSourceArn": {"Fn::GetAtt": [queue, "Arn"]},
            "BatchSize": resources.INTAKE_BATCH_SIZE,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        },
    )


def test_jobs_table_on_demand_pitr_ttl_gsi_deletion_protection(gpu: Synth) -> None:
    gpu.assertions.has_resource(
        "AWS::DynamoDB::Table",
        {
            "Properties": Match.object_like(
                {
                    "TableName": resources.TABLE,
                    "BillingMode": "PAY_PER_REQUEST",
                    "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                    "TimeToLiveSpecification": {"AttributeName": resources.TABLE_TTL_ATTRIBUTE, "Enabled": True},
                    "DeletionProtectionEnabled": True,
                    "SSESpecification": {"SSEEnabled": True},
                    "GlobalSecondaryIndexes": [
                        Match.object_like(
                            {"IndexName": resources.TABLE_GSI_TENANT, "Projection": {"ProjectionType": "ALL"}}
                        )
                    ],
                }
            ),
            "DeletionPolicy": "Retain",
        },
    )


def _jobs_table(synth: Synth) -> dict[str, Any]:
    """The jobs table (the one with the by-tenant index; the other is the live-updates connections table)."""
    (table,) = [
        t for t in synth.resources("AWS::DynamoDB::Table").values() if "GlobalSecondaryIndexes" in t["Properties"]
    ]
    return table


def _data_stores(synth: Synth) -> list[dict[str, Any]]:
    return [*synth.resources("AWS::S3::Bucket").values(), _jobs_table(synth)]


def test_data_is_retained_and_protected_by_default(gpu: Synth) -> None:
    stores = _data_stores(gpu)
    assert len(stores) == 3, "media bucket, access-log bucket, jobs table"
    assert all(r["DeletionPolicy"] == r["UpdateReplacePolicy"] == "Retain" for r in stores)
    assert _jobs_table(gpu)["Properties"]["DeletionProtectionEnabled"] is True
    assert not gpu.resources("Custom::S3AutoDeleteObjects")


def test_only_data_and_the_account_wide_api_gateway_setting_outlive_the_stack(gpu: Synth) -> None:
    retained = {r["Type"] for r in gpu.template["Resources"].values() if r.get("DeletionPolicy") == "Retain"}
    assert retained == {"AWS::S3::Bucket", "AWS::DynamoDB::Table", "AWS::IAM::Role", "AWS::ApiGateway::Account"}
    _, key = gpu.one("AWS::KMS::Key")
    assert key["DeletionPolicy"] == "Delete" and key["Properties"]["PendingWindowInDays"] == 7


def test_retain_data_false_deletes_buckets_and_table_with_the_stack(alt: Synth) -> None:
    stores = _data_stores(alt)
    assert all(r["DeletionPolicy"] == "Delete" for r in stores)
    assert _jobs_table(alt)["Properties"]["DeletionProtectionEnabled"] is False
    emptied = {json.dumps(r["Properties"]["BucketName"]) for r in alt.resources("Custom::S3AutoDeleteObjects").values()}
    assert emptied == {json.dumps({"Ref": k}) for k in alt.resources("AWS::S3::Bucket")}, "emptied before deletion"


@pytest.mark.parametrize("variant", ["gpu", "alt"])
def test_what_a_redeploy_after_a_stack_deletion_meets(variant: str, request: pytest.FixtureRequest) -> None:
    """The fixed names a new stack of the same prefix reuses, kept or deleted under each retainData
    setting; docs/operate/teardown.md says what to do about the kept ones, by these names."""
    synth: Synth = request.getfixturevalue(variant)
    prefix, retain = ("ytc2", False) if variant == "alt" else (resources.PREFIX, True)
    fixed = {
        resolve(synth.template, r["Properties"]["BucketName"]): r
        for r in synth.resources("AWS::S3::Bucket").values()
        if "BucketName" in r["Properties"]
    }
    fixed[_jobs_table(synth)["Properties"]["TableName"]] = _jobs_table(synth)
    # The access-log bucket's name is made up by CloudFormation: it never collides.
    assert set(fixed) == {f"{prefix}-media-123456789012-us-east-1", f"{prefix}-jobs"}
    assert {r["DeletionPolicy"] for r in fixed.values()} == {"Retain" if retain else "Delete"}
    (connections,) = [t for t in synth.resources("AWS::DynamoDB::Table").values() if t is not _jobs_table(synth)]
    assert connections["DeletionPolicy"] == "Delete", "never kept: nothing in it outlives its connection"
    teardown = (ROOT / "docs" / "operate" / "teardown.md").read_text()
    for command in (
        f"aws dynamodb update-table --table-name {resources.TABLE} --no-deletion-protection-enabled",
        f"aws dynamodb delete-table --table-name {resources.TABLE}",
        f"aws s3 rb s3://{resources.PREFIX}-media-<account>-<region>",
        "-c retainData=false",
        "-c namePrefix=",
    ):
        assert command in teardown, command


@pytest.mark.parametrize("variant", ["gpu", "alt"])
def test_scale_in_never_picks_a_busy_gpu_and_a_stack_deletion_lifts_the_protection(
    variant: str, request: pytest.FixtureRequest
) -> None:
    synth: Synth = request.getfixturevalue(variant)
    providers = synth.resources("AWS::ECS::CapacityProvider")
    groups = synth.resources("AWS::AutoScaling::AutoScalingGroup")
    assert providers and len(providers) == len(groups)
    releases = synth.resources("Custom::ScaleInProtectionRelease")
    for provider in providers.values():
        settings = provider["Properties"]["AutoScalingGroupProvider"]
        # ECS protects instances with tasks; the group removes only unprotected (idle) ones.
        assert settings["ManagedTerminationProtection"] == "ENABLED"
        assert settings["ManagedScaling"]["Status"] == "ENABLED", "termination protection needs managed scaling"
        assert settings["ManagedDraining"] == "ENABLED", "Spot reclaim and instance refresh still drain (SIGTERM)"
        group_id = settings["AutoScalingGroupArn"]["Ref"]
        assert groups[group_id]["Properties"]["NewInstancesProtectedFromScaleIn"] is True, "as ECS requires"
        # Deleted after the provider and before the group: lifts the protection the provider leaves behind.
        (release,) = [k for k, r in releases.items() if r["Properties"]["AutoScalingGroupName"] == {"Ref": group_id}]
        assert release in provider["DependsOn"]
    assert len(releases) == len(groups)
    (release_role,) = {
        f["Properties"]["Role"]["Fn::GetAtt"][0]
        for f in synth.resources("AWS::Lambda::Function").values()
        if "set_instance_protection" in json.dumps(f["Properties"]["Code"])
    }
    allowed = _allowed(synth, release_role)
    assert set(allowed) == {
        "logs:CreateLogStream", "logs:PutLogEvents", "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:SetInstanceProtection",
    }  # fmt: skip
    assert allowed["autoscaling:DescribeAutoScalingGroups"] == ["*"], "no resource-level permissions"
    named = json.dumps(allowed["autoscaling:SetInstanceProtection"])
    assert all(json.dumps({"Ref": group_id}) in named for group_id in groups)


@pytest.mark.parametrize("variant", ["gpu", "fargate"])
def test_a_new_worker_image_rolls_out_beside_busy_workers(variant: str, request: pytest.FixtureRequest) -> None:
    synth: Synth = request.getfixturevalue(variant)
    _, service = synth.one("AWS::ECS::Service")
    deployment = service["Properties"]["DeploymentConfiguration"]
    # New tasks start beside the old (at most twice the count); idle old ones may all stop at once;
    # busy ones keep their task protection until their job ends (its time limit bounds the wait).
    assert deployment["MaximumPercent"] == 200 and deployment["MinimumHealthyPercent"] == 0
    assert deployment["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}


# -- queue and state machine ----------------------------------------------------------


def test_queue_has_dead_letter_queue_with_redrive_and_alarm(gpu: Synth) -> None:
    queues = gpu.resources("AWS::SQS::Queue")
    by_name = {q["Properties"]["QueueName"]: (k, q["Properties"]) for k, q in queues.items()}
    dlq_id, _ = by_name[resources.DLQ]
    _, queue = by_name[resources.QUEUE]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": resources.QUEUE_MAX_RECEIVES,
    }
    assert queue["VisibilityTimeout"] == resources.QUEUE_VISIBILITY_SECONDS > resources.HEARTBEAT_SECONDS
    assert all(q["Properties"]["SqsManagedSseEnabled"] for q in queues.values())
    gpu.assertions.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq_id, "QueueName"]}}],
            "Threshold": 1,
            "AlarmActions": [Match.any_value()],
        },
    )


def _assert_depth_alarmed(synth: Synth, queue_id: str) -> None:
    """A message in the queue alarms at once, to the alarm topic."""
    topic_id, _ = synth.one("AWS::SNS::Topic")
    synth.assertions.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}],
            "Threshold": 1,
            "AlarmActions": [{"Ref": topic_id}],
        },
    )


def test_a_failed_intake_keeps_the_upload_event_in_an_alarmed_queue(gpu: Synth) -> None:
    intake_queue = gpu.template["Resources"][_logical_id(gpu, "AWS::SQS::Queue", QueueName=resources.INTAKE_QUEUE)]
    redrive = intake_queue["Properties"]["RedrivePolicy"]
    assert redrive["maxReceiveCount"] == resources.INTAKE_MAX_RECEIVES
    assert intake_queue["Properties"]["VisibilityTimeout"] == resources.INTAKE_VISIBILITY_SECONDS
    queue_id = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
    queue = gpu.template["Resources"][queue_id]
    assert queue["Properties"]["QueueName"] == resources.INTAKE_DLQ
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    policies = [p["Properties"] for p in gpu.resources("AWS::SQS::QueuePolicy").values()]
    assert any(
        {"Ref": queue_id} in p["Queues"]
        and {"Bool": {"aws:SecureTransport": "false"}} in [s.get("Condition") for s in p["PolicyDocument"]["Statement"]]
        for p in policies
    ), "TLS only"
    _assert_depth_alarmed(gpu, queue_id)


def test_state_machine_is_the_asl_file_with_every_placeholder_substituted(gpu: Synth) -> None:
    _, machine = gpu.one("AWS::StepFunctions::StateMachine")
    props = machine["Properties"]
    assert props["StateMachineName"] == resources.STATE_MACHINE
    assert props["StateMachineType"] == "STANDARD"
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    asl = paths.ASL_PATH.read_text()
    assert json.loads(props["DefinitionString"]) == json.loads(asl), "the ASL file is loaded inline, unchanged"
    wanted = statemachine.placeholders(asl)
    assert wanted, "the ASL file has ${Placeholders}"
    assert set(props["DefinitionSubstitutions"]) == wanted


def test_state_machine_role_may_invoke_only_its_steps(gpu: Synth) -> None:
    _, machine = gpu.one("AWS::StepFunctions::StateMachine")
    allowed = _allowed(gpu, machine["Properties"]["RoleArn"]["Fn::GetAtt"][0])
    steps = {
        _logical_id(gpu, "AWS::Lambda::Function", FunctionName=spec.function_name)
        for spec in resources.LAMBDAS
        if spec.in_state_machine
    }
    invoked = {r["Fn::GetAtt"][0] for r in allowed["lambda:InvokeFunction"]}
    assert invoked == steps
    # The three priority queues, nothing else.
    queues = {_logical_id(gpu, "AWS::SQS::Queue", QueueName=name)
              for name in (resources.QUEUE, resources.QUEUE_HIGH, resources.QUEUE_LOW)}  # fmt: skip
    assert {r["Fn::GetAtt"][0] for r in allowed["sqs:SendMessage"]} == queues


# -- Lambdas -----------------------------------------------------------------------------


def test_every_lambda_is_arm64_python312_with_layers_tracing_and_its_own_role(gpu: Synth) -> None:
    functions = {
        f["Properties"]["FunctionName"]: f["Properties"]
        for f in gpu.resources("AWS::Lambda::Function").values()
        if str(f["Properties"].get("FunctionName", "")).startswith(resources.PREFIX)
    }
    assert set(functions) == {spec.function_name for spec in resources.LAMBDAS}
    roles = set()
    for spec in resources.LAMBDAS:
        props = functions[spec.function_name]
        roles.add(props["Role"]["Fn::GetAtt"][0])
        assert props["TracingConfig"] == {"Mode": "Active"}
        if spec.image:
            continue  # the fast lane's image function: test_the_fast_lane_is_an_image_function_sized_from_context
        assert props["Architectures"] == ["arm64"]
        assert props["Runtime"] == "python3.12"
        assert props["Handler"] == spec.handler
        assert props["Timeout"] == spec.timeout_seconds
        assert props["MemorySize"] == spec.memory_mb
        assert len(props["Layers"]) == 2 + len(spec.extra_layers)
    assert len(roles) == len(resources.LAMBDAS), "each function has a role of its own"


def test_no_lambda_role_has_wildcard_actions_or_managed_policies(gpu: Synth) -> None:
    for spec in resources.LAMBDAS:
        role = _role_of_function(gpu, spec.function_name)
        assert "ManagedPolicyArns" not in gpu.template["Resources"][role]["Properties"]
        for action in _allowed(gpu, role):
            assert "*" not in action.split(":")[1] or action.startswith("xray:"), (spec.name, action)


def test_intake_may_start_only_this_state_machine(gpu: Synth) -> None:
    allowed = _allowed(gpu, _role_of_function(gpu, resources.lambda_spec("intake").function_name))
    (arn,) = allowed["states:StartExecution"]
    assert f"stateMachine:{resources.STATE_MACHINE}" in json.dumps(arn)
    assert not any(a.startswith("s3:") for a in allowed), "intake reads the event, not the object"


def test_notify_may_only_use_the_jobs_table_and_put_events_on_the_default_bus(gpu: Synth) -> None:
    allowed = _allowed(gpu, _role_of_function(gpu, resources.lambda_spec("notify").function_name))
    assert {a for a in allowed if not a.startswith(("logs:", "xray:"))} == {
        "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query", "events:PutEvents"
    }  # fmt: skip
    assert "event-bus/default" in json.dumps(allowed["events:PutEvents"])
    assert not any(a.startswith(("s3:", "states:", "sqs:")) for a in allowed)


def test_fetch_audio_has_room_in_tmp_for_downloads(gpu: Synth) -> None:
    _, props = next(
        (rid, r["Properties"]) for rid, r in gpu.template["Resources"].items()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"].get("FunctionName") == "ytcaption-fetch-audio"
    )  # fmt: skip
    assert props["EphemeralStorage"] == {"Size": resources.lambda_spec("fetch-audio").ephemeral_storage_mb}


def test_every_known_lambda_has_a_permission_entry() -> None:
    from ytcaption_cdk.pipeline import PERMISSIONS

    missing = [spec.name for spec in resources.LAMBDAS if spec.name not in PERMISSIONS]
    assert not missing, f"decide what these functions may do in cdk/ytcaption_cdk/pipeline.py: {missing}"


# -- workers -------------------------------------------------------------------------------


def _worker_role(synth: Synth) -> str:
    _, task = synth.one("AWS::ECS::TaskDefinition")
    return str(task["Properties"]["TaskRoleArn"]["Fn::GetAtt"][0])


def test_worker_may_only_answer_tasks_of_this_state_machine_and_touch_its_prefixes(gpu: Synth) -> None:
    allowed = _allowed(gpu, _worker_role(gpu))
    machine_id, _ = gpu.one("AWS::StepFunctions::StateMachine")
    for action in ("states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"):
        assert allowed[action] == [{"Ref": machine_id}], action
    assert not [a for a in allowed if a.startswith("states:") and not a.startswith("states:SendTask")]

    def prefixes(action: str) -> set[str]:
        # {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, "/audio/*"]]} -> "audio/*"
        return {r["Fn::Join"][1][-1].lstrip("/") for r in allowed[action]}

    # results/: a long file's chunk transcripts are read back to be merged.
    assert prefixes("s3:GetObject") == {
        f"{resources.AUDIO_PREFIX}*",
        f"{resources.UPLOADS_PREFIX}*",
        f"{resources.RESULTS_PREFIX}*",
    }
    assert prefixes("s3:PutObject") == {f"{resources.RESULTS_PREFIX}*"}
    # ListBucket on the bucket itself (no object): a chunk result not written yet answers HeadObject 404
    # rather than 403, and the last chunk lists the job's chunk results at once.
    bucket_arn = allowed["s3:GetObject"][0]["Fn::Join"][1][0]  # the media bucket's {"Fn::GetAtt": [id, "Arn"]}
    assert allowed["s3:ListBucket"] == [bucket_arn]
    s3_actions = {"s3:GetObject", "s3:PutObject", "s3:ListBucket"}
    assert not [a for a in allowed if a.startswith("s3:") and a not in s3_actions]
    table_id = _logical_id(gpu, "AWS::DynamoDB::Table", TableName=resources.TABLE)
    # Query and ConditionCheckItem: the chunk items of long audio (leased while the job is TRANSCRIBING).
    for action in ("dynamodb:UpdateItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query",
                   "dynamodb:ConditionCheckItem"):  # fmt: skip
        assert allowed[action] == [{"Fn::GetAtt": [table_id, "Arn"]}]
    assert not [
        a for a in allowed if a.startswith("dynamodb:") and a.split(":")[1] in {"DeleteItem", "Scan", "DeleteTable"}
    ]


def test_gpu_workers_scale_from_zero_on_the_queue_and_back_to_zero(gpu: Synth) -> None:
    _, service = gpu.one("AWS::ECS::Service")
    assert "DesiredCount" not in service["Properties"], "a deploy must not reset the autoscaled count"
    strategy = service["Properties"]["CapacityProviderStrategy"]
    assert len(strategy) == 2 and strategy[0]["Weight"] > strategy[1]["Weight"], "Spot first"
    gpu.assertions.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        {"MinCapacity": 0, "MaxCapacity": 4, "ScalableDimension": "ecs:service:DesiredCount"},
    )
    gpu.assertions.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "StepScalingPolicyConfiguration": Match.object_like(
                {
                    "AdjustmentType": "ExactCapacity",
                    "StepAdjustments": [{"MetricIntervalUpperBound": 0, "ScalingAdjustment": 0}],
                }
            )
        },
    )
    # To the backlog, exactly: ceil((waiting + in flight) / messagesPerWorker) workers, never "add k".
    policies = [p["Properties"] for p in gpu.resources("AWS::ApplicationAutoScaling::ScalingPolicy").values()]
    (to_backlog,) = [p for p in policies if "Backlog" in p["PolicyName"]]
    steps = to_backlog["StepScalingPolicyConfiguration"]
    assert steps["AdjustmentType"] == "ExactCapacity"
    per = 2  # messagesPerWorker
    for backlog in range(1, 12):
        k = next(
            s["ScalingAdjustment"]
            for s in steps["StepAdjustments"]
            if s.get("MetricIntervalLowerBound", 0) <= backlog - 1 < s.get("MetricIntervalUpperBound", float("inf"))
        )
        assert k == min(4, -(-backlog // per)), backlog
    assert not [p for p in policies if p["StepScalingPolicyConfiguration"]["AdjustmentType"] == "ChangeInCapacity"]
    # Busy workers hold task scale-in protection (through the agent, with the task's role).
    allowed = _allowed(gpu, _worker_role(gpu))
    assert "ecs:UpdateTaskProtection" in allowed
    groups = gpu.resources("AWS::AutoScaling::AutoScalingGroup").values()
    assert all(g["Properties"]["MinSize"] == "0" for g in groups)
    spot = [
        g
        for g in groups
        if g["Properties"]["MixedInstancesPolicy"]["InstancesDistribution"]["OnDemandPercentageAboveBaseCapacity"] == 0
    ]
    assert len(spot) == 1
    _, task = gpu.one("AWS::ECS::TaskDefinition")
    (container,) = task["Properties"]["ContainerDefinitions"]
    assert container["ResourceRequirements"] == [{"Type": "GPU", "Value": "1"}]
    assert container["StopTimeout"] == 120, "time to hand an unfinished message back on SIGTERM"
    env = {e["Name"]: e["Value"] for e in container["Environment"]}
    assert env["YTC_QUEUE_NAME"] and env["YTC_TABLE"] and env["YTC_BUCKET"] and env["YTC_STATE_MACHINE"]


def _user_data(synth: Synth) -> str:
    _, template = synth.one("AWS::EC2::LaunchTemplate")
    return json.dumps(template["Properties"]["LaunchTemplateData"]["UserData"])


def test_gpu_instances_drain_on_spot_interruption(gpu: Synth, alt: Synth) -> None:
    user_data = _user_data(gpu)
    assert "ECS_ENABLE_SPOT_INSTANCE_DRAINING=true >> /etc/ecs/ecs.config" in user_data
    assert "ECS_CLUSTER=" in user_data
    assert "SPOT_INSTANCE_DRAINING" not in _user_data(alt), "gpuSpot=false: on-demand only"


def test_containers_cannot_reach_the_instance_role(gpu: Synth) -> None:
    _, template = gpu.one("AWS::EC2::LaunchTemplate")
    options = template["Properties"]["LaunchTemplateData"]["MetadataOptions"]
    assert options["HttpTokens"] == "required"
    assert options["HttpPutResponseHopLimit"] == 1
    assert options.get("HttpEndpoint", "enabled") == "enabled"
    _, task = gpu.one("AWS::ECS::TaskDefinition")
    assert task["Properties"]["NetworkMode"] == "bridge", "the hop limit is what guards bridge-mode containers"


@pytest.mark.parametrize("variant", ["gpu", "fargate"])
def test_service_waits_for_the_capacity_provider_association(variant: str, request: pytest.FixtureRequest) -> None:
    synth: Synth = request.getfixturevalue(variant)
    association, _ = synth.one("AWS::ECS::ClusterCapacityProviderAssociations")
    _, service = synth.one("AWS::ECS::Service")
    assert association in service.get("DependsOn", [])


def test_fargate_option_runs_cpu_workers_spot_first_scaled_to_zero(fargate: Synth) -> None:
    _, service = fargate.one("AWS::ECS::Service")
    assert "DesiredCount" not in service["Properties"], "a deploy must not reset the autoscaled count"
    providers = [s["CapacityProvider"] for s in service["Properties"]["CapacityProviderStrategy"]]
    assert providers == ["FARGATE_SPOT", "FARGATE"]
    assert not fargate.resources("AWS::AutoScaling::AutoScalingGroup")
    fargate.assertions.has_resource_properties(
        "AWS::ECS::TaskDefinition", {"RequiresCompatibilities": ["FARGATE"], "Cpu": "2048", "Memory": "4096"}
    )
    fargate.assertions.has_resource_properties("AWS::ApplicationAutoScaling::ScalableTarget", {"MinCapacity": 0})
    assert fargate.resources("AWS::EC2::NatGateway"), "natGateways=1 puts workers in private subnets"


# -- names -------------------------------------------------------------------------------------


def _name_settings() -> set[str]:
    """The settings that hold a resource name (their defaults are the default prefix's names)."""
    from ytcaption.settings import Settings

    names = resources.names()
    defaults = {
        names.bucket, names.table, names.queue, names.queue_high, names.queue_low, names.dlq, names.state_machine,
        names.connections_table,
    }  # fmt: skip
    return {name for name, field in Settings.model_fields.items() if field.default in defaults}


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    return []


def test_names_derive_from_the_prefix_and_default_to_the_local_ones() -> None:
    default = resources.names()
    assert (default.bucket, default.table, default.queue, default.dlq, default.state_machine) == (
        resources.BUCKET, resources.TABLE, resources.QUEUE, resources.DLQ, resources.STATE_MACHINE
    )  # fmt: skip
    assert all(default.function(spec.name) == spec.function_name for spec in resources.LAMBDAS)
    assert resources.lambda_environment() == resources.lambda_environment(default)
    other = resources.names("ytc2")
    assert other.table == "ytc2-jobs" and other.function("api") == "ytc2-api"
    assert _name_settings() == {
        "bucket", "table", "queue_name", "queue_name_high", "queue_name_low", "dlq_name", "state_machine",
        "connections_table",
    }  # fmt: skip


def test_another_name_prefix_is_another_stack_with_names_of_its_own(alt: Synth, gpu: Synth) -> None:
    assert gpu.stack.stack_name == "YTCaption" and alt.stack.stack_name == "YTCaption-ytc2"
    found = [s for s in _strings(alt.template["Resources"]) if f"{resources.PREFIX}-" in s]
    assert not found, found
    for type_, key in (
        ("AWS::DynamoDB::Table", "TableName"),
        ("AWS::SQS::Queue", "QueueName"),
        ("AWS::Lambda::Function", "FunctionName"),
        ("AWS::StepFunctions::StateMachine", "StateMachineName"),
        ("AWS::SNS::Topic", "TopicName"),
        ("AWS::CloudWatch::Dashboard", "DashboardName"),
        ("AWS::ApiGateway::RestApi", "Name"),
        ("AWS::ApiGatewayV2::Api", "Name"),
    ):
        named = [r["Properties"][key] for r in alt.resources(type_).values() if key in r["Properties"]]
        assert named and all(n.startswith("ytc2-") for n in named), (type_, named)
    (bucket,) = [resolve(alt.template, {"Ref": k}) for k in alt.resources("AWS::S3::Bucket") if "Media" in k]
    assert bucket.startswith("ytc2-media-")


@pytest.mark.parametrize("variant", ["gpu", "alt"])
def test_every_function_and_worker_gets_every_name_from_the_environment(
    variant: str, request: pytest.FixtureRequest
) -> None:
    synth: Synth = request.getfixturevalue(variant)
    template = synth.template
    by_name = {q["Properties"]["QueueName"]: q["Properties"] for q in synth.resources("AWS::SQS::Queue").values()}
    (queue,) = [n for n in by_name if n.endswith("-transcribe")]
    (queue_high,) = [n for n in by_name if n.endswith("-transcribe-high")]
    (queue_low,) = [n for n in by_name if n.endswith("-transcribe-low")]
    (dlq,) = [n for n, q in by_name.items() if n.endswith("-transcribe-dlq")]
    (media,) = [k for k in synth.resources("AWS::S3::Bucket") if "Media" in k]
    expected = {
        "YTC_BUCKET": resolve(template, {"Ref": media}),
        "YTC_TABLE": _jobs_table(synth)["Properties"]["TableName"],
        "YTC_CONNECTIONS_TABLE": next(
            t["Properties"]["TableName"]
            for t in synth.resources("AWS::DynamoDB::Table").values()
            if t["Properties"]["TableName"].endswith("-connections")
        ),
        "YTC_QUEUE_NAME": queue,
        "YTC_QUEUE_NAME_HIGH": queue_high,
        "YTC_QUEUE_NAME_LOW": queue_low,
        "YTC_DLQ_NAME": dlq,
        "YTC_STATE_MACHINE": synth.one("AWS::StepFunctions::StateMachine")[1]["Properties"]["StateMachineName"],
    }
    assert set(expected) == {f"YTC_{name.upper()}" for name in _name_settings()}
    environments = {
        f["Properties"]["FunctionName"]: f["Properties"]["Environment"]["Variables"]
        for f in synth.resources("AWS::Lambda::Function").values()
        if "FunctionName" in f["Properties"]
    }
    assert len(environments) == len(resources.LAMBDAS)
    _, task = synth.one("AWS::ECS::TaskDefinition")
    (container,) = task["Properties"]["ContainerDefinitions"]
    environments["worker"] = {e["Name"]: e["Value"] for e in container["Environment"]}
    for owner, variables in environments.items():
        got = {key: resolve(template, variables.get(key)) for key in expected}
        assert got == expected, owner


# -- partition -------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["gpu", "fargate", "alt"])
def test_no_arn_assumes_the_aws_partition(variant: str, request: pytest.FixtureRequest) -> None:
    """ARNs are built with AWS::Partition (GovCloud, China). The one exception is the ASL file's
    own service-integration ARNs (arn:aws:states:::lambda:invoke ...), which the CDK app loads
    unchanged; the ASL's owners would need a partition placeholder for those."""
    synth: Synth = request.getfixturevalue(variant)
    resources_ = dict(synth.template["Resources"])
    machine_id, machine = synth.one("AWS::StepFunctions::StateMachine")
    properties = {k: v for k, v in machine["Properties"].items() if k != "DefinitionString"}
    resources_[machine_id] = {**machine, "Properties": properties}
    found = [s for s in _strings(resources_) + _strings(synth.template.get("Outputs", {})) if "arn:aws:" in s]
    assert not found, found
    asl = machine["Properties"]["DefinitionString"]
    assert set(re.findall(r"arn:aws:[a-z0-9-]*:[^\"]*", asl)) <= {
        "arn:aws:states:::lambda:invoke", "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "arn:aws:states:::dynamodb:updateItem", "arn:aws:states:::dynamodb:putItem",
        "arn:aws:states:::dynamodb:getItem", "arn:aws:states:::events:putEvents",
    }  # fmt: skip
    sources = [p for p in (ROOT / "cdk").rglob("*.py") if "node_modules" not in p.parts]
    assert sources and not [p for p in sources if "arn:aws:" in p.read_text()]


# -- API, alarms, dashboard ---------------------------------------------------------------------


@pytest.mark.skipif(not any(s.name == "api" for s in resources.LAMBDAS), reason="no `api` Lambda yet")
def test_api_gateway_takes_tenant_keys_and_leaves_health_and_docs_open(gpu: Synth) -> None:
    """Clients send the key `ytcaption keys create` printed; no API Gateway key is needed from them."""
    api_fn = _logical_id(gpu, "AWS::Lambda::Function", FunctionName=resources.lambda_spec("api").function_name)
    authorizer_fn = _logical_id(
        gpu, "AWS::Lambda::Function", FunctionName=resources.lambda_spec("authorizer").function_name
    )
    (authorizer_id, authorizer) = gpu.one("AWS::ApiGateway::Authorizer")
    assert authorizer["Properties"]["Type"] == "REQUEST"
    assert authorizer["Properties"]["IdentitySource"] == "method.request.header.x-api-key"
    assert authorizer["Properties"]["AuthorizerResultTtlInSeconds"] == 300
    assert authorizer_fn in json.dumps(authorizer["Properties"]["AuthorizerUri"])
    paths = _api_paths(gpu)
    methods = gpu.resources("AWS::ApiGateway::Method").values()
    routes = {(paths[m["Properties"]["ResourceId"].get("Ref", "/")], m["Properties"]["HttpMethod"]): m["Properties"]
              for m in methods}  # fmt: skip
    assert set(routes) == {
        ("/", "ANY"), ("/{proxy+}", "ANY"),
        ("/health/{proxy+}", "GET"), ("/docs", "GET"), ("/openapi.json", "GET"), ("/", "GET"), ("/app/{proxy+}", "GET"),
        ("/audio/{token}", "GET"),
    }  # fmt: skip
    for (path, method), props in routes.items():
        assert props.get("ApiKeyRequired") in (None, False), path
        assert props["Integration"]["Type"] == "AWS_PROXY" and api_fn in json.dumps(props["Integration"]["Uri"])
        if method == "ANY":
            assert props["AuthorizationType"] == "CUSTOM" and props["AuthorizerId"] == {"Ref": authorizer_id}, path
        else:
            assert props["AuthorizationType"] == "NONE", path
    gpu.assertions.resource_count_is("AWS::ApiGateway::UsagePlan", 0)
    gpu.assertions.resource_count_is("AWS::ApiGateway::ApiKey", 0)
    gpu.assertions.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "AccessLogSetting": Match.object_like({"DestinationArn": Match.any_value()}),
            "TracingEnabled": True,
            "MethodSettings": Match.array_with(
                [Match.object_like({"ThrottlingRateLimit": 10, "ThrottlingBurstLimit": 20})]
            ),
        },
    )
    gpu.assertions.has_resource_properties(
        "AWS::ApiGateway::GatewayResponse",
        {"ResponseType": "UNAUTHORIZED", "StatusCode": "401",
         "ResponseParameters": {"gatewayresponse.header.Content-Type": "'application/problem+json'"}},
    )  # fmt: skip
    gpu.assertions.has_resource_properties("AWS::CloudWatch::Alarm", {"MetricName": "5XXError"})


@pytest.mark.skipif(not any(s.name == "api" for s in resources.LAMBDAS), reason="no `api` Lambda yet")
def test_the_web_page_and_its_assets_load_without_a_key(gpu: Synth) -> None:
    """GET / (the page) and GET /app/... (its scripts and styles) skip the authorizer; nothing else does."""
    paths = _api_paths(gpu)
    methods = gpu.resources("AWS::ApiGateway::Method").values()
    open_routes = {
        (paths[m["Properties"]["ResourceId"].get("Ref", "/")], m["Properties"]["HttpMethod"])
        for m in methods
        if m["Properties"]["AuthorizationType"] == "NONE"
    }
    assert {("/", "GET"), ("/app/{proxy+}", "GET")} <= open_routes
    assert all(method == "GET" and not path.startswith("/v1") for path, method in open_routes), open_routes


def test_api_gateway_account_role_is_never_deleted_with_the_stack(gpu: Synth, alt: Synth) -> None:
    # The account-wide setting is shared by every API in the region: created once and retained,
    # never CDK's cloud_watch_role (deleted on teardown), or left to the account (alt).
    (account_id, account), *others = gpu.resources("AWS::ApiGateway::Account").items()
    assert not others
    assert account["DeletionPolicy"] == account["UpdateReplacePolicy"] == "Retain"
    role_id = account["Properties"]["CloudWatchRoleArn"]["Fn::GetAtt"][0]
    role = gpu.template["Resources"][role_id]
    assert role["DeletionPolicy"] == "Retain"
    assert "apigateway.amazonaws.com" in json.dumps(role["Properties"]["AssumeRolePolicyDocument"])
    _, stage = gpu.one("AWS::ApiGateway::Stage")
    assert account_id in stage["DependsOn"], "logging needs the account role first"
    assert not alt.resources("AWS::ApiGateway::Account")
    alt.assertions.has_resource_properties("AWS::ApiGateway::Stage", {"AccessLogSetting": Match.any_value()})


def test_alarms_go_to_an_encrypted_sns_topic(gpu: Synth) -> None:
    topic_id, topic = gpu.one("AWS::SNS::Topic")
    assert "KmsMasterKeyId" in topic["Properties"]
    notifying = [
        a
        for a in gpu.resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("AlarmActions") == [{"Ref": topic_id}]
    ]
    names = {a["Properties"].get("MetricName") for a in notifying}
    names |= {name for a in notifying for name, _ in _alarm_metrics(a)}
    assert {"ApproximateNumberOfMessagesVisible", "ExecutionsFailed", "ApproximateAgeOfOldestMessage"} <= names


def _alarm_metrics(alarm: dict[str, Any]) -> list[tuple[str, Any]]:
    """(metric name, first dimension value) of each metric a math-expression alarm reads."""
    return [
        (m["MetricStat"]["Metric"]["MetricName"], m["MetricStat"]["Metric"]["Dimensions"][0]["Value"])
        for m in alarm["Properties"].get("Metrics", [])
        if "MetricStat" in m
    ]


def _queue_name_ref(synth: Synth, name: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [_logical_id(synth, "AWS::SQS::Queue", QueueName=name), "QueueName"]}


def test_the_queue_age_alarm_watches_every_priority(gpu: Synth) -> None:
    topic_id, _ = gpu.one("AWS::SNS::Topic")
    (alarm,) = [
        a
        for a in gpu.resources("AWS::CloudWatch::Alarm").values()
        if {n for n, _ in _alarm_metrics(a)} == {"ApproximateAgeOfOldestMessage"}
    ]
    props = alarm["Properties"]
    watched = [dimension for _, dimension in _alarm_metrics(alarm)]
    expected = [_queue_name_ref(gpu, q) for q in (resources.QUEUE, resources.QUEUE_HIGH, resources.QUEUE_LOW)]
    assert sorted(map(json.dumps, watched)) == sorted(map(json.dumps, expected))
    (expression,) = [m["Expression"] for m in props["Metrics"] if "Expression" in m]
    assert expression.startswith("MAX(["), "the oldest message of any queue"
    assert props["Threshold"] == 30 * 60 and props["AlarmActions"] == [{"Ref": topic_id}]


def test_eventbridge_targets_keep_undelivered_events_in_an_alarmed_queue(gpu: Synth) -> None:
    dlq_id = _logical_id(gpu, "AWS::SQS::Queue", QueueName=f"{resources.PREFIX}-events-dlq")
    rules = {r["Properties"]["Name"]: r["Properties"] for r in gpu.resources("AWS::Events::Rule").values()}
    for name in ("live", "reconcile-uploads", "execution-ends"):
        (target,) = rules[f"{resources.PREFIX}-{name}"]["Targets"]
        assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [dlq_id, "Arn"]}}, name
        assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 2, name
    # EventBridge may send to it (CDK's queue policy, for these rules only), over TLS only.
    policies = [p["Properties"] for p in gpu.resources("AWS::SQS::QueuePolicy").values()]
    (policy,) = [p for p in policies if {"Ref": dlq_id} in p["Queues"]]
    statements = policy["PolicyDocument"]["Statement"]
    assert any(s.get("Principal") == {"Service": "events.amazonaws.com"} for s in statements)
    assert any(s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}} for s in statements)
    _assert_depth_alarmed(gpu, dlq_id)


def test_cloudwatch_may_publish_to_the_tls_only_alarm_topic(gpu: Synth) -> None:
    topic_id, _ = gpu.one("AWS::SNS::Topic")
    _, policy = gpu.one("AWS::SNS::TopicPolicy")
    assert policy["Properties"]["Topics"] == [{"Ref": topic_id}]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    tls_only = {"Bool": {"aws:SecureTransport": "false"}}
    assert any(s["Effect"] == "Deny" and s["Condition"] == tls_only for s in statements)
    (allow,) = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert allow["Action"] == "sns:Publish"
    assert allow["Resource"] == {"Ref": topic_id}
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    source_arn = json.dumps(allow["Condition"]["ArnLike"]["aws:SourceArn"])
    assert ":cloudwatch:" in source_arn and ":alarm:*" in source_arn and "AWS::Partition" in source_arn


def test_dashboard_shows_jobs_queue_workers_speed_and_errors(gpu: Synth) -> None:
    _, dashboard = gpu.one("AWS::CloudWatch::Dashboard")
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for needle in (
        "ExecutionsSucceeded",
        "ApproximateNumberOfMessagesVisible",
        "RunningTaskCount",
        "RealTimeFactor",
        "Errors",
    ):
        assert needle in body, needle
    gpu.assertions.has_resource_properties(
        "AWS::Logs::MetricFilter", {"MetricTransformations": [Match.object_like({"MetricName": "RealTimeFactor"})]}
    )


def test_without_workers_the_rest_still_synthesizes(tmp_path: object) -> None:
    """`-c deployWorkers=false` (LocalStack without ECS): no cluster, everything else intact."""
    from tests.cdk.conftest import load_app_module

    app = load_app_module().build_app(
        context={"placeholderLayers": True, "deployWorkers": "false"}, outdir=str(tmp_path)
    )
    template = app.synth().get_stack_by_name("YTCaption").template
    types = {r["Type"] for r in template["Resources"].values()}
    assert "AWS::ECS::Service" not in types and "AWS::EC2::VPC" not in types
    assert {"AWS::StepFunctions::StateMachine", "AWS::SQS::Queue", "AWS::DynamoDB::Table"} <= types


def _function(synth: Synth, name: str) -> dict[str, Any]:
    return next(
        r["Properties"] for r in synth.template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"].get("FunctionName") == name
    )  # fmt: skip


def test_download_secret_is_readable_by_the_downloaders_only_when_configured(gpu: Synth, fargate: Synth) -> None:
    """FetchAudio and ExpandBatch (listings reach the sites as downloads do), and no other function."""
    downloaders = ("fetch-audio", "expand-batch")
    for name in downloaders:
        function = resources.lambda_spec(name).function_name
        assert "YTC_DOWNLOAD_SECRET_ID" not in _function(gpu, function)["Environment"]["Variables"]
        assert "secretsmanager:GetSecretValue" not in _allowed(gpu, _role_of_function(gpu, function))
        variables = _function(fargate, function)["Environment"]["Variables"]
        assert variables["YTC_DOWNLOAD_SECRET_ID"] == "ytcaption/download"
        allowed = _allowed(fargate, _role_of_function(fargate, function))
        assert "ytcaption/download" in json.dumps(allowed["secretsmanager:GetSecretValue"])
    for spec in resources.LAMBDAS:
        if spec.name not in downloaders:
            assert "secretsmanager:GetSecretValue" not in _allowed(
                fargate, _role_of_function(fargate, spec.function_name)
            )


def test_expand_batch_is_not_retried_by_lambda_the_batch_reconciler_counts_its_runs(gpu: Synth) -> None:
    function = _logical_id(
        gpu, "AWS::Lambda::Function", FunctionName=resources.lambda_spec("expand-batch").function_name
    )
    gpu.assertions.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig", {"FunctionName": {"Ref": function}, "MaximumRetryAttempts": 0}
    )


def test_the_reconciler_runs_on_a_schedule_and_may_only_list_uploads(gpu: Synth) -> None:
    function = _logical_id(
        gpu, "AWS::Lambda::Function", FunctionName=resources.lambda_spec("reconcile-uploads").function_name
    )
    gpu.assertions.has_resource_properties(
        "AWS::Events::Rule",
        {
            "ScheduleExpression": resources.RECONCILE_SCHEDULE,
            "Targets": Match.array_with([Match.object_like({"Arn": {"Fn::GetAtt": [function, "Arn"]}})]),
        },
    )
    role = _role_of_function(gpu, resources.lambda_spec("reconcile-uploads").function_name)
    allowed = _allowed(gpu, role)
    assert {a for a in allowed if not a.startswith(("logs:", "xray:"))} == {
        "s3:ListBucket", "dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
        "states:StartExecution", "events:PutEvents",
    }  # fmt: skip
    statements = [
        s
        for policy in gpu.resources("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    (listing,) = [s for s in statements if s["Action"] == "s3:ListBucket"]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": [f"{resources.UPLOADS_PREFIX}*"]}}


def _api_paths(synth: Synth) -> dict[str, str]:
    """Each API Gateway resource's full path, by logical id ("/" for the root)."""
    items = synth.resources("AWS::ApiGateway::Resource")
    paths: dict[str, str] = {}

    def path_of(logical: str) -> str:
        if logical not in paths:
            props = items[logical]["Properties"]
            parent = props["ParentId"]
            prefix = path_of(parent["Ref"]) if "Ref" in parent else ""
            paths[logical] = f"{prefix}/{props['PathPart']}"
        return paths[logical]

    for logical in items:
        path_of(logical)
    return {**paths, "/": "/"}


@pytest.mark.parametrize(("variant", "model"), [("gpu", "large-v3-turbo"), ("fargate", "base")])
def test_every_component_agrees_on_the_model_the_workers_serve(
    variant: str, model: str, request: pytest.FixtureRequest
) -> None:
    synth: Synth = request.getfixturevalue(variant)
    functions = synth.resources("AWS::Lambda::Function").values()
    ours = [f["Properties"] for f in functions if f["Properties"].get("FunctionName", "").startswith("ytcaption-")]
    environments = [f["Environment"]["Variables"] for f in ours]
    for task in synth.resources("AWS::ECS::TaskDefinition").values():
        for container in task["Properties"]["ContainerDefinitions"]:
            environments.append({e["Name"]: e["Value"] for e in container.get("Environment", [])})
    assert len(environments) == len(resources.LAMBDAS) + 1
    for variables in environments:
        assert variables["YTC_DEFAULT_MODEL"] == model
        # The fast lane (on by default) adds the models its image carries.
        assert variables["YTC_SERVED_MODELS"].split(",") == [
            model,
            *(m for m in resources.FAST_LANE_MODELS if m != model),
        ]
