"""A job event from the bus (EventBridge rule on source `ytcaption`): recorded in the job's event log
and posted to its WebSocket subscribers through the stage's management API (ytcaption.finish.live)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ytcaption.finish.live import Live, ManagementApi
from ytcaption.settings import get_settings
from ytcaption.store.connections import ConnectionStore
from ytcaption.store.eventlog import EventLog

logger = Logger()
tracer = Tracer()
metrics = Metrics()
settings = get_settings()
live = Live(ConnectionStore(settings.connections_table), EventLog(settings.table))
post = ManagementApi(settings.live_endpoint)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    envelope = event.get("detail") or {}
    logger.append_keys(correlation_id=envelope.get("correlation_id"), event_type=envelope.get("event_type"))
    outcome = live.fan_out(envelope, post)
    metrics.add_metric(name="LiveMessagesPosted", unit=MetricUnit.Count, value=len(outcome.posted))
    if outcome.gone:
        metrics.add_metric(name="LiveConnectionsGone", unit=MetricUnit.Count, value=len(outcome.gone))
    if outcome.failed:
        metrics.add_metric(name="LivePostsFailed", unit=MetricUnit.Count, value=len(outcome.failed))
    answer = {"recorded": outcome.recorded, "posted": len(outcome.posted), "gone": len(outcome.gone),
              "failed": len(outcome.failed)}  # fmt: skip
    logger.info("event fanned out", extra=answer)
    return answer
