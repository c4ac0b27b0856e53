"""ReconcileBatches (every few minutes): a batch whose expansion died is expanded again, or ends FAILED
with a reason (ytcaption.batch.reconcile)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ytcaption.batch.reconcile import reconcile_batches
from ytcaption.settings import get_settings
from ytcaption.store.batches import BatchStore

logger = Logger()
tracer = Tracer()
metrics = Metrics()
settings = get_settings()
batches = BatchStore(settings.table)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # A scheduled event carries nothing we read; an operator may pass {"min_age_seconds": 0}.
    min_age = event.get("min_age_seconds") if isinstance(event, dict) else None
    done = reconcile_batches(settings, batches, int(min_age) if min_age is not None else None)
    metrics.add_metric(name="BatchExpansionsRetried", unit=MetricUnit.Count, value=len(done["retried"]))
    metrics.add_metric(name="BatchExpansionsFailed", unit=MetricUnit.Count, value=len(done["failed"]))
    if done["retried"] or done["failed"]:
        logger.warning("batches whose expansion died", extra=done)
    return done
