"""/v1/transcriptions: request, list, read, download, follow, name speakers and cancel transcriptions."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import RedirectResponse

from ytcaption.api.deps import BaseUrl, Caller, JobId, Service
from ytcaption.api.presenters import to_event, to_transcription
from ytcaption.api.problems import ApiProblem, problem_responses
from ytcaption.api.schemas import (
    AudioLink,
    JobEvents,
    SpeakerNamesIn,
    Transcription,
    TranscriptionPage,
    TranscriptionRequest,
)
from ytcaption.api.service import AUDIO_LINK_SECONDS
from ytcaption.domain.job import iso, utcnow
from ytcaption.domain.vocabulary import ResultFormat, Status

router = APIRouter(tags=["transcriptions"])

IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")


@router.post(
    "/v1/transcriptions",
    status_code=202,
    response_model=Transcription,
    summary="Request a transcription of a URL or an upload",
    responses={
        202: {"description": "Accepted; `Location` names the transcription", "headers": {
            "Location": {"schema": {"type": "string"}, "description": "the transcription's URL"}}},
        **problem_responses(400, 401, 404, 409, 422, 429),
    },
)  # fmt: skip
def create_transcription(
    body: TranscriptionRequest,
    response: Response,
    service: Service,
    who: Caller,
    base: BaseUrl,
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
    job, replayed = service.create(who, body, idempotency_key)
    out = to_transcription(job, base)
    response.headers["Location"] = out.links.self
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return out


@router.get(
    "/v1/transcriptions",
    response_model=TranscriptionPage,
    summary="Your transcriptions, newest first",
    responses=problem_responses(401, 422),
)
def list_transcriptions(
    service: Service,
    who: Caller,
    base: BaseUrl,
    status: Annotated[Status | None, Query(description="only this status")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048, description="next_cursor of the previous page")] = None,
) -> TranscriptionPage:
    jobs, next_cursor = service.list_jobs(who, status, limit, cursor)
    return TranscriptionPage(items=[to_transcription(job, base) for job in jobs], next_cursor=next_cursor)


@router.get(
    "/v1/transcriptions/{job_id}",
    response_model=Transcription,
    summary="Status, progress, media, options, error or result links",
    responses=problem_responses(401, 404, 422),
)
def get_transcription(service: Service, who: Caller, base: BaseUrl, job_id: JobId) -> Transcription:
    return to_transcription(service.visible_job(who, job_id), base)


@router.get(
    "/v1/transcriptions/{job_id}/result",
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
        **problem_responses(401, 404, 409, 422),
    },
)
def get_result(
    service: Service,
    who: Caller,
    job_id: JobId,
    format: Annotated[ResultFormat, Query(description="json, txt, srt or vtt")] = "json",
) -> Response:
    content, media_type, redirect = service.result(who, job_id, format)
    if redirect:
        return RedirectResponse(redirect, status_code=303)
    headers = {"Content-Disposition": f'inline; filename="{job_id}.{format}"'}
    return Response(content=content, media_type=media_type, headers=headers)


@router.get(
    "/v1/transcriptions/{job_id}/audio",
    summary="The audio that was transcribed: a redirect to a presigned download",
    response_model=AudioLink,
    responses={
        200: {"description": "With `redirect=false`: the presigned URL itself (a page sets it as an audio source)"},
        307: {"description": "Follow `Location` (a presigned GET of the audio, valid for 4 hours)"},
        **problem_responses(401, 404, 422),
    },
)
def get_audio(
    service: Service,
    who: Caller,
    job_id: JobId,
    redirect: Annotated[
        bool,
        Query(description="false: answer the URL as JSON instead of redirecting (browsers cannot read a redirect)"),
    ] = True,
) -> Response | AudioLink:
    url = service.audio(who, job_id)
    if redirect:
        return RedirectResponse(url, status_code=307)
    return AudioLink(url=url, expires_at=iso(utcnow() + timedelta(seconds=AUDIO_LINK_SECONDS)))


@router.get(
    "/v1/transcriptions/{job_id}/events",
    response_model=JobEvents,
    summary="The statuses the transcription went through, in order",
    responses=problem_responses(401, 404, 422),
)
def get_events(service: Service, who: Caller, job_id: JobId) -> JobEvents:
    return JobEvents(id=job_id, events=[to_event(item) for item in service.events(who, job_id)])


@router.patch(
    "/v1/transcriptions/{job_id}",
    response_model=Transcription,
    summary="Name the speakers: every result format is rendered again with the names",
    responses=problem_responses(400, 401, 404, 409, 422),
)
def name_speakers(service: Service, who: Caller, base: BaseUrl, job_id: JobId, body: SpeakerNamesIn) -> Transcription:
    return to_transcription(service.rename_speakers(who, job_id, body.speakers), base)


@router.delete(
    "/v1/transcriptions/{job_id}",
    response_model=Transcription,
    summary="Cancel: the transcription becomes CANCELLED and its work stops",
    responses=problem_responses(401, 404, 409, 422),
)
def cancel_transcription(service: Service, who: Caller, base: BaseUrl, job_id: JobId) -> Transcription:
    return to_transcription(service.cancel(who, job_id), base)
