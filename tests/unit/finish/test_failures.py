"""ytcaption.finish.failures.describe: a state machine error (Error + Cause) -> (code, reason)."""

from __future__ import annotations

import json

import pytest

from ytcaption.domain.errors import ErrorCode, YtcError
from ytcaption.domain.steps import StepError
from ytcaption.finish import failures


def describe(error: dict[str, str]) -> tuple[ErrorCode, str]:
    """The error as Step Functions hands it to RecordFailure (a Catch's ResultPath)."""
    return failures.describe(StepError.model_validate(error))


def lambda_cause(message: str, error_type: str = "YtcError") -> str:
    return json.dumps({"errorMessage": message, "errorType": error_type, "stackTrace": ["  File x, line 1"]})


@pytest.mark.parametrize("name", ["States.Timeout", "States.HeartbeatTimeout"])
def test_timeouts_are_worker_timeout(name: str) -> None:
    code, reason = describe({"Error": name, "Cause": "anything"})
    assert code is ErrorCode.WORKER_TIMEOUT
    assert "in time" in reason


def test_timeout_wins_over_a_lambda_cause() -> None:
    code, _ = describe({"Error": "States.Timeout", "Cause": lambda_cause("EMPTY_MEDIA: empty")})
    assert code is ErrorCode.WORKER_TIMEOUT


def test_lambda_error_cause_gives_code_and_reason() -> None:
    error = {
        "Error": "YtcError",
        "Cause": json.dumps({"errorMessage": "EMPTY_MEDIA: The file is empty (0 bytes).", "errorType": "YtcError"}),
    }
    assert describe(error) == (ErrorCode.EMPTY_MEDIA, "The file is empty (0 bytes).")


def test_lambda_error_from_a_real_ytc_error() -> None:
    exc = YtcError(ErrorCode.MEDIA_TOO_LONG, "The audio is 5 hours long: the limit is 4: sorry.")
    code, reason = describe({"Error": type(exc).__name__, "Cause": lambda_cause(str(exc))})
    assert code is ErrorCode.MEDIA_TOO_LONG
    # Only the first ": " separates the code from the reason.
    assert reason == "The audio is 5 hours long: the limit is 4: sorry."


@pytest.mark.parametrize("code", list(ErrorCode))
def test_every_code_survives_a_lambda_cause(code: ErrorCode) -> None:
    assert describe({"Error": "YtcError", "Cause": lambda_cause(f"{code}: why")}) == (code, "why")


@pytest.mark.parametrize(
    ("name", "cause", "expected_reason"),
    [
        ("MODEL_UNAVAILABLE", "", "The worker reported this error."),
        ("MODEL_UNAVAILABLE", None, "The worker reported this error."),
        ("TRANSCRIPTION_FAILED", "Whisper crashed: out of memory", "Whisper crashed: out of memory"),
        ("NO_AUDIO_TRACK", "The video has no audio.", "The video has no audio."),
    ],
)
def test_worker_error_name_that_is_a_code(name: str, cause: str | None, expected_reason: str) -> None:
    code, reason = describe({"Error": name, "Cause": cause})
    assert code == ErrorCode(name)
    assert reason == expected_reason


def test_lambda_message_with_unknown_code_falls_through_to_internal() -> None:
    code, reason = describe({"Error": "ValueError", "Cause": lambda_cause("bad value: 3", "ValueError")})
    assert code is ErrorCode.INTERNAL_ERROR
    assert "ValueError" in reason
    assert "bad value: 3" in reason


def test_lambda_message_with_code_but_no_reason_is_not_trusted() -> None:
    code, reason = describe({"Error": "YtcError", "Cause": lambda_cause("EMPTY_MEDIA: ")})
    assert code is ErrorCode.INTERNAL_ERROR
    assert "YtcError" in reason


@pytest.mark.parametrize(
    ("error", "mentions"),
    [
        ({"Error": "States.TaskFailed", "Cause": "boom"}, ["States.TaskFailed", "boom"]),
        ({"Error": "Lambda.Unknown", "Cause": "not json {"}, ["Lambda.Unknown", "not json {"]),
        (
            {"Error": "DynamoDB.ConditionalCheckFailedException", "Cause": ""},
            ["DynamoDB.ConditionalCheckFailedException"],
        ),
        ({"Error": "Cancelled", "Cause": "[1, 2]"}, ["Cancelled", "[1, 2]"]),
        ({"Error": "empty_media", "Cause": ""}, ["empty_media"]),
        ({}, ["unknown error"]),
    ],
)
def test_anything_else_is_internal_error(error: dict[str, str], mentions: list[str]) -> None:
    code, reason = describe(error)
    assert code is ErrorCode.INTERNAL_ERROR
    assert reason.startswith("An internal error stopped the job (")
    for text in mentions:
        assert text in reason


def test_internal_reason_is_truncated() -> None:
    _, reason = describe({"Error": "Boom", "Cause": "x" * 5000})
    assert "x" * 300 in reason
    assert "x" * 301 not in reason
    assert len(reason) < 400
