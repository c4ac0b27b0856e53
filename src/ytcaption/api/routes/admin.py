"""/v1/admin: operator controls, for the keys of an admin tenant only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ytcaption.api.deps import Admin, BaseUrl, JobId, Service
from ytcaption.api.presenters import to_admin_transcription
from ytcaption.api.problems import problem_responses
from ytcaption.api.schemas import AdminTranscription, AdminTranscriptionPage, DeadLettersMoved, Redrive, Stats
from ytcaption.domain.vocabulary import Status

router = APIRouter(tags=["admin"])


@router.get(
    "/v1/admin/transcriptions",
    response_model=AdminTranscriptionPage,
    summary="Every tenant's transcriptions, newest first within a page (a table scan)",
    responses=problem_responses(401, 403, 422),
)
def admin_list_transcriptions(
    service: Service,
    who: Admin,
    base: BaseUrl,
    status: Annotated[Status | None, Query(description="only this status")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048, description="next_cursor of the previous page")] = None,
) -> AdminTranscriptionPage:
    jobs, next_cursor = service.admin_list_jobs(status, limit, cursor)
    return AdminTranscriptionPage(items=[to_admin_transcription(job, base) for job in jobs], next_cursor=next_cursor)


@router.delete(
    "/v1/admin/transcriptions/{job_id}",
    response_model=AdminTranscription,
    summary="Cancel any tenant's transcription",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def admin_cancel_transcription(service: Service, who: Admin, base: BaseUrl, job_id: JobId) -> AdminTranscription:
    return to_admin_transcription(service.admin_cancel(who, job_id), base)


@router.post(
    "/v1/admin/transcriptions/{job_id}/redrive",
    status_code=202,
    response_model=Redrive,
    summary="Run a FAILED transcription again, as a new execution (resuming after the download if it was done)",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def admin_redrive_transcription(service: Service, who: Admin, base: BaseUrl, job_id: JobId) -> Redrive:
    job, name = service.admin_redrive(who, job_id)
    return Redrive(transcription=to_admin_transcription(job, base), execution_name=name)


@router.post(
    "/v1/admin/dead-letters/redrive",
    response_model=DeadLettersMoved,
    summary="Move the dead-lettered transcription tasks back to the work queue",
    responses=problem_responses(401, 403),
)
def admin_redrive_dead_letters(service: Service, who: Admin) -> DeadLettersMoved:
    return DeadLettersMoved(moved=service.admin_redrive_dead_letters(who))


@router.get(
    "/v1/admin/stats",
    response_model=Stats,
    summary="Jobs by status, audio hours, median real-time factor, queue depths, oldest queued job",
    responses=problem_responses(401, 403),
)
def admin_stats(service: Service, who: Admin) -> Stats:
    return Stats.model_validate(service.admin_stats())
