"""One chunk of a long file: the worker's side of the state machine's TranscribeChunks map.

A chunk is leased like a job (its own item, CHUNK#<n>), renewed while the job is
TRANSCRIBING; a cancelled or failed job stops every chunk at its next renewal or
progress tick. The worker decodes only the chunk's range, writes its transcript
(in the file's time) to results/{job}/chunks/{n}.json, and answers. Whoever
finishes the last chunk merges them all into the job's transcript before it
answers. A chunk whose result is already in S3 is answered at once: a redrive or
a lost worker redoes only the chunks without one.
"""

from __future__ import annotations

import resource
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ytcaption.domain.chunks import Chunk, merge, shifted
from ytcaption.domain.errors import ErrorCode, InvalidTransition
from ytcaption.domain.formats import render_all
from ytcaption.domain.job import Job, JobStatus
from ytcaption.domain.transcript import Transcript
from ytcaption.store.media import MediaStore, chunk_result_key, chunk_results_prefix
from ytcaption.worker.progress import progress_reporter
from ytcaption.worker.runner import TIME_LIMIT_REASON, logger, run_work
from ytcaption.worker.transcribe import Interrupted, decode_range, detect_language, transcribe

if TYPE_CHECKING:
    from ytcaption.worker.loop import TranscribeTask, Worker, _Heartbeat

# How much of the file's start the language is detected from (its first speech, found by VAD).
LANGUAGE_SECONDS = 120.0


