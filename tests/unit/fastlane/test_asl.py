"""The fast lane in the state machine: the router's step, the two fast states, and where each error goes."""

from __future__ import annotations

from typing import Any

import pytest

from tests import paths
from ytcaption import resources
from ytcaption.domain.steps import TranscribeTask
from ytcaption.fastlane.answer import BUSY, HANDED_BACK
from ytcaption.local.statemachine import load

VALUES = resources.asl_placeholders(
    region="us-east-1", account="123456789012", queue_url="http://q", high_queue_url="http://qh",
    low_queue_url="http://ql",
)  # fmt: skip


@pytest.fixture(scope="module")
def states() -> dict[str, dict[str, Any]]:
    states: dict[str, dict[str, Any]] = load(paths.ASL_PATH, VALUES)["States"]
    return states


def test_the_router_comes_after_captions_and_falls_back_to_the_gpu_queue(states: dict[str, dict[str, Any]]) -> None:
    assert states["UseCaptions"]["Default"] == "PickLane"
    pick = states["PickLane"]
    assert pick["Parameters"]["FunctionName"] == VALUES["PickLaneFunctionArn"]
    assert pick["ResultPath"] == "$.lane" and pick["Next"] == "UseFastLane"
    assert [c["Next"] for c in pick["Catch"]] == ["PickQueue"]
    (fast,) = states["UseFastLane"]["Choices"]
    assert fast == {"Variable": "$.lane.name", "StringEquals": "fast", "Next": "FastChunked"}
    assert states["UseFastLane"]["Default"] == "PickQueue"
    assert states["FastChunked"]["Choices"][0]["Next"] == "FastTranscribeChunks"
    assert states["FastChunked"]["Default"] == "FastTranscribe"


def _fast_tasks(states: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [states["FastTranscribe"], states["FastTranscribeChunks"]["ItemProcessor"]["States"]["FastTranscribeChunk"]]


def test_the_fast_states_send_a_worker_s_task(states: dict[str, dict[str, Any]]) -> None:
    fields = set(TranscribeTask.model_fields) - {"task_token"}
    for task in _fast_tasks(states):
        assert task["Resource"] == "arn:aws:states:::lambda:invoke"
        assert task["Parameters"]["FunctionName"] == VALUES["FastLaneFunctionArn"]
        assert {k.removesuffix(".$") for k in task["Parameters"]["Payload"]} <= fields
        assert BUSY in task["Retry"][0]["ErrorEquals"]
    assert states["FastTranscribeChunks"]["MaxConcurrencyPath"] == "$.lane.concurrency"


@pytest.mark.parametrize("name", ["FastTranscribe", "FastTranscribeChunks"])
def test_cancelled_ends_cancelled_a_hand_back_goes_to_the_gpu_queue_the_rest_fails(
    name: str, states: dict[str, dict[str, Any]]
) -> None:
    catches = states[name]["Catch"]
    assert catches[0]["ErrorEquals"] == ["Cancelled"] and catches[0]["Next"] == "NotifyCancellation"
    assert HANDED_BACK in catches[1]["ErrorEquals"] and catches[1]["Next"] == "PickQueue"
    assert "Lambda.TooManyRequestsException" in catches[1]["ErrorEquals"]
    assert catches[-1]["ErrorEquals"] == ["States.ALL"] and catches[-1]["Next"] == "RecordFailure"
    assert states[name]["Next"] == "MarkCompleted"
