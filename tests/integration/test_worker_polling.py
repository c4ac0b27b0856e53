"""An idle worker's polls (worker.messages): a message on any priority's queue is seen within one short
long poll, never after a long poll of another queue runs out."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from ytcaption.settings import get_settings
from ytcaption.store import aws
from ytcaption.worker.messages import LOOK_SECONDS, Message, Messages

pytestmark = pytest.mark.integration


def test_a_normal_message_sent_during_a_long_poll_of_the_high_queue_is_taken_at_the_next_look(runtime: Any) -> None:
    run = uuid.uuid4().hex[:8]
    names = {priority: f"poll-{run}-{priority}" for priority in ("high", "normal", "low")}
    sqs = aws.client("sqs")
    urls = {priority: sqs.create_queue(QueueName=name)["QueueUrl"] for priority, name in names.items()}
    # The deployed default: an idle worker's receive lasts 20 s (poll_wait_seconds // 3 = 6 s per queue before).
    settings = get_settings().model_copy(
        update={"queue_name_high": names["high"], "queue_name": names["normal"], "queue_name_low": names["low"],
                "poll_wait_seconds": 20}
    )  # fmt: skip
    stopping = threading.Event()
    messages = Messages(settings, stopping)
    polls: list[tuple[str, int]] = []
    long_poll_on_high = threading.Event()

    def record(params: dict[str, Any], **_: Any) -> None:
        polls.append((params["QueueUrl"], params["WaitTimeSeconds"]))
        if params["QueueUrl"] == urls["high"] and params["WaitTimeSeconds"] > 0:
            long_poll_on_high.set()

    messages.sqs.meta.events.register("before-parameter-build.sqs.ReceiveMessage", record)
    taken: list[Message | None] = []
    receiver = threading.Thread(target=lambda: taken.append(messages.receive()))
    receiver.start()
    try:
        assert long_poll_on_high.wait(30), polls
        sent_after = len(polls)
        sqs.send_message(QueueUrl=urls["normal"], MessageBody="normal work")
        receiver.join(60)
    finally:
        stopping.set()
        receiver.join(60)
    assert taken and taken[0] is not None and taken[0].body == "normal work" and taken[0].priority == "normal"
    # No poll waits longer than a look, and the message was taken by the next poll of its own queue.
    assert all(wait in (0, LOOK_SECONDS) for _, wait in polls), polls
    after = [url for url, _ in polls[sent_after - 1 :]]
    assert after == [urls["high"], urls["normal"]], polls
