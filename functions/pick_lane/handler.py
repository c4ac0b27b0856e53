"""PickLane step: the fast lane (Lambda) or the GPU queue for this job (ytcaption.fastlane.route)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from ytcaption.fastlane.route import PickLaneInput, choose, running_workers
from ytcaption.settings import get_settings

logger = Logger()
settings = get_settings()


@logger.inject_lambda_context(correlation_id_path="job_id")
@event_parser(model=PickLaneInput)
def lambda_handler(event: PickLaneInput, context: LambdaContext) -> dict[str, Any]:
    choice = choose(settings, event.model, event.duration, lambda: running_workers(settings))
    logger.info("lane chosen", extra={"lane": choice.lane, "why": choice.why})
    return {"lane": choice.lane, "why": choice.why, "concurrency": settings.fast_lane_concurrency}
