"""The local runtime's resources (ytcaption.local.bootstrap against moto) match the template.

Table keys and indexes, queue settings, the state machine definition after
substitution, the Lambdas' handlers and environment, the uploads notification.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.cdk.conftest import Synth
from tests.cdk.resolve import ACCOUNT, REGION, resolve, substituted_definition
from tests.paths import ROOT
from ytcaption import resources

moto = pytest.importorskip("moto", reason="the `local` extra (moto) is not installed")


@pytest.fixture(scope="module")
def local() -> Iterator[dict[str, Any]]:
    """Run the real local bootstrap in-process against moto and describe what it made."""
    from ytcaption.local.bootstrap import bootstrap
    from ytcaption.settings import get_settings
    from ytcaption.store import aws

    saved = dict(os.environ)
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION)
    for key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL") or k in {"AWS_PROFILE", "AWS_REGION"}]:
        del os.environ[key]
    get_settings.cache_clear()
    aws.client.cache_clear()
    aws.brief_client.cache_clear()
    aws.resource.cache_clear()
    try:
        with moto.mock_aws():
            made = bootstrap()
            sqs = aws.client("sqs")
            lam = aws.client("lambda")
            yield {
                "made": made,
                "table": aws.client("dynamodb").describe_table(TableName=resources.TABLE)["Table"],
                "queue": sqs.get_queue_attributes(QueueUrl=made["queue_url"], AttributeNames=["All"])["Attributes"],
                "dlq": sqs.get_queue_attributes(QueueUrl=aws.queue_url(resources.DLQ), AttributeNames=["All"])[
                    "Attributes"
                ],
                "definition": json.loads(
                    aws.client("stepfunctions").describe_state_machine(stateMachineArn=made["state_machine"])[
                        "definition"
                    ]
                ),
                "lambdas": {
                    spec.name: lam.get_function_configuration(FunctionName=spec.function_name)
                    for spec in resources.LAMBDAS
                },
                "notification": aws.client("s3").get_bucket_notification_configuration(Bucket=resources.BUCKET),
                "connections": aws.client("dynamodb").describe_table(TableName=resources.CONNECTIONS_TABLE)["Table"],
                "connections_ttl": aws.client("dynamodb").describe_time_to_live(TableName=resources.CONNECTIONS_TABLE)[
                    "TimeToLiveDescription"
                ],
                "live_rule": aws.client("events").describe_rule(Name=f"{resources.PREFIX}-live"),
                "progress_rule": aws.client("events").describe_rule(Name=f"{resources.PREFIX}-progress-webhooks"),
                "progress_targets": aws.client("events").list_targets_by_rule(
                    Rule=f"{resources.PREFIX}-progress-webhooks"
                )["Targets"],
                "live_concurrency": lam.get_function_concurrency(
                    FunctionName=resources.lambda_spec("live").function_name
                ).get("ReservedConcurrentExecutions"),
            }
    finally:
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()
        aws.client.cache_clear()
        aws.brief_client.cache_clear()
        aws.resource.cache_clear()


def _props(synth: Synth, type_: str, **match: Any) -> dict[str, Any]:
    for resource in synth.resources(type_).values():
        if all(resource["Properties"].get(k) == v for k, v in match.items()):
            return dict(resource["Properties"])
    raise AssertionError(f"no {type_} with {match}")


def _keys(schema: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(k["AttributeName"], k["KeyType"]) for k in schema]


def test_table_keys_and_indexes(gpu: Synth, local: dict[str, Any]) -> None:
    table = _props(gpu, "AWS::DynamoDB::Table", TableName=resources.TABLE)
    deployed = local["table"]
    assert _keys(table["KeySchema"]) == _keys(deployed["KeySchema"])
    assert {(a["AttributeName"], a["AttributeType"]) for a in table["AttributeDefinitions"]} == {
        (a["AttributeName"], a["AttributeType"]) for a in deployed["AttributeDefinitions"]
    }
    cdk_indexes = {
        i["IndexName"]: (_keys(i["KeySchema"]), i["Projection"]["ProjectionType"])
        for i in table["GlobalSecondaryIndexes"]
    }
    local_indexes = {
        i["IndexName"]: (_keys(i["KeySchema"]), i["Projection"]["ProjectionType"])
        for i in deployed["GlobalSecondaryIndexes"]
    }
    assert cdk_indexes == local_indexes
    assert table["BillingMode"] == deployed["BillingModeSummary"]["BillingMode"]


def test_queue_settings(gpu: Synth, local: dict[str, Any]) -> None:
    queue = _props(gpu, "AWS::SQS::Queue", QueueName=resources.QUEUE)
    dlq = _props(gpu, "AWS::SQS::Queue", QueueName=resources.DLQ)
    attrs = local["queue"]
    assert queue["VisibilityTimeout"] == int(attrs["VisibilityTimeout"])
    assert queue["MessageRetentionPeriod"] == int(attrs["MessageRetentionPeriod"])
    redrive = json.loads(attrs["RedrivePolicy"])
    assert queue["RedrivePolicy"]["maxReceiveCount"] == int(redrive["maxReceiveCount"])
    assert redrive["deadLetterTargetArn"].endswith(f":{resources.DLQ}")
    assert dlq["MessageRetentionPeriod"] == int(local["dlq"]["MessageRetentionPeriod"])
    assert queue["SqsManagedSseEnabled"] and local["queue"]["SqsManagedSseEnabled"] == "true"


def test_state_machine_definition_after_substitution(gpu: Synth, local: dict[str, Any]) -> None:
    assert substituted_definition(gpu.template) == local["definition"]


def test_lambda_handlers_settings_and_environment(gpu: Synth, local: dict[str, Any]) -> None:
    for spec in resources.LAMBDAS:
        cdk = _props(gpu, "AWS::Lambda::Function", FunctionName=spec.function_name)
        here = local["lambdas"][spec.name]
        if spec.image:
            # An image function: its handler is the image's CMD, its size and clock come from context.
            dockerfile = (ROOT / "containers" / spec.image / "Dockerfile").read_text()
            assert here["Handler"] == spec.handler and f'CMD ["{spec.handler}"]' in dockerfile
            assert cdk["PackageType"] == "Image" and "Handler" not in cdk
        else:
            assert cdk["Handler"] == here["Handler"] == spec.handler
            assert cdk["Runtime"] == here["Runtime"]
            assert cdk["Architectures"] == here["Architectures"]
            assert cdk["Timeout"] == here["Timeout"] and cdk["MemorySize"] == here["MemorySize"]
        deployed_env = resolve(gpu.template, cdk["Environment"]["Variables"])
        local_env = here["Environment"]["Variables"]
        assert set(local_env) <= set(deployed_env), f"{spec.name}: variables missing in AWS"
        for key, value in local_env.items():
            if key == "YTC_BUCKET":  # bucket names are global: AWS's carries account and region
                assert deployed_env[key] == f"{value}-{ACCOUNT}-{REGION}"
            else:
                assert deployed_env[key] == value, (spec.name, key)


def test_uploads_notification(gpu: Synth, local: dict[str, Any]) -> None:
    (here,) = local["notification"]["QueueConfigurations"]
    (notification,) = [r for r in gpu.resources("Custom::S3BucketNotifications").values()]
    (cdk,) = resolve(gpu.template, notification["Properties"]["NotificationConfiguration"]["QueueConfigurations"])
    assert cdk["Events"] == here["Events"]
    assert cdk["Filter"]["Key"]["FilterRules"] == [
        {"Name": r["Name"].lower(), "Value": r["Value"]} for r in here["Filter"]["Key"]["FilterRules"]
    ]
    assert cdk["QueueArn"].split(":")[-1] == here["QueueArn"].split(":")[-1]


def test_live_updates_connections_table_rule_and_concurrency(gpu: Synth, local: dict[str, Any]) -> None:
    table = _props(gpu, "AWS::DynamoDB::Table", TableName=resources.CONNECTIONS_TABLE)
    assert _keys(table["KeySchema"]) == _keys(local["connections"]["KeySchema"])
    assert table["TimeToLiveSpecification"]["AttributeName"] == local["connections_ttl"]["AttributeName"]
    assert local["connections_ttl"]["TimeToLiveStatus"] == "ENABLED"
    rule = _props(gpu, "AWS::Events::Rule", Name=f"{resources.PREFIX}-live")
    assert rule["EventPattern"] == json.loads(local["live_rule"]["EventPattern"]) == resources.live_event_pattern()
    # No reservation: Lambda refuses one that leaves the account less than its unreserved minimum (a
    # new account's quota may be 10), and the order of a job's events is their `sequence`, not the
    # order the bus's asynchronous invocations run in.
    function = _props(gpu, "AWS::Lambda::Function", FunctionName=resources.lambda_spec("live").function_name)
    assert "ReservedConcurrentExecutions" not in function
    assert local["live_concurrency"] is None


def test_progress_webhooks_rule_targets_notify(gpu: Synth, local: dict[str, Any]) -> None:
    """Progress events reach the notification path (the one webhook sender) in both places, never a worker."""
    rule = _props(gpu, "AWS::Events::Rule", Name=f"{resources.PREFIX}-progress-webhooks")
    pattern = resources.progress_webhook_pattern()
    assert rule["EventPattern"] == json.loads(local["progress_rule"]["EventPattern"]) == pattern
    notify = resources.lambda_spec("notify").function_name
    assert [t["Arn"].split(":")[-1] for t in local["progress_targets"]] == [notify]
    (target,) = rule["Targets"]
    function = next(
        logical for logical, r in gpu.template["Resources"].items()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"].get("FunctionName") == notify
    )  # fmt: skip
    assert target["Arn"] == {"Fn::GetAtt": [function, "Arn"]}
