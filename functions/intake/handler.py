"""S3 ObjectCreated under uploads/ -> (intake queue) -> create the job and start its execution.

The events come in SQS batches: an upload whose job could not be started is
reported as a batch item failure and comes back after the visibility timeout,
then goes to the dead-letter queue; the others of the batch are done.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from ytcaption.intake.uploads import start_upload_job
from ytcaption.settings import get_settings
from ytcaption.store.jobs import JobStore

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
settings = get_settings()
store = JobStore(settings.table)


def start_jobs(record: SQSRecord) -> list[str]:
    body = json.loads(record.body)
    if body.get("Event") == "s3:TestEvent":  # S3 sends one when the notification is set up
        return []
    jobs = []
    for upload in S3Event(body).records:
        obj = upload.s3.get_object
        key = unquote_plus(obj.key)  # S3 event keys arrive URL-encoded
        job_id = start_upload_job(upload.s3.bucket.name, key, obj.etag, settings, store, size=obj.size)
        if job_id:
            logger.info("job started for upload", extra={"key": key, "job_id": job_id})
            metrics.add_metric(name="JobsStarted", unit=MetricUnit.Count, value=1)
            jobs.append(job_id)
    return jobs


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=start_jobs, processor=processor, context=context)
