"""An execution ended ABORTED, TIMED_OUT or FAILED (an EventBridge status-change event):
its job ends too, CANCELLED or FAILED with a reason, and subscribers are told."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ytcaption.finish.stopped import reconcile_execution
from ytcaption.settings import get_settings
from ytcaption.store.jobs import JobStore

logger = Logger()
tracer = Tracer()
metrics = Metrics()
settings = get_settings()
store = JobStore(settings.table)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    answer = reconcile_execution(event.get("detail") or {}, settings, store)
    logger.append_keys(correlation_id=answer.get("job_id"))
    if answer["outcome"] == "reconciled":
        metrics.add_metric(name="ExecutionsReconciled", unit=MetricUnit.Count, value=1)
        logger.warning("job ended with its execution", extra=answer)
    else:
        logger.info("nothing to reconcile", extra=answer)
    return answer
