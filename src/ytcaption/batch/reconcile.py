"""Batches whose expansion died are expanded again, or end FAILED with a reason.

ExpandBatch is invoked asynchronously; a run that crashed or ran out of time (its listing hung, the
sandbox died) and whose own retries failed too would leave the batch EXPANDING, or RUNNING with
entries that never got their jobs, for ever. Every batch has an expansion record until ExpandBatch
finishes its work (store.batches); a record older than an expansion can take is a dead one: it is
run again (idempotent: nothing is created twice), up to `batch_expansion_attempts` runs in all, then
the batch ends FAILED (EXPANSION_FAILED) and is announced like any other end.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from ytcaption.batch.progress import finish
from ytcaption.batch.start import start_expansion
from ytcaption.settings import Settings
from ytcaption.store.batches import ENDED, FAILED, BatchStore

log = logging.getLogger(__name__)

EXPANSION_FAILED = "EXPANSION_FAILED"
BY = "reconcile"  # who ended a batch the reconciler failed (store.batches.end)


def reconcile_batches(settings: Settings, batches: BatchStore, min_age_seconds: int | None = None) -> dict[str, Any]:
    """Look at every unfinished expansion; returns the batches run again, ended, and cleared."""
    min_age = settings.batch_expansion_stale_seconds if min_age_seconds is None else min_age_seconds
    now = time.time()
    done: dict[str, list[str]] = {"retried": [], "failed": [], "cleared": []}
    for expansion in batches.expansions():
        batch_id, attempts = str(expansion["batch_id"]), int(expansion["attempts"])
        if now - float(expansion["started_at"]) < min_age:
            continue  # it may still be running (or Lambda may still retry it)
        batch = batches.get(batch_id)
        if batch is None or batch["status"] in ENDED:
            batches.expansion_done(batch_id)  # its work is over (cancelled meanwhile, or never recorded)
            done["cleared"].append(batch_id)
        elif attempts >= settings.batch_expansion_attempts:
            last = expansion.get("last_error")
            reason = (
                f"The batch's entries could not be listed and started: {attempts} attempts did not finish "
                f"(the step crashed or ran out of time){f'; the last failed with: {last}' if last else ''}."
            )
            finish(settings, batches, batch_id, FAILED, BY, code=EXPANSION_FAILED, reason=reason)
            batches.expansion_done(batch_id)
            log.warning("batch %s ended: %s", batch_id, reason)
            done["failed"].append(batch_id)
        elif batches.expansion_retried(batch_id, attempts):
            start_expansion(settings.expand_batch_function, batch_id)
            log.warning("batch %s's expansion died (attempt %d): started again", batch_id, attempts)
            done["retried"].append(batch_id)
    return done
