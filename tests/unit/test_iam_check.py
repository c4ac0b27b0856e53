"""The IAM checker's own rules (tests/support/iam.py), on a small hand-written template."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.support import iam
from tests.support.iam import Request

MACHINE = "ytcaption-transcription"
TABLE = {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "ytcaption-jobs"}}
BUCKET = {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Fn::Sub": "media-${AWS::AccountId}"}}}


def template(*statements: dict[str, Any]) -> dict[str, Any]:
    return {
        "Resources": {
            "Table": TABLE,
            "Media": BUCKET,
            "Role": {"Type": "AWS::IAM::Role", "Properties": {}},
            "Policy": {
                "Type": "AWS::IAM::Policy",
                "Properties": {"Roles": [{"Ref": "Role"}], "PolicyDocument": {"Statement": list(statements)}},
            },
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": "ytcaption-fn",
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Environment": {"Variables": {"YTC_BUCKET": {"Ref": "Media"}}},
                },
            },
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                    "DefinitionString": '{"StartAt": "A", "States": {"A": {"Type": "Task", "End": true, '
                    '"Resource": "arn:aws:states:::dynamodb:getItem", "Parameters": {"TableName": "${T}"}}}}',
                    "DefinitionSubstitutions": {"T": {"Ref": "Table"}},
                },
            },
        }
    }


def allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def call(service: str, operation: str, **params: Any) -> dict[str, Any]:
    return {"component": "ytcaption-fn", "service": service, "operation": operation, **params}


def decisions(report: iam.Report) -> set[tuple[str, str, str]]:
    return {(f.component, f.action, f.decision) for f in report.findings}


@pytest.mark.parametrize(
    ("recorded", "expected"),
    [
        (call("s3", "ListObjectsV2", Bucket="b"), [Request("s3:ListBucket", "arn:aws:s3:::b")]),
        (call("s3", "HeadBucket", Bucket="b"), [Request("s3:ListBucket", "arn:aws:s3:::b")]),
        (call("s3", "HeadObject", Bucket="b", Key="k/1"), [Request("s3:GetObject", "arn:aws:s3:::b/k/1")]),
        (call("s3", "UploadPart", Bucket="b", Key="k"), [Request("s3:PutObject", "arn:aws:s3:::b/k")]),
        (call("sts", "GetCallerIdentity"), []),
        (
            call("s3", "CreateBucket", Bucket="b", presigned=True),  # a presigned POST (botocore's model)
            [Request("s3:PutObject", "arn:aws:s3:::b/uploads/*")],
        ),
        (
            call("dynamodb", "Query", TableName="t", IndexName="i"),
            [Request("dynamodb:Query", "arn:aws:dynamodb:us-east-1:123456789012:table/t/index/i")],
        ),
        (
            call("dynamodb", "TransactWriteItems", TransactItems=[{"Put": "t"}, {"ConditionCheck": "u"}]),
            [
                Request("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:123456789012:table/t"),
                Request("dynamodb:ConditionCheckItem", "arn:aws:dynamodb:us-east-1:123456789012:table/u"),
            ],
        ),
        (
            call("sqs", "DeleteMessageBatch", QueueUrl="http://127.0.0.1:5000/000000000000/q"),
            [Request("sqs:DeleteMessage", "arn:aws:sqs:us-east-1:000000000000:q")],
        ),
        (
            call("stepfunctions", "SendTaskHeartbeat", taskToken=True),
            [Request("states:SendTaskHeartbeat", f"arn:aws:states:us-east-1:123456789012:stateMachine:{MACHINE}")],
        ),
        (
            call("events", "PutEvents", EventBusNames=["default", "default"]),
            [Request("events:PutEvents", "arn:aws:events:us-east-1:123456789012:event-bus/default")],
        ),
        (
            call("lambda", "Invoke", FunctionName="f"),
            [Request("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:f")],
        ),
        (call("cloudwatch", "PutMetricData"), [Request("cloudwatch:PutMetricData", "*")]),
        (
            call("apigatewaymanagementapi", "PostToConnection", ConnectionId="abc="),
            [
                Request(
                    "execute-api:ManageConnections",
                    "arn:aws:execute-api:us-east-1:123456789012:ytcaption-live/live/POST/@connections/abc=",
                )
            ],
        ),
    ],
)
def test_calls_become_iam_requests(recorded: dict[str, Any], expected: list[Request]) -> None:
    assert iam.requests_for(recorded) == expected


def test_bucket_and_table_resolve_to_the_names_the_runtime_uses() -> None:
    tpl = template(allow("s3:GetObject", {"Fn::Join": ["", [{"Fn::GetAtt": ["Media", "Arn"]}, "/audio/*"]]}))
    report = iam.check(tpl, [call("s3", "GetObject", Bucket="ytcaption-media", Key="audio/j/a.ogg")])
    # The state machine's getItem task is not allowed: only s3 is.
    assert decisions(report) == {("state-machine", "dynamodb:GetItem", "not allowed")}


def test_wildcards_case_and_explicit_deny() -> None:
    tpl = template(
        allow("DynamoDB:Get*", {"Fn::GetAtt": ["Table", "Arn"]}),
        allow("s3:GetObject", "arn:aws:s3:::ytcaption-media/a?c"),
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::ytcaption-media/abc"},
    )
    report = iam.check(
        tpl,
        [
            call("dynamodb", "GetItem", TableName="ytcaption-jobs"),  # allowed: the state machine's too
            call("s3", "GetObject", Bucket="ytcaption-media", Key="axc"),  # allowed by ?
            call("s3", "GetObject", Bucket="ytcaption-media", Key="abc"),  # the Deny wins
            call("s3", "GetObject", Bucket="ytcaption-media", Key="a.c/d"),  # ? is one character, . no regex
        ],
    )
    assert {(f.action, f.resource, f.decision) for f in report.findings} == {
        ("s3:GetObject", "arn:aws:s3:::ytcaption-media/*", "denied"),
        ("s3:GetObject", "arn:aws:s3:::ytcaption-media/a.c/*", "not allowed"),
    }


def test_conditions_are_ignored() -> None:
    condition = {"Condition": {"StringEquals": {"aws:RequestTag/x": "y"}}}
    tpl = template(allow("dynamodb:GetItem", {"Fn::GetAtt": ["Table", "Arn"]}, **condition))
    assert iam.check(tpl, [call("dynamodb", "GetItem", TableName="ytcaption-jobs")]).findings == []


def test_an_unknown_component_has_no_role() -> None:
    tpl = template(allow("dynamodb:GetItem", {"Fn::GetAtt": ["Table", "Arn"]}))
    report = iam.check(tpl, [{**call("dynamodb", "GetItem", TableName="ytcaption-jobs"), "component": "ghost"}])
    assert decisions(report) == {("ghost", "dynamodb:GetItem", "without a role")}


def test_recorded_calls_are_read_from_every_process_file(tmp_path: Any) -> None:
    (tmp_path / "api-1.jsonl").write_text('{"component": "api", "service": "sts", "operation": "GetCallerIdentity"}\n')
    (tmp_path / "worker-2.jsonl").write_text('{"component": "worker", "service": "s3", "operation": "X"}\n\n')
    assert [c["component"] for c in iam.load_calls(tmp_path)] == ["api", "worker"]


def test_the_session_fails_naming_each_call_not_allowed(tmp_path: Path) -> None:
    """The end of a pytest session that used the runtime (tests/conftest.py), on a small template."""
    import tests.conftest as root

    calls = tmp_path / "aws-calls"
    calls.mkdir()
    (calls / "ytcaption-fn-1.jsonl").write_text(
        json.dumps(call("dynamodb", "DeleteTable", TableName="ytcaption-jobs")) + "\n"
    )
    config = SimpleNamespace(stash=pytest.Stash(), rootpath=tmp_path)
    config.stash[root.CALL_LOG] = calls
    config.stash[iam.GPU_TEMPLATE] = template(allow("dynamodb:*Item", {"Fn::GetAtt": ["Table", "Arn"]}))
    session = SimpleNamespace(config=config, exitstatus=pytest.ExitCode.OK)
    root.pytest_sessionfinish(session, pytest.ExitCode.OK)  # type: ignore[arg-type]
    assert session.exitstatus == pytest.ExitCode.TESTS_FAILED
    lines, path = config.stash[root.IAM_RESULT]
    assert lines == [
        "NOT ALLOWED in AWS: ytcaption-fn: dynamodb:DeleteTable on "
        "arn:aws:dynamodb:us-east-1:123456789012:table/ytcaption-jobs is not allowed (1 call(s))"
    ]
    assert path == tmp_path / ".ytcaption" / "iam-report.json"
    assert json.loads(path.read_text())["not_allowed"][0]["action"] == "dynamodb:DeleteTable"


def test_a_session_whose_calls_are_allowed_passes(tmp_path: Path) -> None:
    import tests.conftest as root

    calls = tmp_path / "aws-calls"
    calls.mkdir()
    (calls / "ytcaption-fn-1.jsonl").write_text(json.dumps(call("dynamodb", "GetItem", TableName="ytcaption-jobs")))
    config = SimpleNamespace(stash=pytest.Stash(), rootpath=tmp_path)
    config.stash[root.CALL_LOG] = calls
    config.stash[iam.GPU_TEMPLATE] = template(allow("dynamodb:*Item", {"Fn::GetAtt": ["Table", "Arn"]}))
    session = SimpleNamespace(config=config, exitstatus=pytest.ExitCode.OK)
    root.pytest_sessionfinish(session, pytest.ExitCode.OK)  # type: ignore[arg-type]
    assert session.exitstatus == pytest.ExitCode.OK
    expected = "allowed: 1 AWS calls of the runtime's components, 1 state machine tasks"
    assert config.stash[root.IAM_RESULT][0] == [expected]
