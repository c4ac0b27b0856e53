"""Operator controls: cancel any job, redrive a failed one, move dead letters back,
see the pipeline's numbers. Used by the admin API routes and `ytcaption admin`."""

from __future__ import annotations

import logging
import statistics
import time
from collections import Counter
from datetime import datetime
from typing import Any

from ytcaption.batch.progress import cancelled_entry_webhook
from ytcaption.domain.chunks import Chunk
from ytcaption.domain.errors import ErrorCode, InvalidTransition
from ytcaption.domain.ids import redrive_execution_name
from ytcaption.domain.job import Job, JobStatus
from ytcaption.domain.steps import AudioRef, FetchResult
from ytcaption.finish.notify import notify_job
from ytcaption.finish.webhooks import WebhookRetryable
from ytcaption.intake.launch import execution_arn, execution_input, state_machine_arn
from ytcaption.settings import Settings
from ytcaption.store import aws
from ytcaption.store.jobs import JobStore

log = logging.getLogger(__name__)


def cancel_job(store: JobStore, settings: Settings, job_id: str, reason: str) -> None:
    """CANCELLED first (conditional: InvalidTransition if it already ended), then stop
    the execution and tell subscribers; the worker notices on its next tick."""
    job = store.get(job_id)
    store.transition(job_id, JobStatus.CANCELLED, error_code=ErrorCode.CANCELLED.value, error_reason=reason)
    name = (job.execution_name if job else None) or job_id
    try:
        aws.client("stepfunctions").stop_execution(
            executionArn=execution_arn(name, settings), error="Cancelled", cause=reason[:200]
        )
    except Exception as exc:
        # The job is CANCELLED whatever happens here; a cache-hit job has no execution.
        if aws.error_code(exc) not in {"ExecutionDoesNotExist", "ValidationException"}:
            log.warning("could not stop the execution of %s: %s", job_id, exc)
    try:
        # A stopped execution never reaches its own notify step.
        notify_job(job_id, settings, store)
    except WebhookRetryable:
        if job is not None:
            cancelled_entry_webhook(settings, job)  # its batch's, if this count ended one: the reconciler's
        log.warning("the webhook of cancelled job %s asked for a retry", job_id)
    except Exception as exc:
        log.warning("could not notify the cancellation of %s: %s", job_id, exc)


def redrive_job(store: JobStore, settings: Settings, job_id: str) -> str:
    """Run a FAILED job again as a new execution of the same job ({job_id}-r{n}),
    resuming at the transcription when its audio was already fetched."""
    job = store.get(job_id)
    if job is None:
        raise KeyError(job_id)
    if job.status != JobStatus.FAILED:
        raise InvalidTransition(f"job {job_id} is {job.status.value}; only FAILED jobs can be redriven")
    previous = aws.client("stepfunctions").describe_execution(
        executionArn=execution_arn(job.execution_name or job_id, settings)
    )
    if previous["status"] == "RUNNING":
        # Its failure path is still recording and notifying: let it finish first.
        raise InvalidTransition(f"job {job_id}'s execution is still finishing; try again in a moment")
    attempt = job.redrives + 1
    name = redrive_execution_name(job_id, attempt)
    resume = JobStatus.QUEUED if job.audio else JobStatus.PENDING
    timeout = settings.transcription_timeout((job.media or {}).get("duration"))
    store.reopen_for_redrive(job, resume, name, deadline_at=round(time.time() + timeout, 3))
    fetched = (
        FetchResult(
            captions=False,
            audio=AudioRef(**job.audio),
            media=job.media or {},
            timeout_seconds=timeout,
            chunked=bool(job.plan),
            chunks=[Chunk.model_validate(c) for c in job.plan or []],
        )
        if job.audio
        else None
    )
    execution = execution_input(job_id, job.source, job.options, settings, fetched)
    aws.client("stepfunctions").start_execution(
        stateMachineArn=state_machine_arn(settings), name=name, input=execution.as_json()
    )
    return name


def redrive_dead_letters(dlq_name: str, queue_name: str, limit: int = 1000) -> int:
    """Move messages from the dead-letter queue back to the work queue; returns how many."""
    sqs = aws.client("sqs")
    dlq, queue = aws.queue_url(dlq_name), aws.queue_url(queue_name)
    moved = 0
    while moved < limit:
        messages = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            break
        for message in messages:
            sqs.send_message(QueueUrl=queue, MessageBody=message["Body"])
            sqs.delete_message(QueueUrl=dlq, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    return moved


def list_jobs(
    store: JobStore, status: JobStatus | None, limit: int = 50, cursor: dict[str, Any] | None = None
) -> tuple[list[Job], dict[str, Any] | None]:
    """Jobs of every tenant, optionally of one status (a scan: operators only, rarely)."""
    jobs, last = store.scan_jobs(status, limit, cursor)
    return _newest_first(jobs), last


def _newest_first(jobs: list[Job]) -> list[Job]:
    # A scan has no order: newest first within what one call returns.
    return sorted(jobs, key=lambda j: j.created_at, reverse=True)


def stats(store: JobStore, settings: Settings) -> dict[str, Any]:
    jobs, _ = list_jobs(store, None, limit=1_000_000)
    by_status = Counter(job.status.value for job in jobs)
    completed = [j for j in jobs if j.status == JobStatus.COMPLETED and j.result]
    # A job born from the cache (a batch entry too) or from the video's captions has no metrics of its own.
    metrics = [(j.result or {}).get("metrics") or {} for j in completed]
    audio_seconds = sum(float(m.get("audio_seconds") or 0) for m in metrics)
    rtfs = [float(m["real_time_factor"]) for m in metrics if m.get("real_time_factor")]
    queued = [j for j in jobs if j.status == JobStatus.QUEUED]
    now = datetime.now().astimezone()
    oldest = (
        max((now - datetime.fromisoformat(j.updated_at or j.created_at)).total_seconds() for j in queued)
        if queued
        else 0.0
    )
    sqs = aws.client("sqs")
    depth = {}
    for name in (settings.queue_name_high, settings.queue_name, settings.queue_name_low, settings.dlq_name):
        attrs = sqs.get_queue_attributes(
            QueueUrl=aws.queue_url(name),
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        depth[name] = {
            "visible": int(attrs["ApproximateNumberOfMessages"]),
            "in_flight": int(attrs["ApproximateNumberOfMessagesNotVisible"]),
        }
    return {
        "jobs_by_status": {s.value: by_status.get(s.value, 0) for s in JobStatus},
        "audio_hours_processed": round(audio_seconds / 3600, 4),
        "median_real_time_factor": round(statistics.median(rtfs), 4) if rtfs else None,
        "queue": depth,
        "oldest_queued_job_seconds": round(oldest, 1),
    }
