"""ReconcileUploads (every few minutes): start the job of every upload that has none."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ytcaption.intake.reconcile import reconcile_uploads
from ytcaption.settings import get_settings
from ytcaption.store.jobs import JobStore
from ytcaption.store.media import MediaStore

logger = Logger()
tracer = Tracer()
metrics = Metrics()
settings = get_settings()
store = JobStore(settings.table)
media = MediaStore(settings.bucket)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # A scheduled event carries nothing we read; an operator may pass {"min_age_seconds": 0}.
    min_age = event.get("min_age_seconds") if isinstance(event, dict) else None
    started = reconcile_uploads(settings, store, media, int(min_age) if min_age is not None else None)
    metrics.add_metric(name="UploadsReconciled", unit=MetricUnit.Count, value=len(started))
    if started:
        logger.warning("uploads without a job were started", extra={"jobs": started})
    return {"started": started}
