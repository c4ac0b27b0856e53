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
published event reaches: `patch_rules`). It reads moto's backends
in-process; tests/unit/local/test_event_sources.py fails if those change.

moto's Step Functions emits no "Step Functions Execution Status Change" events,
and a StopExecution during a callback wait leaves the execution RUNNING until
its heartbeat expires. So `EventSources` also watches executions: one that ends
ABORTED, TIMED_OUT or FAILED, or that StopExecution was called for (ABORTED at
once, as in AWS), gets its status-change event put through the default bus's
rules: the emulator's own targets (SQS, logs) and their Lambda targets, which
moto's EventBridge does not invoke.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger(__name__)

_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


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


ENDS_REPORTED = ("ABORTED", "TIMED_OUT", "FAILED")
# Execution ARN -> when StopExecution was called for it (filled by the patch `watch_stops` installs).
_STOP_REQUESTS: dict[str, datetime] = {}


def watch_stops() -> None:
    """Remember every StopExecution: AWS reports such an execution ABORTED at once."""
    from moto.stepfunctions.models import StepFunctionBackend

    original = StepFunctionBackend.stop_execution
    if getattr(original, "_ytc_watched", False):
        return

    def stop_execution(self: Any, execution_arn: str) -> Any:
        stopped = original(self, execution_arn)
        _STOP_REQUESTS.setdefault(execution_arn, datetime.now(UTC))
        return stopped

    stop_execution._ytc_watched = True  # type: ignore[attr-defined]
    StepFunctionBackend.stop_execution = stop_execution  # type: ignore[method-assign]


# Set whenever a message is sent to a queue (the patch `watch_sends` installs): the pollers look at once,
# as Lambda's long-polling pollers do, instead of at their next tick (an upload waited up to `interval`).
# One event for the process, not one per poller, and that is harmless: there is one emulator (one
# EventSources) per process, and a spare wake-up is only an early look at the queues: a stop() that
# wakes another instance, or the poller's own sends, cost one extra poll; a wake-up that another
# instance cleared leaves a poller at its `interval` tick, as before.
_SENT = threading.Event()


def watch_sends() -> None:
    """Wake the pollers when any queue gets a message."""
    from moto.sqs.models import Queue

    original = Queue.add_message
    if getattr(original, "_ytc_watched", False):
        return

    def add_message(self: Any, message: Any) -> None:
        original(self, message)
        _SENT.set()

    add_message._ytc_watched = True  # type: ignore[attr-defined]
    Queue.add_message = add_message  # type: ignore[method-assign]


def _invoke_async(function: Any, event: dict[str, Any]) -> None:
    """As Lambda's asynchronous invocation: at once, each on a thread of its own, so invocations
    overlap and may finish in any order (as in AWS, where this queue keeps no order either)."""
    invocation = threading.Thread(target=_invoke, args=(function, event), daemon=True, name="rule-target")
    invocation.start()


def _invoke(function: Any, event: dict[str, Any]) -> None:
    try:
        function._invoke_lambda(event=event)
    except Exception:
        log.exception("asynchronous invocation of %s failed", function.function_name)


def patch_rules() -> None:
    """EventBridge rules as in AWS: a scheduled rule matches no event (moto's empty pattern matches
    every one), and a Lambda target is invoked asynchronously (moto's put_events raises
    NotImplementedError for it); moto delivers to the other targets."""
    from moto.awslambda.models import lambda_backends
    from moto.events.models import Rule

    original = Rule.send_to_targets
    if getattr(original, "_ytc_patched", False):
        return

    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        if self.scheduled_expression or not self.event_pattern.get_pattern():
            return
        if not self.event_pattern.matches_event(original_event):
            return
        functions = [t for t in self.targets if ":lambda:" in t["Arn"]]
        others = [t for t in self.targets if ":lambda:" not in t["Arn"]]
        if others:
            rest = copy.copy(self)
            rest.targets = others
            original(rest, original_event, transform_input)
        for target in functions:
            arn = target["Arn"]
            account, region = arn.split(":")[4], arn.split(":")[3]
            function = lambda_backends[account][region].get_function(arn)
            _invoke_async(function, json.loads(json.dumps(original_event, default=str)))

    send_to_targets._ytc_patched = True  # type: ignore[attr-defined]
    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]


