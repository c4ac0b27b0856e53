"""Start a job for an object that landed under uploads/{tenant}/..."""

from __future__ import annotations

import logging

from pydantic import ValidationError

from ytcaption.domain.errors import ErrorCode
from ytcaption.domain.ids import upload_job_id
from ytcaption.domain.job import JobOptions, S3Source
from ytcaption.intake.launch import launch_job
from ytcaption.settings import Settings
from ytcaption.store.jobs import JobStore
from ytcaption.store.media import tenant_of_upload_key, upload_id_of_key

log = logging.getLogger(__name__)


def start_upload_job(bucket: str, key: str, etag: str, settings: Settings, store: JobStore) -> str | None:
    """Create the job (once per upload) and start its execution; returns the job id.

    Bad options do not lose the upload: the job is created and ends FAILED
    with the reason, so the client sees why.
    """
    tenant = tenant_of_upload_key(key)
    if tenant is None:
        log.warning("ignoring upload with unexpected key shape: %s", key)
        return None
    job_id = upload_job_id(bucket, key, etag)
    source = S3Source(bucket=bucket, key=key)
    options, problem = _options_of(key, tenant, settings, store)
    if problem:
        if store.create(job_id=job_id, tenant=tenant, source=source.model_dump(), options=options):
            store.fail(job_id, ErrorCode.INVALID_REQUEST, problem)
        return job_id
    # The same event twice finds the job and its execution there already.
    launch_job(store, settings, job_id=job_id, tenant=tenant, source=source, options=options)
    return job_id


def _options_of(key: str, tenant: str, settings: Settings, store: JobStore) -> tuple[JobOptions, str | None]:
    """Options the client registered for this upload id; defaults for a bare upload."""
    default = JobOptions(model=settings.default_model)
    upload_id = upload_id_of_key(key)
    upload = store.get_upload(upload_id) if upload_id else None
    if upload is None:
        return default, None
    if upload.get("tenant") != tenant:
        return default, "The upload was registered by another tenant."
    try:
        return JobOptions.model_validate({"model": settings.default_model, **upload.get("options", {})}), None
    except (ValidationError, ValueError, TypeError) as exc:
        return default, f"The upload's job options are invalid: {_summary(exc)}"


def _summary(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    return str(exc)
