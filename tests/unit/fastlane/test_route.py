"""Which lane a job takes (ytcaption.fastlane.route.choose)."""

from __future__ import annotations

import pytest

from ytcaption.fastlane.route import choose
from ytcaption.settings import Settings


def settings(**values: object) -> Settings:
    return Settings(**{"fast_lane": True, "fast_lane_short_seconds": 180, **values})  # type: ignore[arg-type]


def never_asked() -> int:
    raise AssertionError("the fleet was asked although the answer was already known")


@pytest.mark.parametrize(
    ("values", "model", "duration", "warm", "lane"),
    [
        ({}, "base", 60.0, never_asked, "fast"),  # short audio: the fast lane even beside warm workers
        ({}, "base", 600.0, lambda: 0, "fast"),  # long, and the fleet is cold
        ({}, "base", 600.0, lambda: 2, "gpu"),  # long, and a worker is warm
        ({}, "large-v3", 30.0, never_asked, "gpu"),  # a model the lane does not carry
        ({"fast_lane": False}, "base", 30.0, never_asked, "gpu"),  # the switch
        ({"fast_lane_short_seconds": 0}, "tiny.en", 30.0, lambda: 1, "gpu"),  # only a cold fleet counts
        ({"worker_models": "large-v3-turbo"}, "base", 600.0, never_asked, "fast"),  # only the lane carries it
        ({}, "base", None, lambda: 0, "fast"),  # no duration known: the fleet decides
    ],
)
def test_the_lane(values: dict[str, object], model: str, duration: float | None, warm: object, lane: str) -> None:
    choice = choose(settings(**values), model, duration, warm)  # type: ignore[arg-type]
    assert choice.lane == lane, choice.why
    assert choice.why
