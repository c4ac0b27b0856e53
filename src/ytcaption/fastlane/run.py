"""Run one fast-lane task: the GPU worker's own runners, inside a Lambda invocation.

One context per sandbox (the loaded model, the job store, the audio of the long job in hand stay warm
between invocations, as in a warm worker); one `Answer` and one worker id per invocation. A watchdog
stops the work shortly before the function's own time runs out: the runners then release the lease as
a worker does on SIGTERM, and the state machine hands the job to the GPU queue.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ytcaption.domain.steps import TranscribeTask
from ytcaption.fastlane.answer import Answer
from ytcaption.settings import Settings
from ytcaption.store.jobs import JobStore
from ytcaption.worker.audio import AudioCache
from ytcaption.worker.chunked import ChunkRunner
from ytcaption.worker.context import WorkerContext
from ytcaption.worker.events import EventSender
from ytcaption.worker.messages import Message
from ytcaption.worker.protection import ScaleInProtection
from ytcaption.worker.transcribe import ModelCache
from ytcaption.worker.whole import WholeFileRunner

LANE = "fast"
# No token: the state machine waits on the invocation, not on a callback.
NO_TOKEN = "fast-lane"


class FastLaneTask(TranscribeTask):
    """What the FastTranscribe and FastTranscribeChunk states invoke the function with: a worker's
    TranscribeTask without a task token (the state machine waits on the invocation itself)."""

    task_token: str = NO_TOKEN


class Sandbox:
    """What one warm Lambda sandbox keeps between invocations."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.models = ModelCache(
            Path(settings.model_cache_dir), settings.worker_threads, settings.cuda_batch_size, settings.cpu_batch_size
        )
        self.store = JobStore(settings.table)
        self.events = EventSender()
        self.audio = AudioCache()

    def context(self, worker_id: str, stopping: threading.Event) -> WorkerContext:
        return WorkerContext(
            settings=self.settings,
            worker_id=worker_id,
            models=self.models,
            store=self.store,
            messages=Answer(self.settings, stopping),
            stopping=stopping,
            events=self.events,
            protection=ScaleInProtection(agent_uri=""),  # no ECS task to protect
            audio=self.audio,
            lane=LANE,
        )

    def run(self, task: FastLaneTask, worker_id: str, remaining_seconds: Callable[[], float]) -> dict[str, Any]:
        """Transcribe the task as a worker would; its output, or its failure raised (answer.FastLaneError)."""
        stopping = threading.Event()
        ctx = self.context(worker_id, stopping)
        watchdog = threading.Timer(max(0.0, remaining_seconds() - self.settings.fast_lane_margin_seconds), stopping.set)
        watchdog.daemon = True
        watchdog.start()
        message = Message(queue_url="", receipt="", body="", priority=task.options.priority)
        try:
            if task.chunk is not None:
                ChunkRunner(ctx).handle(task, task.chunk, message)
            else:
                WholeFileRunner(ctx).handle(task, message)
        finally:
            watchdog.cancel()
            self.events.flush()
        assert isinstance(ctx.messages, Answer)
        return ctx.messages.result()
