"""The Whisper worker: takes transcription tasks from SQS and answers the state machine.

Each message carries a Step Functions task token. The queue task has no
heartbeat of its own (a message may wait for a worker as long as it must);
liveness is the worker's lease on the job in DynamoDB. While it works, the
worker renews the lease every third of its length and keeps the message hidden
until a margin past the lease's end. A worker that dies lets its lease lapse;
its message reappears just after, and the next worker to receive it takes the
job over under the same task token (a budget of take-overs, with backoff, before
the job fails WORKER_TIMEOUT). On SIGTERM a worker hands an unfinished message
straight back; a duplicate delivery finds the job held, done or ended.
"""

from __future__ import annotations

import argparse
import json
import math
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

from pydantic import BaseModel, ValidationError

from ytcaption.domain.chunks import Chunk
from ytcaption.domain.errors import ErrorCode, InvalidTransition, YtcError
from ytcaption.domain.formats import render_all
from ytcaption.domain.job import Job, JobOptions, JobStatus
from ytcaption.finish.events import progress_envelope, publish_quietly, started_envelope
from ytcaption.finish.webhooks import deliver
from ytcaption.intake.urlpolicy import webhook_policy
from ytcaption.settings import Settings, get_settings
from ytcaption.store import aws
from ytcaption.store.jobs import JobStore
from ytcaption.store.media import MediaStore
from ytcaption.store.tenants import TenantStore
from ytcaption.worker.audio import AudioCache
from ytcaption.worker.progress import progress_reporter
from ytcaption.worker.protection import ScaleInProtection
from ytcaption.worker.queues import PollOrder
from ytcaption.worker.runner import TIME_LIMIT_REASON, logger, run_work
from ytcaption.worker.speakers.apply import with_speakers
from ytcaption.worker.transcribe import Interrupted, ModelCache, transcribe

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
    # Long audio: this task is one chunk of the job (domain.chunks).
    chunk: Chunk | None = None
    # The job's own time limit, counted from when a worker first takes it.
    time_limit_seconds: float | None = None


class _Heartbeat(threading.Thread):
    """Keeps the job's lease and the message alive while we work, and watches the job's time limit."""

    def __init__(self, worker: Worker, task: TranscribeTask, receipt: str, deadline_at: float | None) -> None:
        super().__init__(daemon=True, name=f"heartbeat-{task.job_id}")
        self.worker, self.task, self.receipt, self.deadline_at = worker, task, receipt, deadline_at
        self.finished = threading.Event()
        self.lost = threading.Event()  # the work is no longer ours to finish
        self.expired = threading.Event()  # ...because the job's time limit passed

    def abandon(self, why: str) -> None:
        if not self.lost.is_set():
            logger.warning(f"{why}; abandoning the job", extra={"job_id": self.task.job_id})
        self.lost.set()

    def past_deadline(self) -> bool:
        if self.deadline_at is not None and time.time() >= self.deadline_at:
            self.expired.set()
            self.abandon("the job ran past its time limit")
        return self.expired.is_set()

    def run(self) -> None:
        interval = self.worker.settings.heartbeat_seconds / 3
        while not self.finished.wait(interval):
            try:
                self.beat()
            except Exception:
                logger.exception("heartbeat failed", extra={"job_id": self.task.job_id})

    def beat(self) -> None:
        w = self.worker
        if self.past_deadline():
            return
        # Lease first, then the message: the message always reappears after the lease has lapsed.
        if not w.store.renew_lease(self.task.job_id, w.worker_id, w.settings.heartbeat_seconds):
            self.abandon("job is no longer ours (cancelled, ended or taken over)")
            return
        w.hide(self.receipt)


class _ChunkHeartbeat(_Heartbeat):
    """The same, on one chunk's lease (it holds while the job is TRANSCRIBING)."""

    def __init__(
        self, worker: Worker, task: TranscribeTask, receipt: str, deadline_at: float | None, index: int
    ) -> None:
        super().__init__(worker, task, receipt, deadline_at)
        self.index = index

    def beat(self) -> None:
        w = self.worker
        if self.past_deadline():
            return
        if not w.store.renew_chunk(self.task.job_id, self.index, w.worker_id, w.settings.heartbeat_seconds):
            self.abandon("chunk is no longer ours (job cancelled or ended, or taken over)")
            return
        w.hide(self.receipt)


