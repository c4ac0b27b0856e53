"""FetchAudio step: make the job's audio ready for a worker."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ytcaption.domain.errors import ErrorCode, YtcError
from ytcaption.fetch.step import fetch_s3_audio, fetch_url_audio
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
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    source = event["source"]
    fetchers = {"s3": fetch_s3_audio, "url": fetch_url_audio}
    fetch = fetchers.get(source.get("type"))
    if fetch is None:
        raise YtcError(ErrorCode.INVALID_REQUEST, f"Unsupported source type {source.get('type')!r}.")
    result = fetch(event["job_id"], source, settings, store)
    metrics.add_metric(name="AudioSeconds", unit=MetricUnit.Seconds, value=result["media"]["duration"])
    if result["captions"]:
        metrics.add_metric(name="CaptionsUsed", unit=MetricUnit.Count, value=1)
    logger.info("audio ready", extra={"media": result["media"]})
    return result
