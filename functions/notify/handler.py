"""Notify step: the job's terminal event to the event bus and the tenant's webhook."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from ytcaption.domain.steps import NotifyInput
from ytcaption.finish.notify import notify_job
from ytcaption.finish.webhooks import WebhookRetryable
from ytcaption.settings import get_settings
from ytcaption.store.jobs import JobStore

logger = Logger()
tracer = Tracer()
metrics = Metrics()
settings = get_settings()
store = JobStore(settings.table)


@logger.inject_lambda_context(correlation_id_path="job_id")
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=NotifyInput)
def lambda_handler(event: NotifyInput, context: LambdaContext) -> dict[str, Any]:
    try:
        answer = notify_job(event.job_id, settings, store, causation_id=getattr(context, "aws_request_id", None))
    except WebhookRetryable:
        metrics.add_metric(name="WebhookRetries", unit=MetricUnit.Count, value=1)
        raise
    if answer.get("webhook", {}).get("outcome") == "failed":
        metrics.add_metric(name="WebhookFailures", unit=MetricUnit.Count, value=1)
    logger.info("notified", extra=answer)
    return answer
