"""The IAM check of the runtime's AWS calls (tests/support/iam.py) against the synthesized template."""

from __future__ import annotations

from tests.cdk.conftest import Synth
from tests.support import iam
from ytcaption import resources

TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/ytcaption-jobs"


def test_a_call_the_template_does_not_allow_is_reported(gpu: Synth) -> None:
    calls = [
        {"component": "api", "service": "dynamodb", "operation": "DeleteTable", "TableName": resources.TABLE},
        {"component": "api", "service": "dynamodb", "operation": "GetItem", "TableName": resources.TABLE},
    ]
    report = iam.check(gpu.template, calls)
    assert [(f.component, f.action, f.resource, f.decision) for f in report.findings] == [
        ("api", "dynamodb:DeleteTable", TABLE_ARN, "not allowed")
    ]
    assert "api: dynamodb:DeleteTable on arn:aws:dynamodb" in report.findings[0].line()
    requests = {(r["action"], r["decision"]) for r in report.components["api"]["requests"]}
    assert ("dynamodb:GetItem", "allowed") in requests


def test_each_component_is_checked_against_its_own_role(gpu: Synth) -> None:
    # The worker may answer task tokens; the API may not. notify may query the table, not the index.
    calls = [
        {"component": "worker", "service": "stepfunctions", "operation": "SendTaskSuccess", "taskToken": True},
        {"component": "api", "service": "stepfunctions", "operation": "SendTaskSuccess", "taskToken": True},
        {"component": "ytcaption-notify", "service": "dynamodb", "operation": "Query", "TableName": resources.TABLE,
         "IndexName": resources.TABLE_GSI_TENANT},
        {"component": "unknown-function", "service": "sqs", "operation": "SendMessage",
         "QueueUrl": f"http://127.0.0.1:4566/123456789012/{resources.QUEUE}"},
    ]  # fmt: skip
    report = iam.check(gpu.template, calls)
    assert {(f.component, f.action, f.decision) for f in report.findings} == {
        ("api", "states:SendTaskSuccess", "not allowed"),
        ("ytcaption-notify", "dynamodb:Query", "not allowed"),
        ("unknown-function", "sqs:SendMessage", "without a role"),
    }
    notify = next(f for f in report.findings if f.component == "ytcaption-notify")
    assert notify.resource == f"{TABLE_ARN}/index/{resources.TABLE_GSI_TENANT}"


def test_every_component_of_the_runtime_has_a_role(gpu: Synth) -> None:
    roles = iam.component_roles(gpu.template)
    expected = {spec.function_name for spec in resources.LAMBDAS} | {"api", "worker", "state-machine"}
    assert expected <= {name for name, logicals in roles.items() if logicals}


def test_the_state_machine_role_allows_every_task_state(gpu: Synth) -> None:
    definition = iam.state_machine_definition(gpu.template)
    calls = iam.state_machine_calls(definition)
    # One call per task state, and per queue where the priority chooses one (Transcribe, TranscribeChunk).
    tasks = [state for _, state, _ in iam._task_states(definition["States"])]
    queue_tasks = sum(1 for state in tasks if "QueueUrl.$" in state["Parameters"])
    assert queue_tasks == 2
    assert len(calls) == sum(1 for _ in iam._task_states(definition["States"])) + 2 * queue_tasks
    assert {c["QueueUrl"] for c in calls if "QueueUrl" in c} and "*" not in {c.get("QueueUrl") for c in calls}
    report = iam.check(gpu.template, [])
    assert report.findings == [], [f.line() for f in report.findings]
    assert not report.unresolved
    requests = {(r["action"], r["resource"]) for r in report.components["state-machine"]["requests"]}
    for queue in (resources.QUEUE, resources.QUEUE_HIGH, resources.QUEUE_LOW):
        assert ("sqs:SendMessage", f"arn:aws:sqs:us-east-1:123456789012:{queue}") in requests
    assert ("dynamodb:UpdateItem", TABLE_ARN) in requests
    for spec in resources.LAMBDAS:
        arn = f"arn:aws:lambda:us-east-1:123456789012:function:{spec.function_name}"
        assert (("lambda:InvokeFunction", arn) in requests) == spec.in_state_machine


def test_the_api_may_check_readiness_and_list_an_upload(gpu: Synth) -> None:
    """/health/ready (DescribeTable, HeadBucket, DescribeStateMachine) and GET /v1/uploads/{id}
    (ListObjectsV2): the calls the check first found missing from the api role."""
    machine = f"arn:aws:states:us-east-1:123456789012:stateMachine:{resources.STATE_MACHINE}"
    calls = [
        {"component": "api", "service": "dynamodb", "operation": "DescribeTable", "TableName": resources.TABLE},
        {"component": "api", "service": "s3", "operation": "HeadBucket", "Bucket": resources.BUCKET},
        {"component": "api", "service": "stepfunctions", "operation": "DescribeStateMachine",
         "stateMachineArn": machine},
        {"component": "api", "service": "s3", "operation": "ListObjectsV2", "Bucket": resources.BUCKET},
        {"component": "api", "service": "s3", "operation": "CreateBucket", "Bucket": resources.BUCKET,
         "presigned": True},
    ]  # fmt: skip
    assert iam.check(gpu.template, calls).findings == []


def test_the_live_functions_may_do_what_the_protocol_does_and_post_only_to_their_stage(gpu: Synth) -> None:
    """The calls the live fan-out and the socket make (recorded by the local runtime as these components)."""
    fan_out, socket = resources.lambda_spec("live").function_name, resources.lambda_spec("live-socket").function_name
    connections = resources.CONNECTIONS_TABLE
    post = {"service": "apigatewaymanagementapi", "operation": "PostToConnection", "ConnectionId": "Ab3=_x"}
    calls = [
        {"component": fan_out, "service": "dynamodb", "operation": "PutItem", "TableName": resources.TABLE},
        {"component": fan_out, "service": "dynamodb", "operation": "Query", "TableName": connections},
        {"component": fan_out, "service": "dynamodb", "operation": "UpdateItem", "TableName": connections},
        {"component": fan_out, "service": "dynamodb", "operation": "DeleteItem", "TableName": connections},
        {"component": fan_out, **post},
        {"component": socket, "service": "dynamodb", "operation": "PutItem", "TableName": connections},
        {"component": socket, "service": "dynamodb", "operation": "Query", "TableName": resources.TABLE},
        {"component": socket, **post},
    ]
    assert iam.check(gpu.template, calls).findings == []
    refused = [
        # Not another method of the management API, not another table, not a write to the jobs.
        {"component": fan_out, **post, "operation": "DeleteConnection"},
        {"component": socket, "service": "dynamodb", "operation": "PutItem", "TableName": resources.TABLE},
        {"component": socket, "service": "dynamodb", "operation": "Scan", "TableName": connections},
        {"component": "api", **post},
    ]
    report = iam.check(gpu.template, refused)
    assert {(f.component, f.action) for f in report.findings} == {
        (fan_out, "execute-api:ManageConnections"),
        (socket, "dynamodb:PutItem"),
        (socket, "dynamodb:Scan"),
        ("api", "execute-api:ManageConnections"),
    }
    assert not report.unresolved
