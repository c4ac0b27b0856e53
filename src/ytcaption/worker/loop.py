"""The Whisper worker: takes transcription tasks from SQS and answers the state machine.

Each message carries a Step Functions task token. The queue task has no
heartbeat of its own (a message may wait for a worker as long as it must);
liveness is the worker's lease on the job in DynamoDB. While it works, the
worker renews the lease every third of its length and keeps the message hidden
until a margin past the lease's end (worker.lease). A worker that dies lets its
lease lapse; its message reappears just after, and the next worker to receive it
takes the job over under the same task token (a budget of take-overs, with
backoff, before the job fails WORKER_TIMEOUT). On SIGTERM a worker hands an
unfinished message straight back; a duplicate delivery finds the job held, done
or ended.

Read top to bottom: the poll loop (reconnecting while AWS is away) receives one
message (worker.messages), reads its task, and hands it to the runner of its
kind: a whole file (worker.whole) or one chunk of a long one (worker.chunked).
Both run the work the same way and sort how it ended (worker.runner).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import threading
import uuid
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ytcaption.domain.errors import YtcError
from ytcaption.domain.steps import TranscribeTask
from ytcaption.settings import Settings, get_settings
from ytcaption.store import aws
from ytcaption.store.jobs import JobStore
from ytcaption.worker.audio import AudioCache
from ytcaption.worker.chunked import ChunkRunner
from ytcaption.worker.context import WorkerContext
from ytcaption.worker.events import EventSender
from ytcaption.worker.log import logger
from ytcaption.worker.messages import Message, Messages
from ytcaption.worker.protection import ScaleInProtection
from ytcaption.worker.transcribe import ModelCache
from ytcaption.worker.whole import WholeFileRunner


class Worker:
    def __init__(self, settings: Settings, models: ModelCache, worker_id: str | None = None) -> None:
        self.stopping = threading.Event()
        store = JobStore(settings.table)
        self.ctx = WorkerContext(
            settings=settings,
            worker_id=worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}",
            models=models,
            store=store,
            messages=Messages(settings, self.stopping),
            stopping=self.stopping,
            events=EventSender(),
            protection=ScaleInProtection(),
            audio=AudioCache(),
        )
        self.whole = WholeFileRunner(self.ctx)
        self.chunks = ChunkRunner(self.ctx)

    def install_signal_handlers(self) -> None:
        def stop(signum: int, _frame: Any) -> None:
            logger.info("signal received: finishing up", extra={"signal": signum})
            self.stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

    def run(self) -> None:
        ctx = self.ctx
        logger.info("worker started", extra={"worker_id": ctx.worker_id, "queues": ctx.messages.queue_names})
        try:
            self.poll()
        finally:
            ctx.audio.clear()
        logger.info("worker stopped", extra={"worker_id": ctx.worker_id, "jobs_done": ctx.jobs_done})

    def poll(self) -> None:
        backoff = 0.0
        while not self.stopping.is_set():
            try:
                self.poll_once()
                backoff = 0.0
            except Exception as exc:
                if not aws.unreachable(exc):
                    raise
                # AWS (locally: the emulator) is gone for now: wait and reconnect; an unfinished
                # message reappears on its own once its visibility lapses.
                backoff = min(30.0, max(1.0, backoff * 2))
                logger.warning("AWS unreachable; retrying", extra={"in_seconds": backoff, "error": str(exc)})
                self.stopping.wait(backoff)

    def poll_once(self) -> None:
        messages = self.ctx.messages
        message = messages.receive()
        if message is None:
            return
        if self.stopping.is_set():
            messages.give_back(message)
            return
        messages.took()
        logger.info("message taken", extra={"priority": message.priority})
        self.handle(message)

    def handle(self, message: Message) -> None:
        try:
            task = TranscribeTask.model_validate_json(message.body)
        except ValidationError as exc:
            self.ctx.messages.reject_malformed(message, exc)
            return
        logger.append_keys(correlation_id=task.job_id)
        if task.chunk is not None:
            self.chunks.handle(task, task.chunk, message)
        else:
            self.whole.handle(task, message)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="YTCaption Whisper worker")
    parser.add_argument("--preload", default=None, help="model to load before taking work, or 'none'")
    args = parser.parse_args(argv)
    settings = get_settings()
    models = ModelCache(
        Path(settings.model_cache_dir), settings.worker_threads, settings.cuda_batch_size, settings.cpu_batch_size
    )
    preload = args.preload or settings.worker_preload or settings.default_model
    if preload and preload != "none":
        try:
            models.get(preload)
        except YtcError as exc:
            logger.warning("preload failed; the model loads on first use", extra={"reason": exc.reason})
    worker = Worker(settings, models)
    worker.install_signal_handlers()
    worker.run()


if __name__ == "__main__":
    main()
