"""Uploads that landed but never became jobs are started anyway.

The intake queue retries a failed delivery and keeps what keeps failing in its
dead-letter queue; this is the second net: whatever happened to an upload's
event (a notification S3 never sent, a message an operator purged), every
upload under uploads/ gets its job. Starting a job is idempotent (the job id
is derived from the object), so an upload whose event arrives late still makes
one job.
"""

from __future__ import annotations

import logging
import time

from ytcaption import resources
from ytcaption.domain.ids import upload_job_id
from ytcaption.intake.uploads import start_upload_job
from ytcaption.settings import Settings
from ytcaption.store.jobs import JobStore
from ytcaption.store.media import MediaStore

log = logging.getLogger(__name__)


def reconcile_uploads(
    settings: Settings, store: JobStore, media: MediaStore, min_age_seconds: int | None = None
) -> list[str]:
    """Start the job of every recent upload that has none; returns the ids of the jobs started."""
    now = time.time()
    min_age = settings.reconcile_min_age_seconds if min_age_seconds is None else min_age_seconds
    candidates = {
        upload_job_id(media.bucket, obj.key, obj.etag): obj
        for obj in media.landed(resources.UPLOADS_PREFIX, since=now - settings.reconcile_window_seconds)
        if now - obj.written_at >= min_age
    }
    missing = sorted(set(candidates) - store.existing(list(candidates)))
    started = []
    for job_id in missing:
        obj = candidates[job_id]
        if start_upload_job(media.bucket, obj.key, obj.etag, settings, store, size=obj.size):
            log.warning("upload %s had no job: started %s", obj.key, job_id)
            started.append(job_id)
    return started
