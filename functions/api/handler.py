"""The public HTTP API on Lambda: API Gateway (REST, proxy integration) -> Mangum -> FastAPI.

The app itself lives in the core package (ytcaption.api.app), so local mode
serves the very same app with uvicorn.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
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


def public_root(event: dict[str, Any]) -> str:
    """The part of the public URL in front of the app's own paths: "/api" behind a stage.

    A REST proxy event's `path` is the app's path (`/v1/transcriptions`); its
    `requestContext.path` is what the client asked for: `/<stage>/v1/transcriptions` on the
    execute-api URL, `/<base path>/v1/...` or just `/v1/...` behind a custom domain. Their
    difference is the root. Without `requestContext.path`, the stage is the root.
    """
    context = event.get("requestContext") or {}
    path = str(event.get("path") or "/").rstrip("/")
    public = str(context.get("path") or "").split("?", 1)[0].rstrip("/")
    if public and public.endswith(path):
        return public[: len(public) - len(path)]
    stage = str(context.get("stage") or "")
    return f"/{stage}" if stage and stage != "$default" else ""


Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


def behind_stage(inner: ASGIApp) -> ASGIApp:
    """Give the app its public root as ASGI `root_path`, so the links, `Location` headers and
    /docs (which loads <root>/openapi.json) it writes resolve through API Gateway.

    Mangum leaves `root_path` empty (its `api_gateway_base_path` only strips a prefix from the
    path). ASGI's `path` includes `root_path`; Starlette routes on the rest.
    """

    async def app(scope: Scope, receive: Callable[[], Awaitable[Any]], send: Callable[[Any], Awaitable[None]]) -> None:
        event = scope.get("aws.event")
        if scope["type"] == "http" and isinstance(event, dict):
            root = public_root(event)
            if root:
                scope = {**scope, "root_path": root, "path": root + scope["path"]}
        await inner(scope, receive, send)

    return app


app = create_app(hooks=Hooks(metric=_metric, job=_job))
asgi = Mangum(behind_stage(app), lifespan="off")  # type: ignore[arg-type]


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
