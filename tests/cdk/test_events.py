"""Job events in AWS: who may publish them, their archive, and the rule that ends jobs whose
execution was stopped, timed out or failed outside the state machine's failure path."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk.assertions import Match

from tests.cdk.conftest import Synth
from tests.cdk.resolve import resolve
from tests.cdk.test_template import _allowed, _logical_id, _role_of_function, _statements, _worker_role
from ytcaption import resources


def _put_events_statements(synth: Synth, role: str) -> list[dict[str, Any]]:
    return [s for s in _statements(synth, role) if s["Action"] == "events:PutEvents"]


def test_every_publisher_may_put_only_our_events_on_the_default_bus(gpu: Synth) -> None:
    publishers = ["intake", "reconcile-uploads", "notify", "api", "reconcile-executions"]
    roles = [_role_of_function(gpu, resources.lambda_spec(name).function_name) for name in publishers]
    for role in [*roles, _worker_role(gpu)]:
        (statement,) = _put_events_statements(gpu, role)
        assert "event-bus/default" in json.dumps(statement["Resource"]), role
        assert statement["Condition"] == {"StringEquals": {"events:source": resources.EVENT_SOURCE}}, role


def test_job_events_are_archived_thirty_days(gpu: Synth) -> None:
    (archive,) = gpu.resources("AWS::Events::Archive").values()
    props = archive["Properties"]
    assert props["RetentionDays"] == resources.EVENT_ARCHIVE_DAYS == 30
    assert props["EventPattern"] == {"source": [resources.EVENT_SOURCE]}
    assert "event-bus/default" in json.dumps(props["SourceArn"])


def test_abnormal_execution_ends_reach_the_reconciling_lambda(gpu: Synth) -> None:
    name = resources.lambda_spec("reconcile-executions").function_name
    function = _logical_id(gpu, "AWS::Lambda::Function", FunctionName=name)
    machine, _ = gpu.one("AWS::StepFunctions::StateMachine")
    gpu.assertions.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["aws.states"],
                "detail-type": ["Step Functions Execution Status Change"],
                "detail": {"status": ["ABORTED", "TIMED_OUT", "FAILED"], "stateMachineArn": [{"Ref": machine}]},
            },
            "State": "ENABLED",
            "Targets": Match.array_with([Match.object_like({"Arn": {"Fn::GetAtt": [function, "Arn"]}})]),
        },
    )
    gpu.assertions.has_resource_properties(
        "AWS::Lambda::Permission",
        {"FunctionName": {"Fn::GetAtt": [function, "Arn"]}, "Principal": "events.amazonaws.com"},
    )
    allowed = _allowed(gpu, _role_of_function(gpu, name))
    assert {a for a in allowed if not a.startswith(("logs:", "xray:"))} == {
        "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query", "events:PutEvents"
    }, "ends the job and notifies; never touches executions, media or queues"  # fmt: skip


def test_without_a_sender_nobody_may_send_email(gpu: Synth) -> None:
    for spec in resources.LAMBDAS:
        allowed = _allowed(gpu, _role_of_function(gpu, spec.function_name))
        assert not [a for a in allowed if a.startswith("ses:")], spec.name


def test_notifiers_may_send_email_only_as_the_configured_sender(fargate: Synth) -> None:
    for name in ("notify", "reconcile-executions"):
        function_name = resources.lambda_spec(name).function_name
        role = _role_of_function(fargate, function_name)
        (statement,) = [s for s in _statements(fargate, role) if s["Action"] == "ses:SendEmail"]
        assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": "noreply@mail.example.com"}}
        # In the SES sandbox recipients are authorized too: every identity of this account and region,
        # the From address fixed by the condition.
        assert resolve(fargate.template, statement["Resource"]) == "arn:aws:ses:us-east-1:123456789012:identity/*"
        allowed = _allowed(fargate, role)
        (results,) = allowed["s3:GetObject"]
        assert json.dumps(results).endswith(f'/{resources.RESULTS_PREFIX}*"]]}}'), "transcripts only"
        (props,) = [
            f["Properties"] for f in fargate.resources("AWS::Lambda::Function").values()
            if f["Properties"].get("FunctionName") == function_name
        ]  # fmt: skip
        env = props["Environment"]["Variables"]
        assert env["YTC_EMAIL_SENDER"] == "YTCaption <noreply@mail.example.com>"
        assert "YTC_PUBLIC_API_URL" in env
    for spec in resources.LAMBDAS:
        if spec.name not in ("notify", "reconcile-executions"):
            allowed = _allowed(fargate, _role_of_function(fargate, spec.function_name))
            assert not [a for a in allowed if a.startswith("ses:")], spec.name
