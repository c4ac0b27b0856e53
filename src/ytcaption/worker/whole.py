"""A whole file: the worker's side of the state machine's Transcribe state.

The job is taken under a lease (store.claims); a job held by a live worker is looked at again when
its lease may lapse, and one whose worker stopped renewing it is taken over (a budget of take-overs,
with backoff, before the job fails WORKER_TIMEOUT). The audio is transcribed, the results written
to S3 while the job is still ours, and the execution answered with where they are. A lost worker's
results already in S3 are answered at once.
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from ytcaption.domain.errors import ErrorCode, InvalidTransition
from ytcaption.domain.formats import render_all
from ytcaption.domain.job import Job, JobStatus
from ytcaption.domain.steps import TranscribeTask
from ytcaption.finish.events import started_envelope
from ytcaption.store.media import MediaStore
from ytcaption.worker.context import WorkerContext
from ytcaption.worker.lease import TIME_LIMIT_REASON, Heartbeat
from ytcaption.worker.log import logger
from ytcaption.worker.messages import Message
from ytcaption.worker.progress import ProgressReporter
from ytcaption.worker.runner import check_still_ours, fail, run_work, settled_before_claim
from ytcaption.worker.speakers.apply import decoded, with_speakers
from ytcaption.worker.transcribe import transcribe


class WholeFileRunner:
    def __init__(self, ctx: WorkerContext) -> None:
        self.ctx = ctx

    def handle(self, task: TranscribeTask, message: Message) -> None:
        job = self.take(task, message)
        if job is None:
            return
        # Protected from scale-in while the job is ours, released whatever the outcome.
        with self.ctx.protection.held(task.time_limit_seconds or 3600):
            self.process(task, message, job)

    # -- taking the job ----------------------------------------------------------

    def take(self, task: TranscribeTask, message: Message) -> Job | None:
        """Claim the task's job; None when the message was settled otherwise
        (dropped, answered, or deferred until the job may be taken)."""
        ctx = self.ctx
        job = ctx.store.get(task.job_id)
        if self.settle(task, message, job):  # a vanished job's message is dropped there
            return None
        try:
            return ctx.store.claim(task.job_id, ctx.worker_id, ctx.settings.heartbeat_seconds, task.time_limit_seconds)
        except InvalidTransition as exc:
            # Another worker was quicker, or the job ended meanwhile.
            logger.info("job not claimed", extra={"why": str(exc)})
            job = ctx.store.get(task.job_id)
            if not self.settle(task, message, job):
                ctx.messages.defer(message, ctx.settings.lease_margin_seconds, "job not claimed; looking again shortly")
            return None

    def settle(self, task: TranscribeTask, message: Message, job: Job | None) -> bool:
        """Deal with a message whose job cannot be taken now; False if it can be claimed."""
        ctx = self.ctx
        if settled_before_claim(ctx, task, message, job):
            return True
        assert job is not None
        if job.status != JobStatus.TRANSCRIBING or not job.lease_owner:
            return False  # queued, or handed back by a worker that shut down
        now = time.time()
        lease_until = job.lease_until or 0.0
        if lease_until > now:
            # Held by a live worker (this is a duplicate, or it paused): look again when its lease may lapse.
            wait = lease_until - now + ctx.settings.lease_margin_seconds
            ctx.messages.defer(message, wait, "job held by another worker")
            return True
        takeover = job.lost_workers + 1
        if takeover > ctx.settings.lost_worker_retries:
            reason = (
                f"The job's Whisper worker stopped responding {takeover} times (crashed or lost its host); "
                "it was not tried again."
            )
            fail(ctx, task, message, ErrorCode.WORKER_TIMEOUT, reason)
            return True
        ready_at = lease_until + ctx.settings.lost_worker_backoff(takeover)
        if ready_at > now:
            ctx.messages.defer(message, ready_at - now, "backing off before taking over from a lost worker")
            return True
        return False

    # -- the work ----------------------------------------------------------------

    def process(self, task: TranscribeTask, message: Message, job: Job) -> None:
        ctx = self.ctx
        # Re-anchor the message's visibility on the lease just taken.
        ctx.messages.hide(message)
        if job.lost_workers:
            logger.info("job taken over from a lost worker", extra={"lost_workers": job.lost_workers})
        if job.result and self.results_present(job.result):
            # A lost worker wrote the results but never answered: answer for it.
            output = {"job_id": job.job_id, **job.result, "language": job.language}
            self.succeed(task, message, output, "results of a lost worker delivered")
            return
        heartbeat = Heartbeat(
            task.job_id,
            renew=lambda: ctx.store.renew_lease(task.job_id, ctx.worker_id, ctx.settings.heartbeat_seconds),
            hide=lambda: ctx.messages.hide(message),
            lease_seconds=ctx.settings.heartbeat_seconds,
            deadline_at=job.deadline_at,
        )
        if heartbeat.past_deadline():
            fail(ctx, task, message, ErrorCode.TIMEOUT, TIME_LIMIT_REASON)
            return
        ctx.events.publish(started_envelope(task.job_id, job.tenant, ctx.worker_id, job.redrives))
        run_work(
            ctx, task, message, heartbeat,
            work=lambda: self.work(task, heartbeat, job.tenant),
            release=lambda: ctx.store.release_lease(task.job_id, ctx.worker_id),
            done=lambda output: self.succeed(task, message, output, "job transcribed"),
        )  # fmt: skip

    def work(self, task: TranscribeTask, heartbeat: Heartbeat, tenant: str) -> dict[str, Any]:
        ctx = self.ctx
        media = MediaStore(task.audio.bucket)
        with (
            ProgressReporter(ctx, task, heartbeat, tenant, time.time()) as progress,
            tempfile.TemporaryDirectory(prefix="ytc-worker-") as tmp,
        ):
            local = Path(tmp) / "audio"
            media.download(task.audio.key, local)
            progress(0.0)
            # With speakers the file is decoded once, for Whisper and the speaker engine alike.
            audio = decoded(local) if task.options.speakers is not None else local
            transcript = with_speakers(transcribe(ctx.models, audio, task.options, progress), audio, task.options)
        check_still_ours(ctx, heartbeat)
        keys = MediaStore(ctx.settings.bucket).write_results(task.job_id, render_all(transcript, task.options))
        timings = transcript.timings
        metrics = {
            "audio_seconds": transcript.duration,
            "processing_seconds": timings.processing_seconds if timings else None,
            "model_load_seconds": timings.model_load_seconds if timings else None,
            "real_time_factor": round(timings.real_time_factor, 4) if timings else None,
            "worker_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "lane": ctx.lane,
        }
        result = {"bucket": ctx.settings.bucket, "keys": keys, "metrics": metrics}
        ctx.store.update(
            task.job_id, JobStatus.TRANSCRIBING, progress=100, eta_seconds=0, result=result,
            language=transcript.language,
        )  # fmt: skip
        return {"job_id": task.job_id, **result, "language": transcript.language}

    def succeed(self, task: TranscribeTask, message: Message, output: dict[str, Any], what: str) -> None:
        ctx = self.ctx
        ctx.messages.succeed(task, output)
        ctx.messages.delete(message)
        ctx.jobs_done += 1
        logger.info(what, extra={"metrics": output.get("metrics")})

    def results_present(self, result: dict[str, Any]) -> bool:
        media = MediaStore(str(result.get("bucket") or self.ctx.settings.bucket))
        keys = result.get("keys") or {}
        return bool(keys) and all(media.head(key) is not None for key in keys.values())
