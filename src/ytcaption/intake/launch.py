"""The one way a job begins: create it in the store, then start its execution.

Used by the upload intake (S3 events) and by the public API, so both give the
same job item, the same execution input and the same execution name (the job
id). Both steps are idempotent: a repeated call finds the job and the
execution already there and changes nothing.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from ytcaption.domain.job import Job, JobStatus
from ytcaption.domain.options import JobOptions
from ytcaption.domain.steps import ExecutionInput, FetchResult, StepLimits
from ytcaption.finish.events import created_envelope, envelope, publish_quietly
from ytcaption.settings import Settings
from ytcaption.store import aws
from ytcaption.store.jobs import JobStore


def execution_input(
    job_id: str,
    source: BaseModel | dict[str, Any],
    options: JobOptions,
    settings: Settings,
    fetched: FetchResult | None = None,
) -> ExecutionInput:
    return ExecutionInput.model_validate(
        {
            "job_id": job_id,
            "source": source.model_dump() if isinstance(source, BaseModel) else dict(source),
            "options": options,
            # The Transcribe task's backstop: this long in the queue, plus the job's own time limit.
            "limits": StepLimits(
                queue_wait_seconds=settings.queue_wait_limit_seconds,
                chunk_concurrency=settings.chunk_max_concurrency,
            ),
            "fetched": fetched,
        }
    )


@lru_cache(maxsize=8)
def _account(region: str) -> str:
    return str(aws.client("sts").get_caller_identity()["Account"])


def state_machine_arn(settings: Settings) -> str:
    return f"arn:aws:states:{settings.region}:{_account(settings.region)}:stateMachine:{settings.state_machine}"


def execution_arn(job_id: str, settings: Settings) -> str:
    return f"arn:aws:states:{settings.region}:{_account(settings.region)}:execution:{settings.state_machine}:{job_id}"


def start_execution(job_id: str, source: BaseModel | dict[str, Any], options: JobOptions, settings: Settings) -> bool:
    """Start the job's execution (named after the job); False if it already exists."""
    try:
        aws.client("stepfunctions").start_execution(
            stateMachineArn=state_machine_arn(settings),
            name=job_id,
            input=execution_input(job_id, source, options, settings).as_json(),
        )
    except Exception as exc:
        # The same request or event twice: the first one already started it.
        if aws.error_code(exc) != "ExecutionAlreadyExists":
            raise
        return False
    return True


def launch_job(
    store: JobStore,
    settings: Settings,
    *,
    job_id: str,
    tenant: str,
    source: BaseModel | dict[str, Any],
    options: JobOptions,
    **extra: Any,
) -> bool:
    """Create the job (once) and start its execution; True if this call created it."""
    source_dict = source.model_dump() if isinstance(source, BaseModel) else dict(source)
    created = store.create(job_id=job_id, tenant=tenant, source=source_dict, options=options, **extra)
    if created:
        publish_quietly(created_envelope(job_id, tenant, source_dict, options.model_dump()))
    start_execution(job_id, source_dict, options, settings)
    return created


def create_from_result(
    store: JobStore,
    *,
    job_id: str,
    tenant: str,
    source: dict[str, Any],
    options: JobOptions,
    original: Job,
    **extra: Any,
) -> bool:
    """A job that is COMPLETED at once with the result of an identical earlier job
    (a cache hit): it gets its own id and history, and no execution runs for it."""
    created = store.create(
        job_id=job_id,
        tenant=tenant,
        source=source,
        options=options,
        status=JobStatus.COMPLETED,
        media=original.media,
        result=original.result,
        language=original.language,
        cache_hit=True,
        cached_from=original.job_id,
        **extra,
    )
    if created:
        # No execution runs for it, so its events are told here: created, then completed at once.
        publish_quietly(created_envelope(job_id, tenant, source, options.model_dump()))
        job = store.get(job_id)
        if job is not None:
            claimed, sequence = store.claim_publication(job_id, JobStatus.COMPLETED)
            if claimed:
                publish_quietly({**envelope(job), "sequence": sequence})
    return created
