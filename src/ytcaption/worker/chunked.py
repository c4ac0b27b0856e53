"""One chunk of a long file: the worker's side of the state machine's TranscribeChunks map.

A chunk is leased like a job (its own item, CHUNK#<n>), renewed while the job is
TRANSCRIBING; a cancelled or failed job stops every chunk at its next renewal or
progress tick. The worker decodes only the chunk's range, writes its transcript
(in the file's time) to results/{job}/chunks/{n}.json, and answers. Whoever
finishes the last chunk merges them all into the job's transcript before it
answers. A job with speakers also has each chunk's voices heard by its worker
(results/{job}/chunks/{n}.voices.json, written before the transcript), and the
merge clusters the whole job's voices once (worker.speakers.long_audio). A
chunk whose result is already in S3 is answered at once: a redrive or a lost
worker redoes only the chunks without one.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from ytcaption.domain.chunks import Chunk, merge, shifted
from ytcaption.domain.errors import ErrorCode, InvalidTransition
from ytcaption.domain.formats import render_all
from ytcaption.domain.job import Job, JobStatus
from ytcaption.domain.steps import TranscribeTask
from ytcaption.domain.transcript import Transcript
from ytcaption.store.media import MediaStore, chunk_result_key, chunk_results_prefix, chunk_voices_key
from ytcaption.worker.context import WorkerContext
from ytcaption.worker.lease import TIME_LIMIT_REASON, Heartbeat
from ytcaption.worker.log import logger
from ytcaption.worker.messages import Message
from ytcaption.worker.progress import ProgressReporter
from ytcaption.worker.runner import check_still_ours, fail, run_work, settled_before_claim
from ytcaption.worker.speakers.apply import timed
from ytcaption.worker.speakers.long_audio import hear_chunk, label_merged
from ytcaption.worker.speakers.voices import Voices
from ytcaption.worker.transcribe import decode_range, detect_language, transcribe


def lane_of(lanes: Iterable[str]) -> str:
    """The job's lane from its chunks' lanes: the one they share, or "mixed"."""
    found = set(lanes)
    return found.pop() if len(found) == 1 else "mixed"


# How much of the file's start the language is detected from (its first speech, found by VAD).
LANGUAGE_SECONDS = 120.0


class ChunkRunner:
    def __init__(self, ctx: WorkerContext) -> None:
        self.ctx = ctx

    def handle(self, task: TranscribeTask, chunk: Chunk, message: Message) -> None:
        ctx = self.ctx
        job = ctx.store.get(task.job_id)
        if settled_before_claim(ctx, task, message, job):  # a vanished job's message is dropped there
            return
        assert job is not None
        key = chunk_result_key(task.job_id, chunk.index)
        results = MediaStore(ctx.settings.bucket)
        if results.head(key) is not None:
            # Done before (a redrive, or a worker lost after writing it): answer from it.
            self.finish(task, chunk, message, job, "chunk result found")
            return
        try:
            item = ctx.store.claim_chunk(
                task.job_id, chunk.index, ctx.worker_id, ctx.settings.heartbeat_seconds, chunk.timeout_seconds
            )
        except InvalidTransition:
            held = ctx.store.chunk(task.job_id, chunk.index) or {}
            wait = float(held.get("lease_until") or 0) - time.time()
            wait = max(wait, 0) + ctx.settings.lease_margin_seconds
            ctx.messages.defer(message, wait, "chunk held by another worker")
            return
        ctx.messages.hide(message)
        logger.info("chunk taken", extra={"chunk": chunk.index, "start": chunk.start, "end": chunk.end})
        if int(item.get("lost_workers") or 0) > ctx.settings.lost_worker_retries:
            reason = f"The Whisper worker of chunk {chunk.index} stopped responding too often; it was not tried again."
            fail(ctx, task, message, ErrorCode.WORKER_TIMEOUT, reason)
            return
        lease = ctx.settings.heartbeat_seconds
        heartbeat = Heartbeat(
            task.job_id,
            renew=lambda: ctx.store.renew_chunk(task.job_id, chunk.index, ctx.worker_id, lease),
            hide=lambda: ctx.messages.hide(message),
            lease_seconds=ctx.settings.heartbeat_seconds,
            deadline_at=item.get("deadline_at"),
            what="chunk",
        )
        if heartbeat.past_deadline():
            fail(ctx, task, message, ErrorCode.TIMEOUT, TIME_LIMIT_REASON)
            return
        run_work(
            ctx, task, message, heartbeat,
            work=lambda: self.work(task, chunk, job, heartbeat),
            release=lambda: ctx.store.release_chunk(task.job_id, chunk.index, ctx.worker_id),
            done=lambda _: self.finish(task, chunk, message, job, "chunk transcribed"),
        )  # fmt: skip

    def language(self, task: TranscribeTask, job: Job, local: Path) -> str | None:
        """Given, or detected once from the file's first speech and shared by every chunk."""
        if task.options.language:
            return task.options.language
        if job.language:
            return job.language
        model, _ = self.ctx.models.get(task.options.model)
        if model.model.is_multilingual:
            detected = detect_language(self.ctx.models, task.options.model, decode_range(local, 0.0, LANGUAGE_SECONDS))
        else:
            detected = "en"  # an English-only model: nothing to detect, so nothing to decode for it
        return self.ctx.store.settle_language(task.job_id, detected)

    def work(self, task: TranscribeTask, chunk: Chunk, job: Job, heartbeat: Heartbeat) -> None:
        ctx = self.ctx
        duration = float(task.duration or chunk.end)

        def job_fraction(fraction: float) -> float:
            ctx.store.chunk_progress(task.job_id, chunk.index, fraction * chunk.seconds)
            return sum(float(c.get("seconds_done") or 0) for c in ctx.store.chunks(task.job_id)) / duration

        # The job began transcribing with its first chunk's claim (started_at), not with this chunk.
        began = (
            datetime.fromisoformat(job.started_at.replace("Z", "+00:00")).timestamp() if job.started_at else time.time()
        )
        prepared = time.perf_counter()
        # Downloaded once per worker and job, not once per chunk (worker.audio).
        local, cached = ctx.audio.get(task.audio.bucket, task.audio.key)
        language = self.language(task, job, local)
        audio = decode_range(local, chunk.start, chunk.end)
        prepare_seconds = time.perf_counter() - prepared
        options = task.options.model_copy(update={"language": language})
        with ProgressReporter(ctx, task, heartbeat, job.tenant, began, job_fraction) as progress:
            progress(0.0)
            part = shifted(transcribe(ctx.models, audio, options, progress), chunk.start)
        if task.options.speakers is not None:
            # The chunk's voices, from the samples Whisper heard; the merge clusters the whole job's once.
            voices, seconds = hear_chunk(audio, chunk)
            part = timed(part, seconds)
        check_still_ours(ctx, heartbeat)
        key = chunk_result_key(task.job_id, chunk.index)
        results = MediaStore(ctx.settings.bucket)
        if task.options.speakers is not None:
            results.put_text(chunk_voices_key(task.job_id, chunk.index), voices.to_json(), "application/json")
        results.put_text(key, part.model_dump_json(), "application/json")
        timings = part.timings
        metrics = {
            "audio_seconds": round(chunk.seconds, 3),
            "processing_seconds": timings.processing_seconds if timings else None,
            # Download (unless the worker had the file already), language, decoding the range.
            "prepare_seconds": round(prepare_seconds, 3),
            "audio_cached": cached,
            "worker": ctx.worker_id,
            "lane": ctx.lane,
        }
        ctx.store.chunk_done(task.job_id, chunk.index, chunk.seconds, key, metrics)

    def finish(self, task: TranscribeTask, chunk: Chunk, message: Message, job: Job, what: str) -> None:
        """Answer the chunk's task; the one that finds every chunk done merges them first."""
        ctx = self.ctx
        plan = [Chunk.model_validate(c) for c in job.plan or []]
        results = MediaStore(ctx.settings.bucket)
        # One listing, not a HEAD per chunk at every chunk's end (that was n² requests for n chunks).
        written = {o.key for o in results.landed(chunk_results_prefix(task.job_id), 0.0)}
        output: dict[str, Any] = {"job_id": task.job_id, "chunk": chunk.index}
        if plan and all(chunk_result_key(task.job_id, c.index) in written for c in plan):
            output.update(self.merge(task, plan, results))
        ctx.messages.succeed(task, output)
        ctx.messages.delete(message)
        ctx.jobs_done += 1
        logger.info(what, extra={"chunk": chunk.index, "merged": "keys" in output})

    def speakers(
        self, task: TranscribeTask, plan: list[Chunk], parts: list[Transcript], transcript: Transcript,
        results: MediaStore,
    ) -> Transcript:  # fmt: skip
        """The merged transcript labelled from every chunk's voices, clustered once for the whole job."""
        assert task.options.speakers is not None
        voices = [self.voices(task, chunk, results) for chunk in plan]
        heard = sum((p.timings.diarization_seconds or 0.0) if p.timings else 0.0 for p in parts)
        return label_merged(transcript, plan, voices, task.options.speakers, heard)

    def voices(self, task: TranscribeTask, chunk: Chunk, results: MediaStore) -> Voices:
        """A chunk's stored voices; heard again from the audio if they are missing or unreadable (a
        chunk result written by a worker of an earlier version)."""
        stored = results.get_text_if_any(chunk_voices_key(task.job_id, chunk.index))
        if stored is not None:
            try:
                return Voices.from_json(stored)
            except (ValueError, KeyError):
                logger.warning("chunk voices unreadable", extra={"chunk": chunk.index})
        logger.warning("chunk voices missing; hearing them again", extra={"chunk": chunk.index})
        local, _ = self.ctx.audio.get(task.audio.bucket, task.audio.key)
        voices, _ = hear_chunk(decode_range(local, chunk.start, chunk.end), chunk)
        return voices

    def merge(self, task: TranscribeTask, plan: list[Chunk], results: MediaStore) -> dict[str, Any]:
        ctx = self.ctx
        parts = [Transcript.model_validate_json(results.get_text(chunk_result_key(task.job_id, c.index))) for c in plan]
        transcript = merge(plan, parts, float(task.duration or plan[-1].end))
        if task.options.speakers is not None:
            transcript = self.speakers(task, plan, parts, transcript, results)
        keys = results.write_results(task.job_id, render_all(transcript, task.options))
        items = ctx.store.chunks(task.job_id)
        timings = transcript.timings
        metrics = {
            "audio_seconds": transcript.duration,
            "processing_seconds": timings.processing_seconds if timings else None,
            "real_time_factor": round(timings.real_time_factor, 4) if timings else None,
            "chunks": len(plan),
            "chunk_workers": len({str((i.get("metrics") or {}).get("worker")) for i in items if i.get("metrics")}),
            "worker_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            # Each chunk ran on one lane; a job whose chunks ran on both is "mixed".
            "lane": lane_of(str((i.get("metrics") or {}).get("lane") or "gpu") for i in items if i.get("metrics")),
        }
        result = {"bucket": ctx.settings.bucket, "keys": keys, "metrics": metrics}
        ctx.store.update(task.job_id, JobStatus.TRANSCRIBING, progress=100, eta_seconds=0, result=result,
                       language=transcript.language)  # fmt: skip
        return {**result, "language": transcript.language}
