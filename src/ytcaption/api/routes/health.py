"""/health: liveness and readiness, without an API key."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ytcaption.api.deps import Service
from ytcaption.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health/live", response_model=Health, summary="The process answers")
def live() -> Health:
    return Health(status="ok")


@router.get(
    "/health/ready",
    response_model=Health,
    summary="DynamoDB, S3, SQS and Step Functions answer",
    responses={503: {"description": "A dependency is unavailable", "model": Health}},
)
def ready(response: Response, service: Service) -> Health:
    checks = service.readiness()
    healthy = all(v == "ok" for v in checks.values())
    if not healthy:
        response.status_code = 503
    return Health(status="ok" if healthy else "unavailable", checks=checks)