class Worker:
    def __init__(self, settings: Settings, models: ModelCache, worker_id: str | None = None) -> None:
        self.settings = settings
        self.models = models
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.store = JobStore(settings.table)
        self.sqs = aws.client("sqs")
        self.sfn = aws.client("stepfunctions")
        # One queue per priority; queue_url is the one of the message in hand.
        self.queue_names = {
            "high": settings.queue_name_high,
            "normal": settings.queue_name,
            "low": settings.queue_name_low,
        }
        self._queue_urls: dict[str, str] = {}
        self.queue_url = ""
        self.order = PollOrder(settings.priority_fairness_every)
        self.stopping = threading.Event()
        self.jobs_done = 0
        self.protection = ScaleInProtection()
        # One sender thread keeps progress events in order without slowing the transcription.
        self._progress_sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="progress")
        # The audio of the long job whose chunks this worker takes, kept between them (worker.audio).
        self.audio = AudioCache()

    @property
    def queue_urls(self) -> dict[str, str]:
        """Looked up on the first poll, inside its reconnect loop: a worker that starts while AWS (the
        emulator) cannot be reached waits for it instead of dying."""
        if not self._queue_urls:
            self._queue_urls = {priority: aws.queue_url(name) for priority, name in self.queue_names.items()}
        return self._queue_urls

    # -- lifecycle -------------------------------------------------------------

    def install_signal_handlers(self) -> None:
        def stop(signum: int, _frame: Any) -> None:
            logger.info("signal received: finishing up", extra={"signal": signum})
            self.stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

    def run(self) -> None:
        logger.info("worker started", extra={"worker_id": self.worker_id, "queues": self.queue_names})
        try:
            self._run()
        finally:
            self.audio.clear()
        logger.info("worker stopped", extra={"worker_id": self.worker_id, "jobs_done": self.jobs_done})

    def _run(self) -> None:
        backoff = 0.0
        while not self.stopping.is_set():
            try:
                self._poll_once()
                backoff = 0.0
            except Exception as exc:
                if not aws.unreachable(exc):
                    raise
                # AWS (locally: the emulator) is gone for now: wait and reconnect; an unfinished
                # message reappears on its own once its visibility lapses.
                backoff = min(30.0, max(1.0, backoff * 2))
                logger.warning("AWS unreachable; retrying", extra={"in_seconds": backoff, "error": str(exc)})
                self.stopping.wait(backoff)

    def _poll_once(self) -> None:
        received = self._receive()
        if received is None:
            return
        priority, message = received
        self.queue_url = self.queue_urls[priority]
        if self.stopping.is_set():
            self._give_back(message["ReceiptHandle"])
            return
        self.order.took()
        logger.info("message taken", extra={"priority": priority})
        self.handle(message)

    def _receive(self) -> tuple[str, dict[str, Any]] | None:
        """The next message, from the queues in priority order: a quick look at each, then a
        long poll spread over them (an idle worker answers any priority within poll_wait_seconds)."""
        order = self.order.next()
        share = max(1, self.settings.poll_wait_seconds // len(order)) if self.settings.poll_wait_seconds else 0
        for wait in (0, share):
            for priority in order:
                response = self.sqs.receive_message(
                    QueueUrl=self.queue_urls[priority],
                    MaxNumberOfMessages=1,
                    WaitTimeSeconds=wait,
                    VisibilityTimeout=self.settings.visibility_seconds,
                )
                for message in response.get("Messages", []):
                    return priority, message
                if self.stopping.is_set():
                    return None
            if not share:
                break
        return None

    # -- one message -----------------------------------------------------------

    def handle(self, message: dict[str, Any]) -> None:
        receipt = message["ReceiptHandle"]
        try:
            task = TranscribeTask.model_validate_json(message["Body"])
        except ValidationError as exc:
            self._reject_malformed(message, exc)
            return
        logger.append_keys(correlation_id=task.job_id)
        if task.chunk is not None:
            from ytcaption.worker.chunked import ChunkRunner

            ChunkRunner(self).handle(task, task.chunk, receipt)
            return
        job = self._take(task, receipt)
        if job is None:
            return
        # Protected from scale-in while the job is ours, released whatever the outcome.
        with self.protection.held(task.time_limit_seconds or 3600):
            self._process(task, receipt, job)

    def _process(self, task: TranscribeTask, receipt: str, job: Job) -> None:
        # Re-anchor the message's visibility on the lease just taken.
        self.hide(receipt)
        if job.lost_workers:
            logger.info("job taken over from a lost worker", extra={"lost_workers": job.lost_workers})
        if job.result and self._results_present(job.result):
            # A lost worker wrote the results but never answered: answer for it.
            output = {"job_id": job.job_id, **job.result, "language": job.language}
            self._succeed(task, receipt, output, "results of a lost worker delivered")
            return
        heartbeat = _Heartbeat(self, task, receipt, job.deadline_at)
        if heartbeat.past_deadline():
            self._fail(task, receipt, ErrorCode.TIMEOUT, TIME_LIMIT_REASON)
            return
        self._progress_sender.submit(
            publish_quietly, started_envelope(task.job_id, job.tenant, self.worker_id, job.redrives)
        )
        run_work(
            self, task, receipt, heartbeat,
            work=lambda: self._work(task, heartbeat, job.tenant),
            release=lambda: self.store.release_lease(task.job_id, self.worker_id),
            done=lambda output: self._succeed(task, receipt, output, "job transcribed"),
        )  # fmt: skip

    def _succeed(self, task: TranscribeTask, receipt: str, output: dict[str, Any], what: str) -> None:
        self._answer(task, lambda: self.sfn.send_task_success(taskToken=task.task_token, output=json.dumps(output)))
        self._delete(receipt)
        self.jobs_done += 1
        logger.info(what, extra={"metrics": output.get("metrics")})

    # -- taking a job ----------------------------------------------------------

    def _take(self, task: TranscribeTask, receipt: str) -> Job | None:
        """Claim the task's job; None when the message was settled otherwise
        (dropped, answered, or deferred until the job may be taken)."""
        job = self.store.get(task.job_id)
        if job is None or self._settle(task, receipt, job):
            return None
        try:
            return self.store.claim(
                task.job_id, self.worker_id, self.settings.heartbeat_seconds, task.time_limit_seconds
            )
        except InvalidTransition as exc:
            # Another worker was quicker, or the job ended meanwhile.
            logger.info("job not claimed", extra={"why": str(exc)})
            job = self.store.get(task.job_id)
            if job is None or not self._settle(task, receipt, job):
                self.defer(receipt, self.settings.lease_margin_seconds, "job not claimed; looking again shortly")
            return None

    def _settle(self, task: TranscribeTask, receipt: str, job: Job | None) -> bool:
        """Deal with a message whose job cannot be taken now; False if it can be claimed."""
        if job is None:
            logger.warning("task for a job that does not exist; dropping it")
            self._delete(receipt)
            return True
        if job.status.terminal:
            logger.info("the job has ended; dropping its task", extra={"status": job.status})
            self._answer_ended(task, job)
            self._delete(receipt)
            return True
        if job.status in (JobStatus.PENDING, JobStatus.DOWNLOADING):
            self.defer(receipt, self.settings.lease_margin_seconds, "job not queued yet; message deferred")
            return True
        if job.status != JobStatus.TRANSCRIBING or not job.lease_owner:
            return False  # queued, or handed back by a worker that shut down
        now = time.time()
        lease_until = job.lease_until or 0.0
        if lease_until > now:
            # Held by a live worker (this is a duplicate, or it paused): look again when its lease may lapse.
            self.defer(receipt, lease_until - now + self.settings.lease_margin_seconds, "job held by another worker")
            return True
        takeover = job.lost_workers + 1
        if takeover > self.settings.lost_worker_retries:
            self._fail(
                task,
                receipt,
                ErrorCode.WORKER_TIMEOUT,
                f"The job's Whisper worker stopped responding {takeover} times (crashed or lost its host); "
                "it was not tried again.",
            )
            return True
        ready_at = lease_until + self.settings.lost_worker_backoff(takeover)
        if ready_at > now:
            self.defer(receipt, ready_at - now, "backing off before taking over from a lost worker")
            return True
        return False

    def _results_present(self, result: dict[str, Any]) -> bool:
        media = MediaStore(str(result.get("bucket") or self.settings.bucket))
        keys = result.get("keys") or {}
        return bool(keys) and all(media.head(key) is not None for key in keys.values())

    def _work(self, task: TranscribeTask, heartbeat: _Heartbeat, tenant: str) -> dict[str, Any]:
        progress = progress_reporter(self, task, heartbeat, tenant, time.time())
        media = MediaStore(task.audio.bucket)
        with tempfile.TemporaryDirectory(prefix="ytc-worker-") as tmp:
            local = Path(tmp) / "audio"
            media.download(task.audio.key, local)
            progress(0.0)
            transcript = with_speakers(transcribe(self.models, local, task.options, progress), local, task.options)
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

    def _answer_ended(self, task: TranscribeTask, job: Job) -> None:
        """End the task of a job that has ended, in case its execution still waits on it
        (a cancelled job whose message was still queued, a worker lost after failing the job)."""
        if job.status == JobStatus.CANCELLED:
            error = "Cancelled"
        elif job.status == JobStatus.FAILED:
            error = job.error_code or str(ErrorCode.INTERNAL_ERROR)
        else:
            return  # COMPLETED: its task was answered already
        self._answer(task, lambda: self.sfn.send_task_failure(taskToken=task.task_token, error=error, cause=error))

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

    def hide(self, receipt: str) -> None:
        """Keep the message from other workers until a margin past our lease."""
        self.sqs.change_message_visibility(
            QueueUrl=self.queue_url, ReceiptHandle=receipt, VisibilityTimeout=self.settings.visibility_seconds
        )

    def defer(self, receipt: str, seconds: float, why: str) -> None:
        """Let the message reappear in `seconds` (SQS counts whole seconds, 12 hours at most)."""
        delay = min(12 * 3600, max(1, math.ceil(seconds)))
        self.sqs.change_message_visibility(QueueUrl=self.queue_url, ReceiptHandle=receipt, VisibilityTimeout=delay)
        logger.info(f"{why}; message deferred", extra={"seconds": delay})

    def _give_back(self, receipt: str) -> None:
        self.sqs.change_message_visibility(QueueUrl=self.queue_url, ReceiptHandle=receipt, VisibilityTimeout=0)

    def _delete(self, receipt: str) -> None:
        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=receipt)


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
