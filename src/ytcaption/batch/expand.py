"""The ExpandBatch step: list the batch's URL, record its entries, start one ordinary job per entry.

Safe to run again (the batch reconciler runs a failed or dead one again): entries are recorded once, each
entry's job id is derived from (batch, entry) and created with a conditional put, and its
execution is named after the job, so a second run creates and starts nothing twice.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ytcaption.batch.listing import Bounds, bounded, extract
from ytcaption.batch.progress import Ending, entry_ended, finish, maybe_complete, retry_webhook_here
from ytcaption.domain.errors import TransientError, YtcError
from ytcaption.domain.ids import batch_job_id
from ytcaption.domain.job import JobStatus
from ytcaption.domain.options import JobOptions
from ytcaption.domain.sites import source_identity
from ytcaption.fetch.download import config_from
from ytcaption.intake.launch import create_from_result, launch_job
from ytcaption.intake.urlpolicy import UrlPolicy, check_url
from ytcaption.settings import Settings
from ytcaption.store.batches import ENDED, EXPANDING, FAILED, BatchStore
from ytcaption.store.cache import ResultCache, cache_key
from ytcaption.store.jobs import JobStore

NO_ENTRIES = "NO_MEDIA_ENTRIES"
# The batch's webhook tells the batch's end; its entries' jobs do not call it one by one.
_BATCH_ONLY = {"webhook_url", "notify_email", "notify_progress"}
# Who ended a batch this step ended (store.batches.end): the one that retries its webhook.
BY = "expand"


def expand_batch(batch_id: str, settings: Settings, remaining: Callable[[], float]) -> dict[str, Any]:
    """`remaining`: the seconds this run has left (the Lambda context's), which bound the webhook's retries."""
    batches = BatchStore(settings.table)
    batch = batches.get(batch_id)
    if batch is None:
        raise ValueError(f"batch {batch_id} does not exist")
    endings: list[Ending] = []  # the batch, if this run ended it
    try:
        if batch["status"] == EXPANDING and not _list(settings, batches, batch, endings):
            answer: dict[str, Any] = {"batch_id": batch_id, "status": FAILED}
        else:
            answer = {"batch_id": batch_id, "launched": _launch(settings, batches, batch, endings)}
            _ended(endings, maybe_complete(settings, batches, batch_id, BY))
    except TransientError as exc:
        # Raised again (the run fails); the batch reconciler runs the step again; kept for the reason.
        batches.expansion_failed(batch_id, str(exc))
        raise
    # A batch this run ended: its webhook's retries; out of time with one still asked for, they are the
    # reconciler's (the expansion's record stays).
    if any(ending.retry for ending in endings) and not retry_webhook_here(settings, batches, batch_id, BY, remaining):
        return answer
    batches.expansion_done(batch_id)  # the batch reconciler has nothing left to watch here
    return answer


def _list(settings: Settings, batches: BatchStore, batch: dict[str, Any], endings: list[Ending]) -> bool:
    """Record the entries (each SSRF-checked) and move the batch to RUNNING; False if it failed."""
    batch_id = str(batch["batch_id"])
    policy = UrlPolicy.from_settings(settings.allowed_sites, settings.allow_loopback_urls)
    bounds = Bounds(
        int(batch["max_items"]), bool(batch.get("newest_first", True)), batch.get("after"), batch.get("before")
    )
    try:
        check_url(str(batch["url"]), policy)
        with tempfile.TemporaryDirectory(prefix="ytc-listing-") as tmp:
            listing = bounded(extract(str(batch["url"]), config_from(settings, Path(tmp)), policy), bounds)
    except YtcError as exc:
        _ended(endings, finish(settings, batches, batch_id, FAILED, BY, code=str(exc.code), reason=exc.reason))
        return False
    if not listing.entries:
        reason = "The listing has no media entries" + (
            f" within the date filters ({listing.found} outside them)." if listing.found else "."
        )
        _ended(endings, finish(settings, batches, batch_id, FAILED, BY, code=NO_ENTRIES, reason=reason))
        return False
    for entry in listing.entries:
        try:
            check_url(entry.url, policy)
        except YtcError as exc:
            batches.put_entry(batch_id, entry, error_code=str(exc.code), error_reason=exc.reason)
            continue
        batches.put_entry(batch_id, entry, job_id=batch_job_id(batch_id, entry.entry_id))
    batches.set_expanded(batch_id, len(listing.entries), listing.title)
    return True


def _launch(settings: Settings, batches: BatchStore, batch: dict[str, Any], endings: list[Ending]) -> int:
    """Start each entry's job (or answer it from the cache); a refused entry just counts as ended."""
    batch_id, tenant = str(batch["batch_id"]), str(batch["tenant"])
    options = JobOptions.model_validate({k: v for k, v in batch["options"].items() if k not in _BATCH_ONLY})
    store, cache = JobStore(settings.table), ResultCache(settings.table)
    launched = 0
    for item in batches.entries(batch_id):
        current = batches.get(batch_id)
        if current is None or current["status"] in ENDED:
            break  # cancelled while expanding: start nothing more
        index = int(item["index"])
        if not item.get("job_id"):
            _ended(endings, entry_ended(settings, batches, batch_id, index, JobStatus.FAILED.value, BY))
            continue
        job_id, url = str(item["job_id"]), str(item["url"])
        source = {"type": "url", "url": url}
        ckey = cache_key(tenant, source_identity(url), options)
        extra = {"batch_id": batch_id, "batch_entry": index, "cache_key": ckey}
        use_cache = settings.result_cache and not batch.get("no_cache")
        original = _cached(store, cache, tenant, ckey) if use_cache else None
        if original is not None:
            create_from_result(
                store, job_id=job_id, tenant=tenant, source=source, options=options, original=original, **extra
            )
            _ended(endings, entry_ended(settings, batches, batch_id, index, JobStatus.COMPLETED.value, BY))
            continue
        if launch_job(store, settings, job_id=job_id, tenant=tenant, source=source, options=options, **extra):
            launched += 1
            cache.put(tenant, ckey, job_id)
    return launched


def _ended(endings: list[Ending], counted: Ending | bool | None) -> None:
    if isinstance(counted, Ending):
        endings.append(counted)


def _cached(store: JobStore, cache: ResultCache, tenant: str, ckey: str) -> Any:
    job_id = cache.get(tenant, ckey)
    original = store.get(job_id) if job_id else None
    if original and original.status.value == "COMPLETED" and original.result:
        return original
    return None
