"""The Whisper worker: takes transcription tasks from SQS and answers the state machine.

Each message carries a Step Functions task token. While it works, the worker
heartbeats the token, keeps the message hidden and renews its lease on the job.
It never loses a message: on SIGTERM it hands an unfinished one straight back
to the queue, and a duplicate delivery finds the job already taken or done.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import socket
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ValidationError

from ytcaption.domain.errors import ErrorCode, InvalidTransition, YtcError
from ytcaption.domain.formats import render_all
from ytcaption.domain.job import JobOptions, JobStatus
from ytcaption.finish.events import progress_envelope, publish_quietly, started_envelope
from ytcaption.finish.webhooks import deliver
from ytcaption.intake.urlpolicy import webhook_policy
from ytcaption.settings import Settings, get_settings
from ytcaption.store import aws
from ytcaption.store.jobs import JobStore
from ytcaption.store.media import MediaStore
from ytcaption.store.tenants import TenantStore
from ytcaption.worker.transcribe import Interrupted, ModelCache, transcribe

logger = Logger(service="ytcaption-worker")

# What Step Functions answers for a token whose task has already ended
# (the emulator says InvalidToken where AWS says TaskTimedOut).
_GONE_TOKEN = {"InvalidToken", "TaskTimedOut", "TaskDoesNotExist"}


class AudioRef(BaseModel):
    bucket: str
    key: str


class TranscribeTask(BaseModel):
    job_id: str
    task_token: str
    audio: AudioRef
    options: JobOptions
    duration: float | None = None


class _Heartbeat(threading.Thread):
    """Keeps the task, the message and the job lease alive while we work."""

    def __init__(self, worker: Worker, task: TranscribeTask, receipt: str) -> None:
        super().__init__(daemon=True, name=f"heartbeat-{task.job_id}")
        self.worker, self.task, self.receipt = worker, task, receipt
        self.finished = threading.Event()
        self.lost = threading.Event()  # the work is no longer ours to finish

    def abandon(self, why: str) -> None:
        if not self.lost.is_set():
            logger.warning(f"{why}; abandoning the job", extra={"job_id": self.task.job_id})
        self.lost.set()

    def run(self) -> None:
        interval = max(1.0, self.worker.settings.heartbeat_seconds / 3)
        while not self.finished.wait(interval):
            try:
                self.beat()
            except Exception:
                logger.exception("heartbeat failed", extra={"job_id": self.task.job_id})

    def beat(self) -> None:
        w = self.worker
        try:
            w.sfn.send_task_heartbeat(taskToken=self.task.task_token)
        except Exception as exc:
            if aws.error_code(exc) in _GONE_TOKEN:
                self.abandon("task token refused")
                return
            raise
        w.sqs.change_message_visibility(
            QueueUrl=w.queue_url, ReceiptHandle=self.receipt, VisibilityTimeout=w.settings.queue_visibility_seconds
        )
        if not w.store.renew_lease(self.task.job_id, w.worker_id, w.settings.heartbeat_seconds):
            self.abandon("job is no longer ours (cancelled or ended)")


class Worker:
    def __init__(self, settings: Settings, models: ModelCache, worker_id: str | None = None) -> None:
        self.settings = settings
        self.models = models
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.store = JobStore(settings.table)
        self.sqs = aws.client("sqs")
        self.sfn = aws.client("stepfunctions")
        self.queue_url = aws.queue_url(settings.queue_name)
        self.stopping = threading.Event()
        self.jobs_done = 0
        # One sender thread keeps progress events in order without slowing the transcription.
        self._progress_sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="progress")

    # -- lifecycle -------------------------------------------------------------

    def install_signal_handlers(self) -> None:
        def stop(signum: int, _frame: Any) -> None:
            logger.info("signal received: finishing up", extra={"signal": signum})
            self.stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

    def run(self) -> None:
        logger.info("worker started", extra={"worker_id": self.worker_id, "queue": self.queue_url})
        while not self.stopping.is_set():
            response = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=1,
                WaitTimeSeconds=self.settings.poll_wait_seconds,
                VisibilityTimeout=self.settings.queue_visibility_seconds,
            )
            for message in response.get("Messages", []):
                if self.stopping.is_set():
                    self._give_back(message["ReceiptHandle"])
                    continue
                self.handle(message)
        logger.info("worker stopped", extra={"worker_id": self.worker_id, "jobs_done": self.jobs_done})

    # -- one message -----------------------------------------------------------

    def handle(self, message: dict[str, Any]) -> None:
        receipt = message["ReceiptHandle"]
        try:
            task = TranscribeTask.model_validate_json(message["Body"])
        except ValidationError as exc:
            self._reject_malformed(message, exc)
            return
        logger.append_keys(correlation_id=task.job_id)
        try:
            job = self.store.claim(task.job_id, self.worker_id, self.settings.heartbeat_seconds)
        except InvalidTransition:
            self._not_claimed(task, receipt)
            return
        self._progress_sender.submit(
            publish_quietly, started_envelope(task.job_id, job.tenant, self.worker_id, job.redrives)
        )
        heartbeat = _Heartbeat(self, task, receipt)
        heartbeat.start()
        try:
            output = self._work(task, heartbeat, job.tenant)
        except Interrupted:
            self._interrupted(task, receipt, heartbeat)
            return
        except YtcError as exc:
            self._fail(task, receipt, exc.code, exc.reason)
            return
        except Exception as exc:
            logger.exception("unexpected error")
            self._fail(task, receipt, ErrorCode.INTERNAL_ERROR, f"The worker hit an unexpected error: {exc}")
            return
        finally:
            heartbeat.finished.set()
        self._answer(task, lambda: self.sfn.send_task_success(taskToken=task.task_token, output=json.dumps(output)))
        self._delete(receipt)
        self.jobs_done += 1
        logger.info("job transcribed", extra={"metrics": output["metrics"]})

    def _work(self, task: TranscribeTask, heartbeat: _Heartbeat, tenant: str) -> dict[str, Any]:
        started = time.monotonic()
        last_decile = -1

        def progress(fraction: float) -> bool:
            nonlocal last_decile
            if self.stopping.is_set() or heartbeat.lost.is_set():
                return False
            decile = int(fraction * 10)
            if decile > last_decile:
                last_decile = decile
                elapsed = time.monotonic() - started
                eta = elapsed / fraction * (1 - fraction) if fraction > 0 else None
                still_ours = self.store.update(
                    task.job_id, JobStatus.TRANSCRIBING, progress=min(99, int(fraction * 100)),
                    eta_seconds=round(eta, 1) if eta is not None else None,
                )  # fmt: skip
                if not still_ours:
                    heartbeat.abandon("job left TRANSCRIBING (cancelled, failed or timed out)")
                    return False
                if 0 < decile < 10:
                    self._progress_event(task, tenant, decile * 10, eta)
            return True

        media = MediaStore(task.audio.bucket)
        with tempfile.TemporaryDirectory(prefix="ytc-worker-") as tmp:
            local = Path(tmp) / "audio"
            media.download(task.audio.key, local)
            progress(0.0)
            transcript = transcribe(self.models, local, task.options, progress)
        # Results only for a job that is still ours: never for one cancelled or timed out meanwhile.
        if not self.stopping.is_set() and not self.store.renew_lease(
            task.job_id, self.worker_id, self.settings.heartbeat_seconds
        ):
            heartbeat.abandon("job is no longer ours (cancelled or ended)")
        if self.stopping.is_set() or heartbeat.lost.is_set():
            raise Interrupted()
        keys = MediaStore(self.settings.bucket).write_results(task.job_id, render_all(transcript))
        timings = transcript.timings
        metrics = {
            "audio_seconds": transcript.duration,
            "processing_seconds": timings.processing_seconds if timings else None,
            "model_load_seconds": timings.model_load_seconds if timings else None,
            "real_time_factor": round(timings.real_time_factor, 4) if timings else None,
            "worker_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
        result = {"bucket": self.settings.bucket, "keys": keys, "metrics": metrics}
        self.store.update(
            task.job_id, JobStatus.TRANSCRIBING, progress=100, eta_seconds=0, result=result,
            language=transcript.language,
        )  # fmt: skip
        return {"job_id": task.job_id, **result, "language": transcript.language}

    def _progress_event(self, task: TranscribeTask, tenant: str, progress: int, eta: float | None) -> None:
        """To the event bus, and to the webhook if asked for: best effort, in order, off the
        transcription thread (progress events are not retried)."""
        url = task.options.webhook_url if task.options.notify_progress else None
        event = progress_envelope(task.job_id, tenant, progress, round(eta, 1) if eta is not None else None)

        def send() -> None:
            publish_quietly(event)
            if not url:
                return
            try:
                secret = TenantStore(self.settings.table).webhook_secret(tenant)
                s = self.settings
                policy = webhook_policy(s.allow_loopback_urls)
                delivery = deliver(url, event, secret, policy, s.webhook_require_https, s.webhook_timeout_seconds)
                self.store.record_delivery(task.job_id, JobStatus.TRANSCRIBING, event["event_type"], delivery.as_dict())
            except Exception:
                logger.exception("progress webhook failed")

        self._progress_sender.submit(send)

    # -- outcomes --------------------------------------------------------------

    def _not_claimed(self, task: TranscribeTask, receipt: str) -> None:
        """A duplicate, or work another worker holds: never do it twice."""
        job = self.store.get(task.job_id)
        if job is None or job.status.terminal:
            logger.info("duplicate of finished work; dropping it", extra={"status": job and job.status})
            self._delete(receipt)
            return
        # Someone holds it (or it is not queued yet): look again when their lease may have lapsed.
        self.sqs.change_message_visibility(
            QueueUrl=self.queue_url, ReceiptHandle=receipt, VisibilityTimeout=self.settings.heartbeat_seconds
        )
        logger.info("job held elsewhere; message deferred", extra={"status": job.status})

    def _interrupted(self, task: TranscribeTask, receipt: str, heartbeat: _Heartbeat) -> None:
        if heartbeat.lost.is_set():
            job = self.store.get(task.job_id)
            if job and job.status == JobStatus.CANCELLED:
                self._answer(
                    task,
                    lambda: self.sfn.send_task_failure(taskToken=task.task_token, error="Cancelled", cause="cancelled"),
                )
            self._delete(receipt)
            return
        # Shutting down: hand the message back at once so another worker resumes it.
        self.store.release_lease(task.job_id, self.worker_id)
        self._give_back(receipt)
        logger.info("shutdown: unfinished job handed back to the queue")

    def _fail(self, task: TranscribeTask, receipt: str, code: ErrorCode, reason: str) -> None:
        # The reason goes on the job itself: the emulator drops SendTaskFailure's cause.
        self.store.fail(task.job_id, code, reason)
        self._answer(
            task, lambda: self.sfn.send_task_failure(taskToken=task.task_token, error=str(code), cause=reason[:32000])
        )
        self._delete(receipt)
        logger.warning("job failed", extra={"error_code": str(code), "reason": reason})

    def _reject_malformed(self, message: dict[str, Any], exc: ValidationError) -> None:
        logger.error("malformed task message", extra={"error": str(exc)})
        try:
            body = json.loads(message["Body"])
        except ValueError:
            body = {}
        token = body.get("task_token") if isinstance(body, dict) else None
        if token:
            try:
                self.sfn.send_task_failure(taskToken=token, error=str(ErrorCode.INTERNAL_ERROR), cause="malformed task")
            except Exception as err:
                if aws.error_code(err) not in _GONE_TOKEN:
                    raise
        self._delete(message["ReceiptHandle"])

    def _answer(self, task: TranscribeTask, call: Any) -> None:
        try:
            call()
        except Exception as exc:
            if aws.error_code(exc) not in _GONE_TOKEN:
                raise
            logger.warning("task already ended; answer dropped", extra={"job_id": task.job_id})

    def _give_back(self, receipt: str) -> None:
        self.sqs.change_message_visibility(QueueUrl=self.queue_url, ReceiptHandle=receipt, VisibilityTimeout=0)

    def _delete(self, receipt: str) -> None:
        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=receipt)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="YTCaption Whisper worker")
    parser.add_argument("--preload", default=None, help="model to load before taking work, or 'none'")
    args = parser.parse_args(argv)
    settings = get_settings()
    models = ModelCache(Path(settings.model_cache_dir), settings.worker_threads)
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
