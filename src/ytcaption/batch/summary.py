"""A batch as its owner sees it: each entry with its job's status, counts by status, overall progress."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ytcaption.domain.job import JobStatus
from ytcaption.store.batches import COUNT_PREFIX, ENDED, BatchStore
from ytcaption.store.jobs import JobStore


def entry_views(batches: BatchStore, jobs: JobStore, batch_id: str) -> list[dict[str, Any]]:
    """Every entry with the status of its job (FAILED with the refusal for an entry that got none)."""
    views = []
    for item in batches.entries(batch_id):
        view = {k: item.get(k) for k in ("index", "entry_id", "url", "title", "timestamp", "job_id")}
        job = jobs.get(str(item["job_id"])) if item.get("job_id") else None
        if job is not None:
            view.update(
                status=job.status.value,
                progress=job.progress,
                error_code=job.error_code,
                error_reason=job.error_reason,
                cache_hit=bool(job.cache_hit),
            )
        elif item.get("error_code"):
            view.update(
                status=JobStatus.FAILED.value,
                progress=0,
                error_code=item["error_code"],
                error_reason=item.get("error_reason"),
            )
        else:
            view.update(status=JobStatus.PENDING.value, progress=0)
        views.append(view)
    return views


def ended(entries: list[dict[str, Any]]) -> int:
    return sum(1 for entry in entries if JobStatus(entry["status"]).terminal)


def counts(entries: list[dict[str, Any]]) -> dict[str, int]:
    return dict(Counter(str(entry["status"]) for entry in entries))


def progress(entries: list[dict[str, Any]]) -> int:
    """Percent of the batch's work done: ended entries count whole, running ones by their progress."""
    if not entries:
        return 0
    done = sum(100 if JobStatus(entry["status"]).terminal else int(entry.get("progress") or 0) for entry in entries)
    return done // len(entries)


def ended_counts(batch: dict[str, Any]) -> dict[str, int]:
    """The batch item's own counters: its ended entries by the status their job ended with."""
    return {
        key.removeprefix(COUNT_PREFIX): int(value)
        for key, value in batch.items()
        if key.startswith(COUNT_PREFIX) and int(value)
    }


def ended_progress(batch: dict[str, Any]) -> int:
    """Percent of the batch done by its counters alone: ended entries count whole, running ones not yet."""
    if batch["status"] in ENDED:
        return 100
    total = int(batch.get("total") or 0)
    return int(batch.get("ended") or 0) * 100 // total if total else 0
