"""/v1/batches: a playlist, channel or podcast feed as one request, one transcription per entry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response

from ytcaption.api.batch_schemas import Batch, BatchPage, BatchRequest
from ytcaption.api.batches import BatchService
from ytcaption.api.deps import BaseUrl, Caller, Service
from ytcaption.api.problems import problem_responses
from ytcaption.api.routes.transcriptions import check_idempotency_key

router = APIRouter(tags=["batches"])

BatchId = Annotated[str, Path(pattern=r"^batch-[0-9a-f]{24}$", description="the batch's id")]


@router.post(
    "/v1/batches",
    status_code=202,
    response_model=Batch,
    summary="Transcribe every entry of a playlist, channel or podcast feed",
    responses={
        202: {
            "description": "Accepted; the entries are listed in the background (status EXPANDING, then RUNNING)",
            "headers": {"Location": {"schema": {"type": "string"}, "description": "the batch's URL"}},
        },
        **problem_responses(400, 401, 422, 429),
    },
)
def create_batch(
    body: BatchRequest,
    response: Response,
    service: Service,
    who: Caller,
    base: BaseUrl,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", max_length=255, description="a retried request returns the same batch"),
    ] = None,
) -> Batch:
    check_idempotency_key(idempotency_key)
    batches = BatchService(service)
    batch, replayed = batches.create(who, body, idempotency_key)
    out = batches.view(batch, base)
    response.headers["Location"] = out.links["self"]
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return out


@router.get(
    "/v1/batches", response_model=BatchPage, summary="Your batches, newest first", responses=problem_responses(401, 422)
)
def list_batches(
    service: Service,
    who: Caller,
    base: BaseUrl,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048, description="next_cursor of the previous page")] = None,
) -> BatchPage:
    batches = BatchService(service)
    items, next_cursor = batches.page(who, limit, cursor)
    # Each batch from its own item: no entry is read for a list.
    return BatchPage(items=[batches.view(batch, base) for batch in items], next_cursor=next_cursor)


@router.get(
    "/v1/batches/{batch_id}",
    response_model=Batch,
    summary="The batch: each entry with its transcription and status, counts, progress",
    responses=problem_responses(401, 404, 422),
)
def get_batch(service: Service, who: Caller, base: BaseUrl, batch_id: BatchId) -> Batch:
    batches = BatchService(service)
    batch = batches.visible(who, batch_id)
    return batches.view(batch, base, batches.entries(batch))


@router.delete(
    "/v1/batches/{batch_id}",
    response_model=Batch,
    summary="Cancel: the batch ends CANCELLED and its unfinished transcriptions are cancelled",
    responses=problem_responses(401, 404, 409, 422),
)
def cancel_batch(service: Service, who: Caller, base: BaseUrl, batch_id: BatchId) -> Batch:
    batches = BatchService(service)
    batch, entries = batches.cancel(who, batch_id)
    return batches.view(batch, base, entries)
