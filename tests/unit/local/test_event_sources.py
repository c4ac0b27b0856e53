"""The emulated Lambda pollers read moto's backends: fail loudly if those change."""

from __future__ import annotations

import inspect
import json

import pytest
from moto.awslambda.models import EventSourceMapping, LambdaBackend
from moto.events.models import Rule
from moto.sqs.models import Queue, SQSBackend

from ytcaption.local.event_sources import rate_seconds


def test_moto_still_has_what_the_pollers_read() -> None:
    # If one of these fails, moto changed: update ytcaption.local.event_sources.
    assert "_event_source_mappings" in inspect.getsource(LambdaBackend.__init__)
    assert "lambda_event_source_mappings" in inspect.getsource(Queue.__init__)
    assert "function_response_types" in inspect.getsource(EventSourceMapping.__init__)
    assert list(inspect.signature(Queue.add_message).parameters) == ["self", "message"]  # watch_sends
    assert "scheduled_expression" in inspect.getsource(Rule.__init__)
    assert list(inspect.signature(Rule.send_to_targets).parameters) == ["self", "original_event", "transform_input"]
    assert list(inspect.signature(SQSBackend.receive_message).parameters)[1:5] == [
        "queue_name", "count", "wait_seconds_timeout", "visibility_timeout",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [("rate(5 minutes)", 300), ("rate(1 minute)", 60), ("rate(2 hours)", 7200), ("cron(0 * * * ? *)", None)],
)
def test_rate_expressions(expression: str, seconds: float | None) -> None:
    assert rate_seconds(expression) == seconds


def test_moto_still_has_what_the_execution_watch_reads() -> None:
    # The status-change emulation reads executions and stops; update event_sources if these fail.
    from moto.events.models import EventPattern
    from moto.stepfunctions.models import StepFunctionBackend
    from moto.stepfunctions.parser.backend.execution import Execution

    assert "stop_execution" in vars(StepFunctionBackend)
    for name in ("exec_status", "input_data", "stop_date", "state_machine_arn", "error", "cause"):
        assert f"self.{name}" in inspect.getsource(Execution.__init__), name
    assert EventPattern.load(None).matches_event({"source": "x"}), "an empty pattern matches all: skipped"
    assert "event_bus_name" in inspect.getsource(Rule.__init__)
    from moto.events.models import EventBus, EventsBackend

    assert "self.rules" in inspect.getsource(EventBus.__init__)
    assert "self.event_buses" in inspect.getsource(EventsBackend.__init__)
    assert list(inspect.signature(Rule.send_to_targets).parameters) == ["self", "original_event", "transform_input"]


def test_status_change_event_has_aws_shape() -> None:
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from ytcaption.local.event_sources import status_change_event

    execution = SimpleNamespace(
        exec_arn="arn:aws:states:us-east-1:1:execution:m:job1",
        state_machine_arn="arn:aws:states:us-east-1:1:stateMachine:m",
        name="job1",
        start_date=datetime.now(UTC),
        input_data={"job_id": "job1"},
        stop_date=None,
        error=None,
        cause=None,
    )
    event = status_change_event(execution, "ABORTED", "1", "us-east-1")
    assert event["source"] == "aws.states" and event["detail-type"] == "Step Functions Execution Status Change"
    assert event["detail"]["status"] == "ABORTED" and event["detail"]["name"] == "job1"
    assert event["resources"] == [execution.exec_arn]
    assert json.loads(event["detail"]["input"]) == {"job_id": "job1"}
