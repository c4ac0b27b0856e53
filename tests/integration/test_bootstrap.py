"""The emulator's resources match the shared definitions the CDK app uses."""

from __future__ import annotations

import json

import pytest

from tests import paths
from ytcaption import resources
from ytcaption.intake.launch import state_machine_arn
from ytcaption.local import statemachine
from ytcaption.settings import get_settings
from ytcaption.store import aws

pytestmark = pytest.mark.integration


def test_table_keys_and_index(runtime: object) -> None:
    table = aws.client("dynamodb").describe_table(TableName=resources.TABLE)["Table"]
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == {"pk": "HASH", "sk": "RANGE"}
    (index,) = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == resources.TABLE_GSI_TENANT
    assert {k["AttributeName"]: k["KeyType"] for k in index["KeySchema"]} == {"gsi1pk": "HASH", "gsi1sk": "RANGE"}
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_queue_has_dead_letter_queue_and_visibility(runtime: object) -> None:
    sqs = aws.client("sqs")
    attrs = sqs.get_queue_attributes(QueueUrl=aws.queue_url(resources.QUEUE), AttributeNames=["All"])["Attributes"]
    assert int(attrs["VisibilityTimeout"]) == resources.QUEUE_VISIBILITY_SECONDS
    assert int(attrs["VisibilityTimeout"]) > resources.HEARTBEAT_SECONDS
    redrive = json.loads(attrs["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith(f":{resources.DLQ}")
    assert int(redrive["maxReceiveCount"]) == resources.QUEUE_MAX_RECEIVES


def test_state_machine_is_the_asl_file_with_placeholders_filled(runtime: object) -> None:
    arn = state_machine_arn(get_settings())
    deployed = json.loads(aws.client("stepfunctions").describe_state_machine(stateMachineArn=arn)["definition"])
    values = resources.asl_placeholders(
        region="us-east-1",
        account="123456789012",
        queue_url=aws.queue_url(resources.QUEUE),
        high_queue_url=aws.queue_url(resources.QUEUE_HIGH),
        low_queue_url=aws.queue_url(resources.QUEUE_LOW),
    )
    assert deployed == statemachine.load(paths.ASL_PATH, values)


def test_lambdas_match_their_specs(runtime: object) -> None:
    lam = aws.client("lambda")
    for spec in resources.LAMBDAS:
        config = lam.get_function_configuration(FunctionName=spec.function_name)
        assert config["Handler"] == spec.handler
        assert config["Timeout"] == spec.timeout_seconds
        assert config["MemorySize"] == spec.memory_mb
        environment = config["Environment"]["Variables"]
        for key, value in resources.lambda_environment().items():
            assert environment[key] == value
        assert not any(k.startswith("AWS_ENDPOINT") for k in environment), "endpoints never go in the config"


def test_bucket_is_private_encrypted_and_starts_jobs_from_uploads(runtime: object) -> None:
    s3 = aws.client("s3")
    block = s3.get_public_access_block(Bucket=resources.BUCKET)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    assert s3.get_bucket_encryption(Bucket=resources.BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    (notification,) = s3.get_bucket_notification_configuration(Bucket=resources.BUCKET)["QueueConfigurations"]
    assert notification["QueueArn"].endswith(f":{resources.INTAKE_QUEUE}")
    rules = notification["Filter"]["Key"]["FilterRules"]
    assert {"Name": "Prefix", "Value": resources.UPLOADS_PREFIX} in rules or {
        "Name": "prefix",
        "Value": resources.UPLOADS_PREFIX,
    } in rules


def test_upload_events_reach_intake_through_a_queue_with_a_dead_letter_queue(runtime: object) -> None:
    sqs, lam = aws.client("sqs"), aws.client("lambda")
    attrs = sqs.get_queue_attributes(QueueUrl=aws.queue_url(resources.INTAKE_QUEUE), AttributeNames=["All"])
    redrive = json.loads(attrs["Attributes"]["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith(f":{resources.INTAKE_DLQ}")
    assert int(redrive["maxReceiveCount"]) == resources.INTAKE_MAX_RECEIVES
    (mapping,) = lam.list_event_source_mappings(EventSourceArn=attrs["Attributes"]["QueueArn"])["EventSourceMappings"]
    assert mapping["FunctionArn"].endswith(f":function:{resources.lambda_spec('intake').function_name}")
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BatchSize"] == resources.INTAKE_BATCH_SIZE


def test_the_reconcilers_run_on_a_schedule(runtime: object) -> None:
    """Uploads without a job, and batches whose expansion died: each its own rule and function."""
    events = aws.client("events")
    rules = [r for r in events.list_rules()["Rules"] if r.get("ScheduleExpression")]
    assert {r["ScheduleExpression"] for r in rules} == {resources.RECONCILE_SCHEDULE}
    targets = {}
    for rule in rules:
        (target,) = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        targets[rule["Name"]] = target["Arn"].rsplit(":", 1)[-1]
    assert targets == {
        f"{resources.PREFIX}-{name}": resources.lambda_spec(name).function_name
        for name in ("reconcile-uploads", "reconcile-batches")
    }


def test_abnormal_execution_ends_reach_the_reconciling_lambda(runtime: object) -> None:
    from ytcaption.intake.launch import state_machine_arn
    from ytcaption.settings import get_settings

    events = aws.client("events")
    rule = events.describe_rule(Name=f"{resources.PREFIX}-execution-ends")
    assert json.loads(rule["EventPattern"]) == resources.execution_end_pattern(state_machine_arn(get_settings()))
    (target,) = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    assert target["Arn"].endswith(f":function:{resources.lambda_spec('reconcile-executions').function_name}")


def test_the_local_email_sender_is_a_verified_identity(runtime: object) -> None:
    from ytcaption.local.runtime import LOCAL_EMAIL_SENDER

    identities = [i["IdentityName"] for i in aws.client("sesv2").list_email_identities()["EmailIdentities"]]
    assert LOCAL_EMAIL_SENDER.split("<")[1].rstrip(">") in identities
