"""/v1/models: which Whisper models this deployment serves."""

from __future__ import annotations

from fastapi import APIRouter

from ytcaption.api.deps import Caller, Service
from ytcaption.api.problems import problem_responses
from ytcaption.api.schemas import Models

router = APIRouter(tags=["models"])


@router.get(
    "/v1/models",
    response_model=Models,
    summary="The models this deployment's workers serve, and the default",
    responses=problem_responses(401),
)
def list_models(who: Caller, service: Service) -> Models:
    return service.models()
