"""The FastAPI app: routes over ApiService, problem+json errors, the OpenAPI document.

One app for every host: Mangum in the `api` Lambda (functions/api/handler.py)
and uvicorn in local mode (`ytcaption local up`, `create_app` as a factory).
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Path, Query, Request, Response, Security
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.security import APIKeyHeader
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ytcaption.api.problems import PROBLEM_MEDIA_TYPE, TITLES, ApiProblem, field_path, problem_body
from ytcaption.api.schemas import (
    AdminTranscription,
    AdminTranscriptionPage,
    DeadLettersMoved,
    FieldError,
    Health,
    JobEvents,
    Problem,
    Redrive,
    Stats,
    Transcription,
    TranscriptionPage,
    TranscriptionRequest,
    UploadRequest,
    UploadStatus,
    UploadTicket,
)
from ytcaption.api.service import ApiService, Hooks, to_admin_transcription, to_transcription
from ytcaption.domain.vocabulary import ResultFormat, Status
from ytcaption.settings import Settings, get_settings
from ytcaption.store.apikeys import ApiKey

log = logging.getLogger(__name__)

API_VERSION = "1.0.0"
DESCRIPTION = """Transcripts and subtitles (JSON, TXT, SRT, WebVTT) from video URLs and uploaded files, made by Whisper.

