"""How a fast-lane task is answered: the runners' queue-and-token calls, kept for the function's return.

The runners (worker.whole, worker.chunked, worker.runner) settle their work through `Messages`: hide,
defer, give back or delete the message, and succeed or fail the execution's task. In a Lambda there is
no message and no token: the state machine waits on the invocation itself. `Answer` takes those calls
and keeps the outcome; the handler returns it (success) or raises it (failure, with the runners' error
name, which the state machine matches like a worker's SendTaskFailure).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from ytcaption.domain.steps import TranscribeTask
from ytcaption.settings import Settings
from ytcaption.worker.messages import Message, Messages

# The error names the state machine knows from this lane besides the runners' own (ASL Retry/Catch).
BUSY = "FastLaneBusy"  # the work is held elsewhere or not ready: retried with backoff
HANDED_BACK = "FastLaneHandedBack"  # stopped before the function's own time ran out: the GPU queue takes it


class FastLaneError(Exception):
    """A failed fast-lane task. Lambda reports an exception's class name as the error type, and Step
    Functions uses it as the Error that Retry and Catch match: each error gets a class of its name."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


def error(name: str, cause: str) -> FastLaneError:
    kind: type[FastLaneError] = type(name, (FastLaneError,), {})
    return kind(cause)


@dataclass
class Outcome:
    output: dict[str, Any] | None = None
    error: str | None = None
    cause: str = ""


class Answer(Messages):
    """Messages for a task that came as an invocation: nothing to hide or delete; the answer is kept."""

    def __init__(self, settings: Settings, stopping: threading.Event) -> None:
        self.settings = settings
        self.stopping = stopping
        self.outcome = Outcome()

    def hide(self, message: Message) -> None:
        """Nothing to hide: the invocation is this task's only delivery."""

    def delete(self, message: Message) -> None:
        """Nothing to delete."""

    def defer(self, message: Message, seconds: float, why: str) -> None:
        # Held by another holder (a worker that took it over, a duplicate): the state machine retries.
        self.outcome = Outcome(error=BUSY, cause=f"{why}; try again in {seconds:.0f} s")

    def give_back(self, message: Message) -> None:
        # Shutting down (the function's time is nearly up): the lease was released; the GPU queue takes over.
        self.outcome = Outcome(error=HANDED_BACK, cause="The fast lane ran out of time; handed to the GPU queue.")

    def succeed(self, task: TranscribeTask, output: dict[str, Any]) -> None:
        self.outcome = Outcome(output=output)

    def fail(self, task: TranscribeTask, error: str, cause: str) -> None:
        self.outcome = Outcome(error=error, cause=cause)

    def result(self) -> dict[str, Any]:
        """The function's return, or the task's failure raised."""
        outcome = self.outcome
        if outcome.output is not None:
            return outcome.output
        if outcome.error is None:
            # The runners answer nothing when the job's lease was lost to another holder mid-work: the GPU
            # queue takes the job, and its worker defers to that holder's lease or answers its result.
            raise error(HANDED_BACK, f"{HANDED_BACK}: The fast lane lost the job's lease; handed to the GPU queue.")
        # "CODE: reason" is how RecordFailure reads a Lambda error's message (finish.failures).
        raise error(outcome.error, f"{outcome.error}: {outcome.cause}")
