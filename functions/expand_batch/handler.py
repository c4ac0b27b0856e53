"""ExpandBatch: invoked asynchronously by the API for a new batch ({"batch_id": ...}); lists its URL
and starts one job per entry (ytcaption.batch.expand). The batch reconciler runs a failed run again
(Lambda does not: the stack sets no retries); the step is idempotent."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ytcaption.batch.expand import expand_batch
from ytcaption.settings import get_settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()
settings = get_settings()


@logger.inject_lambda_context(correlation_id_path="batch_id")
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    answer = expand_batch(str(event["batch_id"]), settings, lambda: context.get_remaining_time_in_millis() / 1000)
    metrics.add_metric(name="BatchJobsLaunched", unit=MetricUnit.Count, value=int(answer.get("launched", 0)))
    logger.info("batch expanded", extra=answer)
    return answer
