"""Lambda's own pollers, emulated inside the emulator process.

In AWS, Lambda polls an SQS queue that has an event source mapping: it takes a
batch, invokes the function, deletes what succeeded, and leaves what failed
(the whole batch on an error, or the items named in `batchItemFailures`) to
come back after the visibility timeout, until the queue's redrive policy moves
it to the dead-letter queue. moto instead invokes a mapping once, inline, when
a message is sent, and forgets a batch that failed. EventBridge rules with a
`rate(...)` schedule never fire in moto at all.

`EventSources` does what Lambda and EventBridge do: it takes over every SQS
mapping (moto's inline call is detached) and polls it, and it invokes the
Lambda targets of scheduled rules at their rate (which, unlike in moto, no
published event reaches: `install_schedule_rules_fix`). It reads moto's backends
in-process; tests/unit/local/test_event_sources.py fails if those change.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from typing import Any

log = logging.getLogger(__name__)

_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def install_schedule_rules_fix() -> None:
    """A rule with only a schedule fires on its schedule, never on events. moto treats its missing
    pattern as "match everything" and hands every PutEvents to it (which then fails the call)."""
    from moto.events.models import Rule

    original = Rule.send_to_targets
    if getattr(original, "_schedule_only_fix", False):
        return

    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        if self.scheduled_expression and not self.event_pattern.get_pattern():
            return
        original(self, original_event, transform_input)

    send_to_targets._schedule_only_fix = True  # type: ignore[attr-defined]
    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]


def rate_seconds(expression: str) -> float | None:
    """`rate(5 minutes)` -> 300; None for cron and anything else."""
    match = _RATE.fullmatch(expression.strip())
    if not match:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


def _backends() -> list[tuple[str, str, Any, Any, Any]]:
    """(account, region, lambda backend, sqs backend, events backend) for every region in use."""
    from moto.awslambda.models import lambda_backends
    from moto.events.models import events_backends
    from moto.sqs.models import sqs_backends

    found = []
    for account_id, regions in lambda_backends.items():
        for region, backend in regions.items():
            found.append(
                (account_id, region, backend, sqs_backends[account_id][region], events_backends[account_id][region])
            )
    return found


def _record(message: Any, queue: Any, region: str) -> dict[str, Any]:
    return {
        "messageId": message.id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": {"ApproximateReceiveCount": str(message.approximate_receive_count)},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": queue.queue_arn,
        "awsRegion": region,
    }


class EventSources(threading.Thread):
    def __init__(self, interval: float = 0.5) -> None:
        super().__init__(daemon=True, name="event-sources")
        self.interval = interval
        self.stopping = threading.Event()
        self._last_run: dict[str, float] = {}

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        while not self.stopping.wait(self.interval):
            try:
                self.poll_once()
            except Exception:
                log.exception("event source poll failed")

    def poll_once(self) -> None:
        for _account, region, lambdas, sqs, events in _backends():
            for mapping in list(lambdas._event_source_mappings.values()):
                queue = next((q for q in sqs.queues.values() if q.queue_arn == mapping.event_source_arn), None)
                if queue is not None and mapping.enabled:
                    # Lambda polls; moto's call on send would deliver a second time.
                    queue.lambda_event_source_mappings.pop(mapping.function_arn, None)
                    self._deliver(lambdas, sqs, queue, mapping, region)
            self._run_schedules(lambdas, events)

    def _deliver(self, lambdas: Any, sqs: Any, queue: Any, mapping: Any, region: str) -> None:
        messages = sqs.receive_message(queue.name, int(mapping.batch_size or 10), 0, int(queue.visibility_timeout))
        if not messages:
            return
        function = lambdas.get_function(mapping.function_arn)
        payload, errored, _ = function._invoke_lambda(event={"Records": [_record(m, queue, region) for m in messages]})
        if errored:
            return  # the whole batch comes back after its visibility timeout
        failed: set[str] = set()
        if "ReportBatchItemFailures" in (mapping.function_response_types or []):
            try:
                answer = json.loads(payload or "{}")
            except ValueError:
                answer = {}
            failed = {str(item.get("itemIdentifier")) for item in (answer or {}).get("batchItemFailures", [])}
        for message in messages:
            if message.id not in failed:
                sqs.delete_message(queue.name, message.receipt_handle)

    def _run_schedules(self, lambdas: Any, events: Any) -> None:
        now = time.monotonic()
        for rule in [r for bus in list(events.event_buses.values()) for r in list(bus.rules.values())]:
            every = rate_seconds(rule.scheduled_expression or "")
            if every is None or rule.state != "ENABLED":
                continue
            last = self._last_run.setdefault(rule.arn, now)  # the first run comes one period after start
            if now - last < every:
                continue
            self._last_run[rule.arn] = now
            for target in rule.targets:
                if ":lambda:" in target["Arn"]:
                    event = {"source": "aws.events", "detail-type": "Scheduled Event", "resources": [rule.arn]}
                    lambdas.get_function(target["Arn"])._invoke_lambda(event={**event, "detail": {}})