Every route but `/health/*` needs an API key in the `X-Api-Key` header (`ytcaption keys create --tenant NAME`).
Errors are `application/problem+json` (RFC 9457) with a stable `code`."""

JOB_ID = Path(
    pattern=r"^[A-Za-z0-9_-]{1,128}$", description="the transcription's id", examples=["job-0123456789abcdef01234567"]
)
UPLOAD_ID = Path(pattern=r"^[0-9a-f]{32}$", description="the upload's id")
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")

_api_key = APIKeyHeader(name="X-Api-Key", scheme_name="ApiKey", auto_error=False, description="your API key (ytc_...)")


def _problem_response(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "description": {
                400: "Bad request",
                401: "Missing or invalid API key",
                403: "The API key is not an admin key",
                404: "Not found (or another tenant's)",
                409: "Conflict with the resource's state",
                413: "Too large",
                422: "Invalid request, with field paths",
                429: "A per-tenant limit was reached",
                503: "A dependency is unavailable",
            }.get(status, "Error"),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def _caller(request: Request, key: Annotated[str | None, Security(_api_key)] = None) -> ApiKey:
    service: ApiService = request.app.state.service()
    return service.authenticate(key)


Caller = Annotated[ApiKey, Depends(_caller)]


def _admin(request: Request, who: Caller) -> ApiKey:
    service: ApiService = request.app.state.service()
    return service.require_admin(who)


# A key of a tenant listed in the admin_tenants setting (YTC_ADMIN_TENANTS).
Admin = Annotated[ApiKey, Depends(_admin)]


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
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            body = problem_body(500, "internal-error", "Something went wrong on our side; it has been logged.")
            response = JSONResponse(body, status_code=500, media_type=PROBLEM_MEDIA_TYPE)
            await response(scope, receive, send)


def create_app(settings: Settings | None = None, hooks: Hooks | None = None) -> FastAPI:
    """The app; its AWS clients are made on the first request (a cheap import and cold start)."""
    app = FastAPI(
        title="YTCaption API",
        version=API_VERSION,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        generate_unique_id_function=lambda route: route.name,
    )
    lock = threading.Lock()
    holder: dict[str, ApiService] = {}

    def service() -> ApiService:
        # One service for auth and routes alike; tests may swap app.state.service.
        if app.state.service is not service:
            replacement: ApiService = app.state.service()
            return replacement
        if "service" not in holder:
            with lock:
                if "service" not in holder:
                    holder["service"] = ApiService(settings or get_settings(), hooks)
        return holder["service"]

    app.state.service = service

    def base(request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

    # -- errors -----------------------------------------------------------------------

    @app.exception_handler(ApiProblem)
    async def _on_problem(request: Request, exc: ApiProblem) -> JSONResponse:
        return _problem(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            FieldError(field=field_path(e.get("loc", ())), message=str(e.get("msg", "")), type=str(e.get("type", "")))
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors[:5]) or "The request is not valid."
        problem = ApiProblem(422, "validation-error", detail, errors=[e.model_dump() for e in errors])
        return _problem(problem, request)

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

    # -- transcriptions ---------------------------------------------------------------

    @app.post(
        "/v1/transcriptions",
        status_code=202,
        response_model=Transcription,
        tags=["transcriptions"],
        summary="Request a transcription of a URL or an upload",
        responses={
            202: {"description": "Accepted; `Location` names the transcription", "headers": {
                "Location": {"schema": {"type": "string"}, "description": "the transcription's URL"}}},
            **_problem_response(400, 401, 404, 409, 422, 429),
        },
    )  # fmt: skip
    def create_transcription(
        body: TranscriptionRequest,
        request: Request,
        response: Response,
        who: Caller,
        idempotency_key: Annotated[
            str | None,
            Header(
                alias="Idempotency-Key",
                max_length=255,
                description="a retried request with the same key returns the same transcription, never a second one",
            ),
        ] = None,
    ) -> Transcription:
        if idempotency_key is not None and not IDEMPOTENCY_KEY.fullmatch(idempotency_key):
            raise ApiProblem(
                422,
                "validation-error",
                "Idempotency-Key must be 1-255 printable ASCII characters without spaces.",
                errors=[{"field": "header.Idempotency-Key", "message": "invalid", "type": "value_error"}],
            )
        item, replayed = service().create(who, body, idempotency_key)
        out = to_transcription(item, base(request))
        response.headers["Location"] = out.links.self
        if replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return out

    @app.get(
        "/v1/transcriptions",
        response_model=TranscriptionPage,
        tags=["transcriptions"],
        summary="Your transcriptions, newest first",
        responses=_problem_response(401, 422),
    )
    def list_transcriptions(
        request: Request,
        who: Caller,
        status: Annotated[Status | None, Query(description="only this status")] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        cursor: Annotated[str | None, Query(max_length=2048, description="next_cursor of the previous page")] = None,
    ) -> TranscriptionPage:
        items, next_cursor = service().list_jobs(who, status, limit, cursor)
        return TranscriptionPage(items=[to_transcription(i, base(request)) for i in items], next_cursor=next_cursor)

    @app.get(
        "/v1/transcriptions/{job_id}",
        response_model=Transcription,
        tags=["transcriptions"],
        summary="Status, progress, media, options, error or result links",
        responses=_problem_response(401, 404, 422),
    )
    def get_transcription(request: Request, who: Caller, job_id: Annotated[str, JOB_ID]) -> Transcription:
        return to_transcription(service().visible_job(who, job_id), base(request))

    @app.get(
        "/v1/transcriptions/{job_id}/result",
        tags=["transcriptions"],
        summary="The transcript in the format asked for",
        response_class=Response,
        responses={
            200: {
                "description": "The transcript",
                "content": {
                    "application/json": {"schema": {"type": "object"}},
                    "text/plain": {"schema": {"type": "string"}},
                    "application/x-subrip": {"schema": {"type": "string"}},
                    "text/vtt": {"schema": {"type": "string"}},
                },
            },
            303: {"description": "A large result: follow `Location` (a presigned download URL)"},
            **_problem_response(401, 404, 409, 422),
        },
    )
    def get_result(
        who: Caller,
        job_id: Annotated[str, JOB_ID],
        format: Annotated[ResultFormat, Query(description="json, txt, srt or vtt")] = "json",
    ) -> Response:
        content, media_type, redirect = service().result(who, job_id, format)
        if redirect:
            return RedirectResponse(redirect, status_code=303)
        headers = {"Content-Disposition": f'inline; filename="{job_id}.{format}"'}
        return Response(content=content, media_type=media_type, headers=headers)

    @app.get(
        "/v1/transcriptions/{job_id}/events",
        response_model=JobEvents,
        tags=["transcriptions"],
        summary="The statuses the transcription went through, in order",
        responses=_problem_response(401, 404, 422),
    )
    def get_events(who: Caller, job_id: Annotated[str, JOB_ID]) -> JobEvents:
        return JobEvents(id=job_id, events=service().events(who, job_id))

    @app.delete(
        "/v1/transcriptions/{job_id}",
        response_model=Transcription,
        tags=["transcriptions"],
        summary="Cancel: the transcription becomes CANCELLED and its work stops",
        responses=_problem_response(401, 404, 409, 422),
    )
    def cancel_transcription(request: Request, who: Caller, job_id: Annotated[str, JOB_ID]) -> Transcription:
        return to_transcription(service().cancel(who, job_id), base(request))

    # -- uploads ------------------------------------------------------------------------

    @app.post(
        "/v1/uploads",
        status_code=201,
        response_model=UploadTicket,
        tags=["uploads"],
        summary="A presigned S3 POST for one file; the transcription starts when it lands",
        responses={**_problem_response(400, 401, 413, 422)},
    )
    def create_upload(body: UploadRequest, request: Request, response: Response, who: Caller) -> UploadTicket:
        ticket = service().create_upload(who, body, base(request))
        response.headers["Location"] = ticket.links["self"]
        return ticket

    @app.get(
        "/v1/uploads/{upload_id}",
        response_model=UploadStatus,
        tags=["uploads"],
        summary="Whether the file has arrived, and the transcription it started",
        responses=_problem_response(401, 404, 422),
    )
    def get_upload(request: Request, who: Caller, upload_id: Annotated[str, UPLOAD_ID]) -> UploadStatus:
        return service().upload_status(who, upload_id, base(request))

    # -- operators (an admin tenant's key) -------------------------------------------

    @app.get(
        "/v1/admin/transcriptions",
        response_model=AdminTranscriptionPage,
        tags=["admin"],
        summary="Every tenant's transcriptions, newest first within a page (a table scan)",
        responses=_problem_response(401, 403, 422),
    )
    def admin_list_transcriptions(
        request: Request,
        who: Admin,
        status: Annotated[Status | None, Query(description="only this status")] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        cursor: Annotated[str | None, Query(max_length=2048, description="next_cursor of the previous page")] = None,
    ) -> AdminTranscriptionPage:
        items, next_cursor = service().admin_list_jobs(status, limit, cursor)
        return AdminTranscriptionPage(
            items=[to_admin_transcription(i, base(request)) for i in items], next_cursor=next_cursor
        )

    @app.delete(
        "/v1/admin/transcriptions/{job_id}",
        response_model=AdminTranscription,
        tags=["admin"],
        summary="Cancel any tenant's transcription",
        responses=_problem_response(401, 403, 404, 409, 422),
    )
    def admin_cancel_transcription(request: Request, who: Admin, job_id: Annotated[str, JOB_ID]) -> AdminTranscription:
        return to_admin_transcription(service().admin_cancel(who, job_id), base(request))

    @app.post(
        "/v1/admin/transcriptions/{job_id}/redrive",
        status_code=202,
        response_model=Redrive,
        tags=["admin"],
        summary="Run a FAILED transcription again, as a new execution (resuming after the download if it was done)",
        responses=_problem_response(401, 403, 404, 409, 422),
    )
    def admin_redrive_transcription(request: Request, who: Admin, job_id: Annotated[str, JOB_ID]) -> Redrive:
        item, name = service().admin_redrive(who, job_id)
        return Redrive(transcription=to_admin_transcription(item, base(request)), execution_name=name)

    @app.post(
        "/v1/admin/dead-letters/redrive",
        response_model=DeadLettersMoved,
        tags=["admin"],
        summary="Move the dead-lettered transcription tasks back to the work queue",
        responses=_problem_response(401, 403),
    )
    def admin_redrive_dead_letters(who: Admin) -> DeadLettersMoved:
        return DeadLettersMoved(moved=service().admin_redrive_dead_letters(who))

    @app.get(
        "/v1/admin/stats",
        response_model=Stats,
        tags=["admin"],
        summary="Jobs by status, audio hours, median real-time factor, queue depths, oldest queued job",
        responses=_problem_response(401, 403),
    )
    def admin_stats(who: Admin) -> Stats:
        return Stats.model_validate(service().admin_stats())

    # -- health -------------------------------------------------------------------------

    @app.get("/health/live", response_model=Health, tags=["health"], summary="The process answers")
    def live() -> Health:
        return Health(status="ok")

    @app.get(
        "/health/ready",
        response_model=Health,
        tags=["health"],
        summary="DynamoDB, S3, SQS and Step Functions answer",
        responses={503: {"description": "A dependency is unavailable", "model": Health}},
    )
    def ready(response: Response) -> Health:
        checks = service().readiness()
        healthy = all(v == "ok" for v in checks.values())
        if not healthy:
            response.status_code = 503
        return Health(status="ok" if healthy else "unavailable", checks=checks)

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
