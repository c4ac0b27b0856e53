"""Start a job for an object that landed under uploads/{tenant}/..."""

from __future__ import annotations

import logging

from pydantic import ValidationError

from ytcaption.domain.errors import ErrorCode
from ytcaption.domain.ids import upload_job_id
from ytcaption.domain.job import S3Source
from ytcaption.domain.options import JobOptions
from ytcaption.intake.launch import launch_job
from ytcaption.settings import Settings
from ytcaption.store.jobs import JobStore
from ytcaption.store.media import tenant_of_upload_key, upload_id_of_key
from ytcaption.store.tickets import TicketStore

log = logging.getLogger(__name__)


def start_upload_job(
    bucket: str, key: str, etag: str, settings: Settings, store: JobStore, size: int | None = None
) -> str | None:
    """Create the job (once per upload) and start its execution; returns the job id.

    Bad options do not lose the upload: the job is created and ends FAILED
    with the reason, so the client sees why. A ticket (upload id) makes one
    job: a second file posted under it is recorded and ignored (None). The upload is checked a second
    time here, whatever the storage checked: it belongs to the tenant of its
    prefix, and it is no larger than that tenant may upload.
    """
    tenant = tenant_of_upload_key(key)
    if tenant is None:
        log.warning("ignoring upload with unexpected key shape: %s", key)
        return None
    job_id = upload_job_id(bucket, key, etag)
    source = S3Source(bucket=bucket, key=key, etag=etag)
    options, problem, max_bytes = _registration(key, tenant, settings, store)
    if not _first_under_its_ticket(key, etag, job_id, settings, store):
        return None
    if problem is None and not settings.serves(options.model):
        problem = (ErrorCode.MODEL_UNAVAILABLE, f"This deployment's workers do not serve model '{options.model}'.")
    if problem is None and size is not None and size > max_bytes:
        problem = (ErrorCode.MEDIA_TOO_LARGE, f"The file is {size} bytes; at most {max_bytes} bytes may be uploaded.")
    if problem:
        if store.create(job_id=job_id, tenant=tenant, source=source.model_dump(), options=options):
            store.fail(job_id, *problem)
        return job_id
    # The same event twice finds the job and its execution there already.
    launch_job(store, settings, job_id=job_id, tenant=tenant, source=source, options=options)
    return job_id


Problem = tuple[ErrorCode, str]


def _first_under_its_ticket(key: str, etag: str, job_id: str, settings: Settings, store: JobStore) -> bool:
    """A ticket starts one job: a later file under it is recorded and starts nothing. (A bare upload,
    with no ticket, is its own.)"""
    upload_id = upload_id_of_key(key)
    if not upload_id or store.get_upload(upload_id) is None:
        return True
    return TicketStore(settings.table).claim(upload_id, job_id, key, etag).job_id == job_id


def _registration(key: str, tenant: str, settings: Settings, store: JobStore) -> tuple[JobOptions, Problem | None, int]:
    """Options the client registered for this upload id (defaults for a bare upload), what is
    wrong with the registration if anything, and the most bytes the upload may hold."""
    default = JobOptions(model=settings.default_model)
    upload_id = upload_id_of_key(key)
    upload = store.get_upload(upload_id) if upload_id else None
    if upload is None:
        return default, None, settings.tenant_max_upload_bytes
    max_bytes = int(upload.get("max_bytes") or settings.tenant_max_upload_bytes)
    if upload.get("tenant") != tenant:
        return default, (ErrorCode.INVALID_REQUEST, "The upload was registered by another tenant."), max_bytes
    try:
        options = JobOptions.model_validate({"model": settings.default_model, **upload.get("options", {})})
    except (ValidationError, ValueError, TypeError) as exc:
        return default, (ErrorCode.INVALID_REQUEST, f"The upload's job options are invalid: {_summary(exc)}"), max_bytes
    return options, None, max_bytes


def _summary(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    return str(exc)
