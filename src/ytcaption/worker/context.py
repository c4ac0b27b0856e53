"""What the runners work with: one per worker, built by the poll loop (worker.loop)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ytcaption.settings import Settings
from ytcaption.store.jobs import JobStore
from ytcaption.worker.audio import AudioCache
from ytcaption.worker.events import EventSender
from ytcaption.worker.messages import Messages
from ytcaption.worker.protection import ScaleInProtection
from ytcaption.worker.transcribe import ModelCache


@dataclass
class WorkerContext:
    settings: Settings
    worker_id: str
    models: ModelCache
    store: JobStore
    messages: Messages
    stopping: threading.Event
    # Job events, in order, off the transcription thread.
    events: EventSender
    # ECS scale-in protection, held while a whole job is in hand.
    protection: ScaleInProtection
    # The audio of the long job whose chunks this worker takes, kept between them (worker.audio).
    audio: AudioCache
    jobs_done: int = 0
    # Which lane runs the work, recorded in its metrics: a GPU worker, or the fast lane's Lambda (fastlane).
    lane: str = "gpu"
