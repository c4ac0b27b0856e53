"""Which lane a job takes: the fast lane (Lambda) or the GPU queue.

The fast lane takes a job (or every chunk of a long one) when it is on, the job's model is one its image
carries, and either the audio is short or no GPU worker is warm. Everything else takes the GPU queue,
as before the lane existed. "Warm" is what AWS says of the worker service: its ECS running count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ytcaption.settings import Settings
from ytcaption.store import aws

Lane = Literal["fast", "gpu"]


class PickLaneInput(BaseModel):
    """What the PickLane state sends: the job's model and what FetchAudio measured of its media (only
    what the choice needs, so a new field elsewhere in the state never makes the router refuse it)."""

    model_config = ConfigDict(extra="ignore")

    job_id: str
    model: str
    media: dict[str, Any] = {}

    @property
    def duration(self) -> float | None:
        value = self.media.get("duration")
        return float(value) if value is not None else None


@dataclass(frozen=True)
class Choice:
    lane: Lane
    why: str


def served(settings: Settings) -> set[str]:
    return {m.strip() for m in settings.fast_lane_models.split(",") if m.strip()}


def choose(settings: Settings, model: str, duration: float | None, warm_workers: Callable[[], int]) -> Choice:
    """The lane for a job of `model` and `duration` seconds; `warm_workers` is asked only when it matters."""
    if not settings.fast_lane:
        return Choice("gpu", "the fast lane is off")
    if model not in served(settings):
        return Choice("gpu", f"the fast lane does not carry the model {model}")
    workers = {m.strip() for m in settings.worker_models.split(",") if m.strip()}
    if workers and model not in workers:
        return Choice("fast", f"only the fast lane carries the model {model}")
    if duration is not None and duration <= settings.fast_lane_short_seconds:
        return Choice("fast", f"short audio ({duration:.0f} s <= {settings.fast_lane_short_seconds:.0f} s)")
    warm = warm_workers()
    if warm <= 0:
        return Choice("fast", "no GPU worker is warm")
    return Choice("gpu", f"{warm} GPU worker(s) warm")


def running_workers(settings: Settings) -> int:
    """GPU workers running now: the worker service's ECS running count (0 when no service is set up).
    Locally the emulator's ECS service stands for the runtime's worker processes (ytcaption.local.fleet)."""
    if not settings.worker_cluster or not settings.worker_service:
        return 0
    answer: dict[str, Any] = aws.client("ecs").describe_services(
        cluster=settings.worker_cluster, services=[settings.worker_service]
    )
    return sum(int(service.get("runningCount") or 0) for service in answer.get("services", []))
