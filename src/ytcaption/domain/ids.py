"""Every identifier a job has, minted in one place.

A job id is `job-` + 24 hex characters whichever way it was made: random for a
plain request, derived from the Idempotency-Key for a retried request, derived
from the object for an upload (so one upload makes one job however often its
event arrives). The job id is also the name of its first execution; a redrive
runs as `{job_id}-r{n}`.
"""

from __future__ import annotations

import hashlib
import secrets

JOB_ID_PREFIX = "job-"


def _derived(*parts: str) -> str:
    return JOB_ID_PREFIX + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def new_job_id() -> str:
    return JOB_ID_PREFIX + secrets.token_hex(12)


def idempotent_job_id(tenant: str, idempotency_key: str) -> str:
    """The same tenant and Idempotency-Key always name the same job."""
    return _derived("idempotency", tenant, idempotency_key)


def upload_job_id(bucket: str, key: str, etag: str) -> str:
    """One upload makes one job, however often its event is delivered."""
    return _derived(bucket, key, etag.strip('"'))


def new_upload_id() -> str:
    return secrets.token_hex(16)


def redrive_execution_name(job_id: str, attempt: int) -> str:
    return f"{job_id}-r{attempt}"


def batch_job_id(batch_id: str, entry_id: str) -> str:
    """One job per (batch, entry): a retried expansion names the same jobs, so creates none twice."""
    return _derived("batch", batch_id, entry_id)


def new_batch_id() -> str:
    return "batch-" + secrets.token_hex(12)


def idempotent_batch_id(tenant: str, idempotency_key: str) -> str:
    return "batch-" + _derived("batch-idempotency", tenant, idempotency_key)[len(JOB_ID_PREFIX) :]
