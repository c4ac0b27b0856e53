"""The queue and the execution waiting on it, from the worker's side.

Receive a task message (the highest priority first), keep it hidden while the work goes on, defer
it, hand it back, delete it, and answer the execution through the task's token.

A token whose task has already ended is no error: the emulator answers InvalidToken where AWS
answers TaskTimedOut, and a Retry of the state reuses the token of the attempt before.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from ytcaption.domain.errors import ErrorCode
from ytcaption.domain.job import Job, JobStatus
from ytcaption.domain.steps import TranscribeTask
from ytcaption.settings import Settings
from ytcaption.store import aws
from ytcaption.worker.log import logger
from ytcaption.worker.queues import PollOrder

GONE_TOKEN = {"InvalidToken", "TaskTimedOut", "TaskDoesNotExist"}
# An idle worker's long poll of the normal queue (SQS counts whole seconds), between quick looks at the
# high and low queues: what a message on those may wait before an idle worker sees it. Three requests per
# LOOK_SECONDS, one a second per idle worker (~2.6 M a month).
LOOK_SECONDS = 3


@dataclass(frozen=True)
class Message:
    """One received message: where it came from and the receipt that settles it."""

    queue_url: str
    receipt: str
    body: str
    priority: str


class Messages:
    def __init__(self, settings: Settings, stopping: threading.Event) -> None:
        self.settings = settings
        self.stopping = stopping
        self.sqs = aws.client("sqs")
        self.sfn = aws.client("stepfunctions")
        # One queue per priority.
        self.queue_names = {
            "high": settings.queue_name_high,
            "normal": settings.queue_name,
            "low": settings.queue_name_low,
        }
        self._queue_urls: dict[str, str] = {}
        self.order = PollOrder(settings.priority_fairness_every)

    @property
    def queue_urls(self) -> dict[str, str]:
        """Looked up on the first poll, inside its reconnect loop: a worker that starts while AWS (the
        emulator) cannot be reached waits for it instead of dying."""
        if not self._queue_urls:
            self._queue_urls = {priority: aws.queue_url(name) for priority, name in self.queue_names.items()}
        return self._queue_urls

    # -- the message -------------------------------------------------------------

    def receive(self) -> Message | None:
        """The next message: a quick look at each queue in priority order, then in turn a long poll of
        LOOK_SECONDS on the normal queue (where jobs go unless they ask otherwise) and a quick look at
        the others, until poll_wait_seconds have passed. A long poll answers only for its own queue:
        a normal job is taken as it arrives, a high or low one within LOOK_SECONDS. After an empty long
        poll of the normal queue a look at it would find nothing new, so it is not looked at again
        (it was: four requests a second per idle worker)."""
        order = self.order.next()
        others = tuple(priority for priority in order if priority != "normal")
        deadline = time.monotonic() + self.settings.poll_wait_seconds
        looks: tuple[str, ...] = order
        while True:
            for priority in looks:
                message = self._receive_one(priority, 0)
                if message is not None or self.stopping.is_set():
                    return message
            if time.monotonic() >= deadline:
                return None
            message = self._receive_one("normal", LOOK_SECONDS)
            if message is not None or self.stopping.is_set():
                return message
            looks = others

    def _receive_one(self, priority: str, wait: int) -> Message | None:
        url = self.queue_urls[priority]
        response = self.sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=1,
            WaitTimeSeconds=wait,
            VisibilityTimeout=self.settings.visibility_seconds,
        )
        for message in response.get("Messages", []):
            return Message(url, message["ReceiptHandle"], message["Body"], priority)
        return None

    def took(self) -> None:
        """A message was taken for work (the poll order's fairness counts takes)."""
        self.order.took()

    def hide(self, message: Message) -> None:
        """Keep the message from other workers until a margin past our lease."""
        self.sqs.change_message_visibility(QueueUrl=message.queue_url, ReceiptHandle=message.receipt,
                                           VisibilityTimeout=self.settings.visibility_seconds)  # fmt: skip

    def defer(self, message: Message, seconds: float, why: str) -> None:
        """Let the message reappear in `seconds` (SQS counts whole seconds, 12 hours at most)."""
        delay = min(12 * 3600, max(1, math.ceil(seconds)))
        self.sqs.change_message_visibility(QueueUrl=message.queue_url, ReceiptHandle=message.receipt,
                                           VisibilityTimeout=delay)  # fmt: skip
        logger.info(f"{why}; message deferred", extra={"seconds": delay})

    def give_back(self, message: Message) -> None:
        """Straight back on the queue, for the next worker."""
        self.sqs.change_message_visibility(QueueUrl=message.queue_url, ReceiptHandle=message.receipt,
                                           VisibilityTimeout=0)  # fmt: skip

    def delete(self, message: Message) -> None:
        self.sqs.delete_message(QueueUrl=message.queue_url, ReceiptHandle=message.receipt)

    # -- the execution -------------------------------------------------------------

    def succeed(self, task: TranscribeTask, output: dict[str, Any]) -> None:
        self._answer(task, lambda: self.sfn.send_task_success(taskToken=task.task_token, output=json.dumps(output)))

    def fail(self, task: TranscribeTask, error: str, cause: str) -> None:
        self._answer(
            task, lambda: self.sfn.send_task_failure(taskToken=task.task_token, error=error, cause=cause[:32000])
        )

    def answer_ended(self, task: TranscribeTask, job: Job) -> None:
        """End the task of a job that has ended, in case its execution still waits on it
        (a cancelled job whose message was still queued, a worker lost after failing the job)."""
        if job.status == JobStatus.CANCELLED:
            error = "Cancelled"
        elif job.status == JobStatus.FAILED:
            error = job.error_code or str(ErrorCode.INTERNAL_ERROR)
        else:
            return  # COMPLETED: its task was answered already
        self.fail(task, error, error)

    def reject_malformed(self, message: Message, exc: ValidationError) -> None:
        """A body that is not a task: fail its execution if it names a token, and drop it."""
        logger.error("malformed task message", extra={"error": str(exc)})
        try:
            body = json.loads(message.body)
        except ValueError:
            body = {}
        token = body.get("task_token") if isinstance(body, dict) else None
        if token:
            try:
                self.sfn.send_task_failure(taskToken=token, error=str(ErrorCode.INTERNAL_ERROR), cause="malformed task")
            except Exception as err:
                if aws.error_code(err) not in GONE_TOKEN:
                    raise
        self.delete(message)

    def _answer(self, task: TranscribeTask, call: Callable[[], Any]) -> None:
        try:
            call()
        except Exception as exc:
            if aws.error_code(exc) not in GONE_TOKEN:
                raise
            logger.warning("task already ended; answer dropped", extra={"job_id": task.job_id})
