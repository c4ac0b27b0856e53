"""FetchAudio step: make the job's audio ready for a worker."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from ytcaption.domain.job import S3Source
from ytcaption.domain.steps import FetchAudioInput
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
@event_parser(model=FetchAudioInput)
def lambda_handler(event: FetchAudioInput, context: LambdaContext) -> dict[str, Any]:
    source = event.source
    if isinstance(source, S3Source):
        result = fetch_s3_audio(event.job_id, source, settings, store)
    else:
        result = fetch_url_audio(event.job_id, source, settings, store)
    metrics.add_metric(name="AudioSeconds", unit=MetricUnit.Seconds, value=float(result.media.get("duration") or 0))
    if result.captions:
        metrics.add_metric(name="CaptionsUsed", unit=MetricUnit.Count, value=1)
    logger.info("audio ready", extra={"media": result.media})
    return result.model_dump(mode="json")
