"""An idle worker's polls (worker.messages): a normal job is taken by the long poll in flight when it
arrives, a high-priority one by the next quick look; no long poll of a queue keeps another waiting, and
after the first round the normal queue is only long-polled (three requests per long poll)."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from ytcaption.settings import get_settings
from ytcaption.store import aws
from ytcaption.worker.messages import LOOK_SECONDS, Message, Messages

pytestmark = pytest.mark.integration


def test_a_message_sent_while_an_idle_worker_long_polls_is_taken_by_that_poll_or_the_next_look(runtime: Any) -> None:
    run = uuid.uuid4().hex[:8]
    names = {priority: f"poll-{run}-{priority}" for priority in ("high", "normal", "low")}
    sqs = aws.client("sqs")
    urls = {priority: sqs.create_queue(QueueName=name)["QueueUrl"] for priority, name in names.items()}
    # The deployed default: an idle worker's receive lasts 20 s (it long-polled each queue 6 s in turn).
    settings = get_settings().model_copy(
        update={"queue_name_high": names["high"], "queue_name": names["normal"], "queue_name_low": names["low"],
                "poll_wait_seconds": 20}
    )  # fmt: skip
    stopping = threading.Event()
    messages = Messages(settings, stopping)
    polls: list[tuple[str, int]] = []
    long_polls = threading.Semaphore(0)

    def record(params: dict[str, Any], **_: Any) -> None:
        polls.append((params["QueueUrl"], params["WaitTimeSeconds"]))
        if params["WaitTimeSeconds"] > 0:
            long_polls.release()

    messages.sqs.meta.events.register("before-parameter-build.sqs.ReceiveMessage", record)

    def take_while_long_polling(priority: str) -> tuple[Message | None, list[tuple[str, int]]]:
        polls.clear()
        while long_polls.acquire(blocking=False):
            pass
        taken: list[Message | None] = []
        receiver = threading.Thread(target=lambda: taken.append(messages.receive()))
        receiver.start()
        try:
            # Sent during the second long poll, after a round of quick looks that followed an empty one.
            assert long_polls.acquire(timeout=30) and long_polls.acquire(timeout=30), polls
            sent_after = len(polls)
            sqs.send_message(QueueUrl=urls[priority], MessageBody=f"{priority} work")
            receiver.join(60)
        finally:
            if receiver.is_alive():
                stopping.set()
                receiver.join(60)
        return (taken[0] if taken else None), polls[sent_after - 1 :]

    for priority in ("high", "normal"):
        message, since_sent = take_while_long_polling(priority)
        assert message is not None and message.priority == priority and message.body == f"{priority} work"
        # The long poll in flight when it was sent (on the normal queue, at most LOOK_SECONDS), then at most
        # the quick looks at high and low.
        assert [(url, wait) for url, wait in since_sent if wait] == [(urls["normal"], LOOK_SECONDS)], since_sent
        assert len(since_sent) <= 1 + 2, since_sent
        assert since_sent[-1][0] == urls[priority], since_sent
        # The first round looks at every queue; then the normal queue is only long-polled, the others
        # quick-looked between: each long poll that came back empty was followed by looks at high and low.
        first, after = polls[: len(urls)], polls[len(urls) :]
        assert first == [(urls[p], 0) for p in ("high", "normal", "low")], polls
        assert (urls["normal"], 0) not in after, polls
        assert after[:3] == [(urls["normal"], LOOK_SECONDS), (urls["high"], 0), (urls["low"], 0)], polls
