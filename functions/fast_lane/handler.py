"""FastTranscribe / FastTranscribeChunk steps: a job or one chunk transcribed in this function, by the
GPU worker's own runners (ytcaption.fastlane). Success returns the worker's output; a failure raises
the error a worker would have sent (Cancelled, TIMEOUT, ...), which the state machine matches."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from ytcaption.fastlane.run import FastLaneTask, Sandbox
from ytcaption.settings import get_settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()
# Loaded once per sandbox: the model stays warm between invocations, as in a worker.
sandbox = Sandbox(get_settings())


@logger.inject_lambda_context(correlation_id_path="job_id")
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=FastLaneTask)
def lambda_handler(event: FastLaneTask, context: LambdaContext) -> dict[str, Any]:
    worker_id = f"fast-lane-{context.aws_request_id}"
    output = sandbox.run(event, worker_id, lambda: context.get_remaining_time_in_millis() / 1000)
    metrics.add_metric(name="FastLaneAudioSeconds", unit=MetricUnit.Seconds,
                       value=float(event.chunk.seconds if event.chunk else event.duration or 0))  # fmt: skip
    return output
