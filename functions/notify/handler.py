"""Notify step: publish the job's terminal event."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from ytcaption.events import envelope, publish
from ytcaption.jobstore import JobStore
from ytcaption.settings import get_settings

logger = Logger()
tracer = Tracer()
store = JobStore(get_settings().table)


@logger.inject_lambda_context(correlation_id_path="job_id")
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    job = store.get(event["job_id"])
    if job is None:
        raise ValueError(f"job {event['job_id']} does not exist")
    message = envelope(job, causation_id=getattr(context, "aws_request_id", None))
    publish(message)
    logger.info("event published", extra={"event_type": message["event_type"]})
    return {"event_id": message["event_id"], "event_type": message["event_type"]}
