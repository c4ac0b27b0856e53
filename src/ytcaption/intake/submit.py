"""Client side of a transcription: upload a file (its event starts the job) or send a URL, then follow it."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from ytcaption.domain.ids import new_job_id, new_upload_id, upload_job_id
from ytcaption.domain.job import Job, UrlSource
from ytcaption.domain.options import JobOptions
from ytcaption.intake.launch import launch_job
from ytcaption.intake.urlpolicy import UrlPolicy, check_url
from ytcaption.settings import Settings
from ytcaption.store.jobs import JobStore
from ytcaption.store.media import MediaStore, upload_key


def submit_file(path: Path, options: JobOptions, tenant: str, settings: Settings) -> str:
    """Upload under uploads/{tenant}/; the upload event creates the job. Returns its id."""
    upload_id = new_upload_id()
    JobStore(settings.table).put_upload(upload_id, tenant, options)
    key = upload_key(tenant, upload_id, path.name)
    etag = MediaStore(settings.bucket).upload_file(path, key)
    return upload_job_id(settings.bucket, key, etag)


def submit_url(url: str, options: JobOptions, tenant: str, settings: Settings) -> str:
    """Create a job for a video URL (checked against the URL policy first) and start it."""
    check_url(url, UrlPolicy.from_settings(settings.allowed_sites, settings.allow_loopback_urls))
    job_id = new_job_id()
    store = JobStore(settings.table)
    launch_job(store, settings, job_id=job_id, tenant=tenant, source=UrlSource(url=url), options=options)
    return job_id


def follow(
    job_id: str,
    store: JobStore,
    on_update: Callable[[Job], None] | None = None,
    timeout: float = 3600,
    interval: float = 0.25,
) -> Job | None:
    """Poll the job until it ends; None if it did not end within `timeout`. Every `interval` seconds,
    but while the job's ETA is further off, up to a second apart (`pace`)."""
    deadline = time.monotonic() + timeout
    last: tuple[str, int] | None = None
    while time.monotonic() < deadline:
        job = store.get(job_id)
        if job is not None:
            if on_update and (job.status.value, job.progress) != last:
                on_update(job)
                last = (job.status.value, job.progress)
            if job.status.terminal:
                return job
        time.sleep(pace(job, interval))
    return None


# The longest pause between two looks at a job that still has a while to go.
MAX_FOLLOW_INTERVAL = 1.0


def pace(job: Job | None, interval: float) -> float:
    """Seconds until the next look: a quarter of the job's ETA, between `interval` and a second. Locally
    the store shares the worker's cores, and four looks a second at a job with seconds left took CPU
    from Whisper itself; near the end (or with no ETA) the job is looked at every `interval` again."""
    eta = job.eta_seconds if job is not None else None
    if not eta:
        return interval
    return max(interval, min(MAX_FOLLOW_INTERVAL, eta / 4))
