"""S3 ObjectCreated under uploads/ -> create the job and start its execution."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from ytcaption.intake.uploads import start_upload_job
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
@event_source(data_class=S3Event)
def lambda_handler(event: S3Event, context: LambdaContext) -> dict[str, Any]:
    jobs = []
    for record in event.records:
        # S3 event keys arrive URL-encoded.
        key = unquote_plus(record.s3.get_object.key)
        obj = record.s3.get_object
        job_id = start_upload_job(record.s3.bucket.name, key, obj.etag, settings, store, size=obj.size)
        if job_id:
            logger.append_keys(correlation_id=job_id)
            logger.info("job started for upload", extra={"key": key})
            metrics.add_metric(name="JobsStarted", unit=MetricUnit.Count, value=1)
            jobs.append(job_id)
    return {"jobs": jobs}
