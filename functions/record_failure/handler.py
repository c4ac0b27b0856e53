"""RecordFailure step: the job ends FAILED with a code and a reason."""

from __future__ import annotations

import time

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from ytcaption.domain.steps import RecordFailureInput
from ytcaption.finish.failures import record
from ytcaption.settings import get_settings
from ytcaption.store.jobs import JobStore

logger = Logger()
tracer = Tracer()
metrics = Metrics()
store = JobStore(get_settings().table)


@logger.inject_lambda_context(correlation_id_path="job_id")
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=RecordFailureInput)
def lambda_handler(event: RecordFailureInput, context: LambdaContext) -> dict[str, str]:
    code, reason, recorded = record(store, event.job_id, event.error, time.time())
    if recorded:
        metrics.add_metric(name="JobsFailed", unit=MetricUnit.Count, value=1)
        logger.warning("job failed", extra={"error_code": code, "reason": reason})
    else:
        logger.info("job had already ended; its own outcome is kept", extra={"error_code": code})
    return {"code": code, "reason": reason}
