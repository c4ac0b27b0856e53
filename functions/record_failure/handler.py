"""RecordFailure step: the job ends FAILED with a code and a reason."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ytcaption.failures import describe
from ytcaption.jobstore import JobStore
from ytcaption.settings import get_settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()
store = JobStore(get_settings().table)


@logger.inject_lambda_context(correlation_id_path="job_id")
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    job_id = event["job_id"]
    code, reason = describe(event.get("error") or {})
    if not store.fail(job_id, code, reason):
        # Already ended (the worker wrote its own reason, or it was cancelled): keep that.
        job = store.get(job_id)
        if job and job.error_code:
            code_str, reason = job.error_code, job.error_reason or reason
            logger.info("job had already ended", extra={"status": job.status, "error_code": code_str})
            return {"code": code_str, "reason": reason}
    metrics.add_metric(name="JobsFailed", unit=MetricUnit.Count, value=1)
    logger.warning("job failed", extra={"error_code": str(code), "reason": reason})
    return {"code": str(code), "reason": reason}
