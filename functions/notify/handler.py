"""Notify: the one webhook sender. From the state machine, a job's terminal event to the event bus,
its email and the tenant's webhook; from the bus (rule `{prefix}-progress-webhooks`), a progress
event to the webhook of a job that asked for progress."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ytcaption.domain.steps import NotifyInput
from ytcaption.finish.notify import notify_job, notify_progress
from ytcaption.finish.webhooks import WebhookRetryable
from ytcaption.settings import get_settings
from ytcaption.store.jobs import JobStore

logger = Logger()
tracer = Tracer()
metrics = Metrics()
settings = get_settings()
store = JobStore(settings.table)


@logger.inject_lambda_context(correlation_id_path="job_id || detail.correlation_id")
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "detail-type" in event:
        return progress(event["detail"])
    return step(NotifyInput.model_validate(event), context)


def step(event: NotifyInput, context: LambdaContext) -> dict[str, Any]:
    try:
        answer = notify_job(event.job_id, settings, store, causation_id=getattr(context, "aws_request_id", None))
    except WebhookRetryable:
        metrics.add_metric(name="WebhookRetries", unit=MetricUnit.Count, value=1)
        raise
    if answer.get("webhook", {}).get("outcome") == "failed":
        metrics.add_metric(name="WebhookFailures", unit=MetricUnit.Count, value=1)
    logger.info("notified", extra=answer)
    return answer


def progress(event: dict[str, Any]) -> dict[str, Any]:
    """Never raises: an asynchronous invocation that failed would be retried, and progress is not."""
    try:
        answer = notify_progress(event, settings, store)
    except Exception:
        logger.exception("progress webhook failed")
        metrics.add_metric(name="WebhookFailures", unit=MetricUnit.Count, value=1)
        return {"event_id": event.get("event_id"), "webhook": {"outcome": "error"}}
    if answer.get("webhook", {}).get("outcome") in {"failed", "retry"}:
        metrics.add_metric(name="WebhookFailures", unit=MetricUnit.Count, value=1)
    logger.info("progress notified", extra=answer)
    return answer
