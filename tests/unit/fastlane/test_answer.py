"""How a fast-lane task is answered (ytcaption.fastlane.answer): the runners' calls become the
function's return or an error whose type is the name the state machine matches."""

from __future__ import annotations

import threading

import pytest

from ytcaption.domain.steps import AudioRef
from ytcaption.fastlane.answer import BUSY, HANDED_BACK, Answer, FastLaneError
from ytcaption.fastlane.run import FastLaneTask
from ytcaption.settings import Settings
from ytcaption.worker.messages import Message

TASK = FastLaneTask(job_id="j1", audio=AudioRef(bucket="b", key="k"), options={"model": "tiny.en"})  # type: ignore[arg-type]
MESSAGE = Message(queue_url="", receipt="", body="", priority="normal")


def answer() -> Answer:
    return Answer(Settings(), threading.Event())


def test_success_is_the_return() -> None:
    a = answer()
    a.hide(MESSAGE)
    a.succeed(TASK, {"job_id": "j1", "keys": {}})
    a.delete(MESSAGE)
    assert a.result() == {"job_id": "j1", "keys": {}}


@pytest.mark.parametrize("error", ["Cancelled", "TIMEOUT", "TRANSCRIPTION_FAILED"])
def test_a_failure_raises_an_error_of_its_name_with_code_and_reason(error: str) -> None:
    a = answer()
    a.fail(TASK, error, "why it failed")
    with pytest.raises(FastLaneError) as raised:
        a.result()
    # Lambda reports the class name as the errorType; RecordFailure reads "CODE: reason" from the message.
    assert type(raised.value).__name__ == error
    assert str(raised.value) == f"{error}: why it failed"


def test_an_ended_job_is_answered_like_a_worker_would() -> None:
    from ytcaption.domain.job import Job, JobStatus

    a = answer()
    job = Job.model_validate(
        {"job_id": "j1", "tenant": "t", "status": JobStatus.CANCELLED, "source": {"type": "url", "url": "https://x"},
         "options": {}, "created_at": "2026-01-01T00:00:00Z"}
    )  # fmt: skip
    a.answer_ended(TASK, job)
    with pytest.raises(FastLaneError) as raised:
        a.result()
    assert type(raised.value).__name__ == "Cancelled"


def test_deferred_and_handed_back_work_raise_the_lane_s_own_errors() -> None:
    a = answer()
    a.defer(MESSAGE, 7, "job held by another worker")
    with pytest.raises(FastLaneError) as raised:
        a.result()
    assert type(raised.value).__name__ == BUSY
    a.give_back(MESSAGE)
    with pytest.raises(FastLaneError) as raised:
        a.result()
    assert type(raised.value).__name__ == HANDED_BACK


def test_no_answer_at_all_hands_the_job_to_the_gpu_queue() -> None:
    """The runners answer nothing when another holder took the job's lease: failing the job would end
    work that holder is still doing; the GPU queue's worker defers to the lease instead."""
    with pytest.raises(FastLaneError) as raised:
        answer().result()
    assert type(raised.value).__name__ == HANDED_BACK
    assert "lost the job's lease" in str(raised.value)