def _executions(account: str, region: str) -> list[Any]:
    """Every execution moto knows in this region (its interpreter's backend, and the plain one)."""
    from moto.stepfunctions.models import stepfunctions_backends
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    found = []
    for backends in (stepfunctions_parser_backends, stepfunctions_backends):
        if account in backends and region in backends[account]:
            for machine in list(backends[account][region].state_machines):
                found.extend(list(machine.executions))
    return found


def _millis(at: Any) -> int | None:
    return int(at.timestamp() * 1000) if isinstance(at, datetime) else None


def status_change_event(execution: Any, status: str, account: str, region: str) -> dict[str, Any]:
    """The event EventBridge gets from Step Functions when an execution's status changes."""
    arn = getattr(execution, "exec_arn", None) or execution.execution_arn
    given = getattr(execution, "input_data", None)
    stopped = _STOP_REQUESTS.get(arn) or getattr(execution, "stop_date", None) or datetime.now(UTC)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": account,
        "time": stopped.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [arn],
        "detail": {
            "executionArn": arn,
            "stateMachineArn": execution.state_machine_arn,
            "name": execution.name,
            "status": status,
            "startDate": _millis(execution.start_date),
            "stopDate": _millis(stopped),
            "input": json.dumps(given) if given is not None else getattr(execution, "execution_input", None),
            "output": None,
            "error": getattr(execution, "error", None) or None,
            "cause": getattr(execution, "cause", None) or None,
        },
    }


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
        self._reported: set[str] = set()  # executions whose end was told (or that ended well)
        watch_stops()
        watch_sends()
        patch_rules()

    def stop(self) -> None:
        self.stopping.set()
        _SENT.set()

    def run(self) -> None:
        while True:
            _SENT.wait(self.interval)
            _SENT.clear()
            if self.stopping.is_set():
                return
            try:
                self.poll_once()
            except Exception:
                log.exception("event source poll failed")

    def poll_once(self) -> None:
        for account, region, lambdas, sqs, events in _backends():
            for mapping in list(lambdas._event_source_mappings.values()):
                queue = next((q for q in sqs.queues.values() if q.queue_arn == mapping.event_source_arn), None)
                if queue is not None and mapping.enabled:
                    # Lambda polls; moto's call on send would deliver a second time.
                    queue.lambda_event_source_mappings.pop(mapping.function_arn, None)
                    self._deliver(lambdas, sqs, queue, mapping, region)
            self._run_schedules(lambdas, events)
            self._report_execution_ends(account, region, events)

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

    def _report_execution_ends(self, account: str, region: str, events: Any) -> None:
        for execution in _executions(account, region):
            arn = getattr(execution, "exec_arn", None) or execution.execution_arn
            if arn in self._reported:
                continue
            status = getattr(getattr(execution, "exec_status", None), "value", None) or getattr(
                execution, "status", None
            )
            if arn in _STOP_REQUESTS:
                status = "ABORTED"
            if status in (None, "RUNNING", "PENDING_REDRIVE"):
                continue
            self._reported.add(arn)
            if status in ENDS_REPORTED:
                self.route(status_change_event(execution, str(status), account, region), events)

    @staticmethod
    def route(event: dict[str, Any], events: Any) -> None:
        """Through the rules of the default bus, as put_events would (with Lambda targets: see `patch_rules`)."""
        for rule in list(events.event_buses["default"].rules.values()):
            if rule.state == "ENABLED":
                rule.send_to_targets(copy.deepcopy(event))
