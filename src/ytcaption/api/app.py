"""The FastAPI app: problem+json errors, the routers, the OpenAPI document.

One app for every host: Mangum in the `api` Lambda (functions/api/handler.py)
and uvicorn in local mode (`ytcaption local up`, `create_app` as a factory).
The routes live in ytcaption.api.routes, what they depend on in ytcaption.api.deps.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ytcaption.api.deps import ServiceProvider
from ytcaption.api.invalid import field_errors, validation_problem
from ytcaption.api.problems import PROBLEM_MEDIA_TYPE, TITLES, ApiProblem, problem_body
from ytcaption.api.routes import admin, batches, health, models, transcriptions, uploads, web
from ytcaption.api.schemas import FieldError, Problem
from ytcaption.api.service import Hooks
from ytcaption.settings import Settings, get_settings
from ytcaption.store import aws

log = logging.getLogger(__name__)

API_VERSION = "1.0.0"
DESCRIPTION = """Transcripts and subtitles (JSON, TXT, SRT, WebVTT) from video URLs and uploaded files, made by Whisper.

Every route but `/health/*` needs an API key in the `X-Api-Key` header (`ytcaption keys create --tenant NAME`).
Errors are `application/problem+json` (RFC 9457) with a stable `code`."""


def _problem(problem: ApiProblem, request: Request) -> JSONResponse:
    return JSONResponse(
        problem.body(instance=request.url.path),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=problem.headers,
    )


class _CatchAll:
    """Unexpected errors become a 500 problem: never a stack trace."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            if aws.unreachable(exc):
                # The store is down or unreachable (locally: the emulator was stopped): retry later.
                log.warning("AWS unreachable on %s %s: %s", scope.get("method"), scope.get("path"), exc)
                body = problem_body(
                    503, "unavailable", "The service cannot reach its storage right now; retry shortly."
                )
                headers = {"Retry-After": "5"}
                response = JSONResponse(body, status_code=503, media_type=PROBLEM_MEDIA_TYPE, headers=headers)
            else:
                log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
                body = problem_body(500, "internal-error", "Something went wrong on our side; it has been logged.")
                response = JSONResponse(body, status_code=500, media_type=PROBLEM_MEDIA_TYPE)
            await response(scope, receive, send)


def create_app(settings: Settings | None = None, hooks: Hooks | None = None) -> FastAPI:
    """The app; its service (and AWS clients) is made on the first request (a cheap import and cold start)."""
    app = FastAPI(
        title="YTCaption API",
        version=API_VERSION,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        generate_unique_id_function=lambda route: route.name,
    )
    # deps.get_service hands it out; tests swap it with app.dependency_overrides[get_service].
    app.state.services = ServiceProvider(settings, hooks)

    # -- errors -----------------------------------------------------------------------

    @app.exception_handler(ApiProblem)
    async def _on_problem(request: Request, exc: ApiProblem) -> JSONResponse:
        return _problem(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [FieldError.model_validate(e).model_dump() for e in field_errors(exc.errors())]
        return _problem(validation_problem(errors), request)

    @app.exception_handler(StarletteHTTPException)
    async def _on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {400: "bad-request", 404: "not-found", 405: "method-not-allowed"}.get(exc.status_code)
        code = code or f"http-{exc.status_code}"
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(code, "Error")
        if exc.status_code == 404:
            detail = f"There is no route {request.url.path}."
        headers = dict(exc.headers or {})
        return _problem(ApiProblem(exc.status_code, code, detail, headers=headers), request)

    app.add_middleware(_CatchAll)
    # Pages served from other origins (YTC_CORS_ORIGINS) may call the API from a browser: only with
    # the methods and headers the web page uses. The page served by the app itself needs none of this.
    origins = (settings or get_settings()).cors_allowed()
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],  # PATCH: naming speakers
            allow_headers=["X-Api-Key", "Content-Type", "Idempotency-Key"],
            expose_headers=["Location", "Retry-After", "Idempotent-Replayed"],
            max_age=600,
        )

    for router in (transcriptions.router, batches.router, uploads.router, models.router, admin.router, health.router):
        app.include_router(router)
    # The local runtime's live-updates WebSocket (in AWS: an API Gateway WebSocket API of its own).
    if (settings or get_settings()).serve_live:
        from ytcaption.api.routes import live

        live.mount(app)
    # The web page for people: GET / and its assets under /app/ (left out of the OpenAPI document).
    web.mount(app, (settings or get_settings()).public_live_url)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(problem.pop("$defs", {}))
            components["Problem"] = problem
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def write_openapi(path: str) -> None:
    """Write the OpenAPI document (the committed openapi.json is made this way)."""
    import json

    with open(path, "w", encoding="utf-8") as out:
        json.dump(create_app().openapi(), out, indent=2, ensure_ascii=False)
        out.write("\n")


if __name__ == "__main__":
    import sys

    write_openapi(sys.argv[1] if len(sys.argv) > 1 else "openapi.json")
