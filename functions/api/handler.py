"""The public HTTP API on Lambda: API Gateway (REST, proxy integration) -> Mangum -> FastAPI.

The app itself lives in the core package (ytcaption.api.app), so local mode
serves the very same app with uvicorn.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from mangum import Mangum

from ytcaption.api.app import create_app
from ytcaption.api.service import Hooks

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def _metric(name: str, value: float) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def _job(job_id: str) -> None:
    # The job id is the correlation id of every log line about it.
    logger.append_keys(correlation_id=job_id)


app = create_app(hooks=Hooks(metric=_metric, job=_job))
asgi = Mangum(app, lifespan="off")


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response: dict[str, Any] = asgi(event, context)
    logger.info(
        "request",
        extra={
            "method": event.get("httpMethod"),
            "path": event.get("path"),
            "status": response.get("statusCode"),
        },
    )
    return response