class ChunkRunner:
    def __init__(self, worker: Worker) -> None:
        self.w = worker

    def handle(self, task: TranscribeTask, chunk: Chunk, receipt: str) -> None:
        from ytcaption.worker.loop import _ChunkHeartbeat

        w = self.w
        job = w.store.get(task.job_id)
        if job is None:
            w._delete(receipt)
            return
        if job.status.terminal:
            w._answer_ended(task, job)
            w._delete(receipt)
            return
        if job.status in (JobStatus.PENDING, JobStatus.DOWNLOADING):
            w.defer(receipt, w.settings.lease_margin_seconds, "job not queued yet")
            return
        key = chunk_result_key(task.job_id, chunk.index)
        results = MediaStore(w.settings.bucket)
        if results.head(key) is not None:
            # Done before (a redrive, or a worker lost after writing it): answer from it.
            self._finish(task, chunk, receipt, job, "chunk result found")
            return
        try:
            item = w.store.claim_chunk(
                task.job_id, chunk.index, w.worker_id, w.settings.heartbeat_seconds, chunk.timeout_seconds
            )
        except InvalidTransition:
            held = w.store.chunk(task.job_id, chunk.index) or {}
            wait = float(held.get("lease_until") or 0) - time.time()
            w.defer(receipt, max(wait, 0) + w.settings.lease_margin_seconds, "chunk held by another worker")
            return
        w.hide(receipt)
        logger.info("chunk taken", extra={"chunk": chunk.index, "start": chunk.start, "end": chunk.end})
        if int(item.get("lost_workers") or 0) > w.settings.lost_worker_retries:
            reason = f"The Whisper worker of chunk {chunk.index} stopped responding too often; it was not tried again."
            w._fail(task, receipt, ErrorCode.WORKER_TIMEOUT, reason)
            return
        heartbeat = _ChunkHeartbeat(w, task, receipt, item.get("deadline_at"), chunk.index)
        if heartbeat.past_deadline():
            w._fail(task, receipt, ErrorCode.TIMEOUT, TIME_LIMIT_REASON)
            return
        run_work(
            w, task, receipt, heartbeat,
            work=lambda: self._work(task, chunk, job, heartbeat),
            release=lambda: w.store.release_chunk(task.job_id, chunk.index, w.worker_id),
            done=lambda _: self._finish(task, chunk, receipt, job, "chunk transcribed"),
        )  # fmt: skip

    def _language(self, task: TranscribeTask, job: Job, local: Path) -> str | None:
        """Given, or detected once from the file's first speech and shared by every chunk."""
        if task.options.language:
            return task.options.language
        if job.language:
            return job.language
        model, _ = self.w.models.get(task.options.model)
        if model.model.is_multilingual:
            detected = detect_language(self.w.models, task.options.model, decode_range(local, 0.0, LANGUAGE_SECONDS))
        else:
            detected = "en"  # an English-only model: nothing to detect, so nothing to decode for it
        return self.w.store.settle_language(task.job_id, detected)

    def _work(self, task: TranscribeTask, chunk: Chunk, job: Job, heartbeat: _Heartbeat) -> None:
        w = self.w
        duration = float(task.duration or chunk.end)

        def job_fraction(fraction: float) -> float:
            w.store.chunk_progress(task.job_id, chunk.index, fraction * chunk.seconds)
            return sum(float(c.get("seconds_done") or 0) for c in w.store.chunks(task.job_id)) / duration

        # The job began transcribing with its first chunk's claim (started_at), not with this chunk.
        began = (
            datetime.fromisoformat(job.started_at.replace("Z", "+00:00")).timestamp() if job.started_at else time.time()
        )
        progress = progress_reporter(w, task, heartbeat, job.tenant, began, job_fraction)

        prepared = time.perf_counter()
        # Downloaded once per worker and job, not once per chunk (worker.audio).
        local, cached = w.audio.get(task.audio.bucket, task.audio.key)
        language = self._language(task, job, local)
        audio = decode_range(local, chunk.start, chunk.end)
        prepare_seconds = time.perf_counter() - prepared
        progress(0.0)
        options = task.options.model_copy(update={"language": language})
        part = shifted(transcribe(w.models, audio, options, progress), chunk.start)
        if not w.stopping.is_set() and not w.store.renew_chunk(
            task.job_id, chunk.index, w.worker_id, w.settings.heartbeat_seconds
        ):
            heartbeat.abandon("chunk is no longer ours (cancelled or ended)")
        if w.stopping.is_set() or heartbeat.lost.is_set():
            raise Interrupted()
        key = chunk_result_key(task.job_id, chunk.index)
        MediaStore(w.settings.bucket).put_text(key, part.model_dump_json(), "application/json")
        timings = part.timings
        metrics = {
            "audio_seconds": round(chunk.seconds, 3),
            "processing_seconds": timings.processing_seconds if timings else None,
            # Download (unless the worker had the file already), language, decoding the range.
            "prepare_seconds": round(prepare_seconds, 3),
            "audio_cached": cached,
            "worker": w.worker_id,
        }
        w.store.chunk_done(task.job_id, chunk.index, chunk.seconds, key, metrics)

    def _finish(self, task: TranscribeTask, chunk: Chunk, receipt: str, job: Job, what: str) -> None:
        """Answer the chunk's task; the one that finds every chunk done merges them first."""
        w = self.w
        plan = [Chunk.model_validate(c) for c in job.plan or []]
        results = MediaStore(w.settings.bucket)
        # One listing, not a HEAD per chunk at every chunk's end (that was n² requests for n chunks).
        written = {o.key for o in results.landed(chunk_results_prefix(task.job_id), 0.0)}
        output: dict[str, Any] = {"job_id": task.job_id, "chunk": chunk.index}
        if plan and all(chunk_result_key(task.job_id, c.index) in written for c in plan):
            output.update(self._merge(task, plan, results))
        w._answer(task, lambda: w.sfn.send_task_success(taskToken=task.task_token, output=_json(output)))
        w._delete(receipt)
        w.jobs_done += 1
        logger.info(what, extra={"chunk": chunk.index, "merged": "keys" in output})

    def _merge(self, task: TranscribeTask, plan: list[Chunk], results: MediaStore) -> dict[str, Any]:
        w = self.w
        parts = [Transcript.model_validate_json(results.get_text(chunk_result_key(task.job_id, c.index))) for c in plan]
        transcript = merge(plan, parts, float(task.duration or plan[-1].end))
        keys = results.write_results(task.job_id, render_all(transcript, task.options))
        items = w.store.chunks(task.job_id)
        timings = transcript.timings
        metrics = {
            "audio_seconds": transcript.duration,
            "processing_seconds": timings.processing_seconds if timings else None,
            "real_time_factor": round(timings.real_time_factor, 4) if timings else None,
            "chunks": len(plan),
            "chunk_workers": len({str((i.get("metrics") or {}).get("worker")) for i in items if i.get("metrics")}),
            "worker_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
        result = {"bucket": w.settings.bucket, "keys": keys, "metrics": metrics}
        w.store.update(task.job_id, JobStatus.TRANSCRIBING, progress=100, eta_seconds=0, result=result,
                       language=transcript.language)  # fmt: skip
        return {**result, "language": transcript.language}


def _json(value: dict[str, Any]) -> str:
    import json

    return json.dumps(value)
