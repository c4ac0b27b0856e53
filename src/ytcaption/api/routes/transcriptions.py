"""/v1/transcriptions: request, list, read, download, follow, name speakers and cancel transcriptions."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ConfigDict

from ytcaption.api.deps import BaseUrl, Caller, JobId, Service
from ytcaption.api.invalid import field_problem
from ytcaption.api.presenters import to_event, to_transcription
from ytcaption.api.problems import problem_responses
from ytcaption.api.schemas import (
    RESULT_LINK_TYPE,
    AudioLink,
    JobEvents,
    ResultLink,
    SpeakerNamesIn,
    Transcription,
    TranscriptionPage,
    TranscriptionRequest,
)
from ytcaption.api.service import RESULT_LINK_SECONDS
from ytcaption.domain.captions.rules import SubtitleSettings
from ytcaption.domain.job import iso, utcnow
from ytcaption.domain.vocabulary import ResultFormat, Status
from ytcaption.resources import AUDIO_LINK_PATH

router = APIRouter(tags=["transcriptions"])

IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")


class SubtitleQuery(SubtitleSettings):
    """The subtitle settings as query parameters of a download (the other query parameters pass)."""

    model_config = ConfigDict(extra="ignore", frozen=True)


SUBTITLE_DEFAULTS = SubtitleQuery()


def check_idempotency_key(key: str | None) -> None:
    if key is not None and not IDEMPOTENCY_KEY.fullmatch(key):
        raise field_problem("header.Idempotency-Key", "must be 1-255 printable ASCII characters without spaces")


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
    check_idempotency_key(idempotency_key)
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
                RESULT_LINK_TYPE: {"schema": ResultLink.model_json_schema()},
            },
        },
        303: {"description": "A large result: follow `Location` (a presigned download URL; send no key there)"},
        **problem_responses(401, 404, 409, 413, 422),
    },
)
def get_result(
    service: Service,
    who: Caller,
    job_id: JobId,
    format: Annotated[ResultFormat, Query(description="json, txt, srt or vtt")] = "json",
    subtitles: Annotated[
        SubtitleQuery,
        Query(description="srt and vtt only: other subtitle settings, rendered again from the stored transcript"),
    ] = SUBTITLE_DEFAULTS,
    redirect: Annotated[
        bool,
        Query(
            description="false: a large result is answered 200 with its link as JSON (media type "
            f"`{RESULT_LINK_TYPE}`) instead of a 303: a page's fetch cannot read a redirect, and following "
            "one would send its key to S3"
        ),
    ] = True,
) -> Response:
    given = subtitles.model_dump(exclude_unset=True)
    content, media_type, link = service.result(
        who, job_id, format, SubtitleSettings.model_validate(given) if given else None
    )
    if link and redirect:
        return RedirectResponse(link, status_code=303)
    if link:
        expires_at = iso(utcnow() + timedelta(seconds=RESULT_LINK_SECONDS))
        body = ResultLink(url=link, expires_at=expires_at).model_dump_json()
        return Response(content=body, media_type=RESULT_LINK_TYPE)
    headers = {"Content-Disposition": f'inline; filename="{job_id}.{format}"'}
    return Response(content=content, media_type=media_type, headers=headers)


@router.get(
    "/v1/transcriptions/{job_id}/audio",
    summary="The audio that was transcribed: a redirect to a presigned download",
    response_model=AudioLink,
    responses={
        200: {
            "description": "With `redirect=false`: a link that works for 4 hours without a key (a page sets it as "
            "an audio source): each request for it is redirected to a presigned GET signed then"
        },
        307: {"description": "Follow `Location` at once (a presigned GET of the audio, valid for 15 minutes)"},
        **problem_responses(401, 404, 422),
    },
)
def get_audio(
    service: Service,
    who: Caller,
    job_id: JobId,
    request: Request,
    redirect: Annotated[
        bool,
        Query(description="false: answer the URL as JSON instead of redirecting (browsers cannot read a redirect)"),
    ] = True,
) -> Response | AudioLink:
    if redirect:
        return RedirectResponse(service.audio(who, job_id), status_code=307)
    token, expires = service.audio_ticket(who, job_id)
    # Absolute (with the stage's root): an <audio> element on a page hosted elsewhere loads it as is.
    url = f"{str(request.base_url).rstrip('/')}{AUDIO_LINK_PATH}/{token}"
    return AudioLink(url=url, expires_at=iso(datetime.fromtimestamp(expires, UTC)))


@router.get(
    AUDIO_LINK_PATH + "/{token}",
    summary="A job's audio by the link `GET /v1/transcriptions/{id}/audio?redirect=false` gave: no key needed",
    status_code=307,
    responses={
        307: {"description": "Follow `Location` (a presigned GET of the audio, signed now, valid for 15 minutes)"},
        **problem_responses(404, 422),
    },
)
def get_audio_by_link(
    service: Service, token: Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{16,64}$", description="the link's token")]
) -> Response:
    return RedirectResponse(service.redeem_audio_ticket(token), status_code=307)


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
