"""The emulated Lambda pollers read moto's backends: fail loudly if those change."""

from __future__ import annotations

import inspect

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


def test_a_schedule_only_rule_gets_no_published_event() -> None:
    from unittest import mock

    from ytcaption.local.event_sources import install_schedule_rules_fix

    with mock.patch.object(Rule, "send_to_targets", lambda self, event, transform_input=True: self.sent.append(event)):
        install_schedule_rules_fix()
        schedule = Rule("s", "123456789012", "us-east-1", None, None, "rate(5 minutes)", None, "default", None)
        pattern = Rule("p", "123456789012", "us-east-1", None, '{"source": ["x"]}', None, None, "default", None)
        for rule in (schedule, pattern):
            rule.sent = []  # type: ignore[attr-defined]
            rule.send_to_targets({"source": "x"})
        assert schedule.sent == [] and pattern.sent == [{"source": "x"}]  # type: ignore[attr-defined]
