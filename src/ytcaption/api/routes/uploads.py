"""/v1/uploads: presigned uploads of files to transcribe, and whether they arrived."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ytcaption.api.deps import BaseUrl, Caller, Service, UploadId
from ytcaption.api.problems import problem_responses
from ytcaption.api.schemas import UploadRequest, UploadStatus, UploadTicket

router = APIRouter(tags=["uploads"])


@router.post(
    "/v1/uploads",
    status_code=201,
    response_model=UploadTicket,
    summary="A presigned S3 POST for one file; the transcription starts when it lands",
    responses={**problem_responses(400, 401, 413, 422)},
)
def create_upload(
    body: UploadRequest, response: Response, service: Service, who: Caller, base: BaseUrl
) -> UploadTicket:
    ticket = service.create_upload(who, body, base)
    response.headers["Location"] = ticket.links["self"]
    return ticket


@router.get(
    "/v1/uploads/{upload_id}",
    response_model=UploadStatus,
    summary="Whether the file has arrived, and the transcription it started",
    responses=problem_responses(401, 404, 422),
)
def get_upload(service: Service, who: Caller, base: BaseUrl, upload_id: UploadId) -> UploadStatus:
    return service.upload_status(who, upload_id, base)
