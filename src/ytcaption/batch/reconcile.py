"""Batches whose expansion died are expanded again, or end FAILED with a reason.

ExpandBatch is invoked asynchronously; a run that crashed or ran out of time (its listing hung, the
sandbox died) would leave the batch EXPANDING, or RUNNING with entries that never got their jobs, for
ever (Lambda does not retry it: the stack sets no async retries, so each run is counted here). Every
batch has an expansion record until ExpandBatch finishes its work (store.batches); a record older than
an expansion can take is a dead one: it is run again (idempotent: nothing is created twice), up to
`batch_expansion_attempts` runs in all, then the batch ends FAILED (EXPANSION_FAILED) and is announced
like any other end.

The record also stays while the webhook of a batch ended by ExpandBatch or by the reconciler asks for
another attempt (ExpandBatch's in-process retries ran out of time, the reconciler ended the batch, or
a job cancelled on its own ended it, whose stopped execution retries nothing: operations.cancel_job):
each run of the reconciler makes the next attempt, the schedule being its backoff, and drops the
record once nothing is pending (delivered, or given up on after WEBHOOK_ATTEMPTS).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from ytcaption.batch import webhook
from ytcaption.batch.progress import RECONCILER, finish, retry_webhook
from ytcaption.batch.start import start_expansion
from ytcaption.settings import Settings
from ytcaption.store.batches import ENDED, FAILED, BatchStore

log = logging.getLogger(__name__)

EXPANSION_FAILED = "EXPANSION_FAILED"
BY = RECONCILER  # who ended a batch the reconciler failed (store.batches.end)


def reconcile_batches(settings: Settings, batches: BatchStore, min_age_seconds: int | None = None) -> dict[str, Any]:
    """Look at every unfinished expansion; returns the batches run again, ended, and cleared."""
    min_age = settings.batch_expansion_stale_seconds if min_age_seconds is None else min_age_seconds
    now = time.time()
    done: dict[str, list[str]] = {"retried": [], "failed": [], "cleared": [], "webhook_retried": []}
    for expansion in batches.expansions():
        batch_id, attempts = str(expansion["batch_id"]), int(expansion["attempts"])
        if now - float(expansion["started_at"]) < min_age:
            continue  # it may still be running
        batch = batches.get(batch_id)
        if batch is None or batch["status"] in ENDED:
            if batch is not None and _webhook_left(batch):
                done["webhook_retried"].append(batch_id)
                if retry_webhook(settings, batches, batch_id, str(batch["ended_by"])):
                    continue  # asks again: the next run tries again
            batches.expansion_done(batch_id)  # its work is over (cancelled meanwhile, or never recorded)
            done["cleared"].append(batch_id)
        elif attempts >= settings.batch_expansion_attempts:
            reason = _reason(attempts, expansion.get("last_error"))
            ending = finish(settings, batches, batch_id, FAILED, BY, code=EXPANSION_FAILED, reason=reason)
            if ending is None or not ending.retry:
                batches.expansion_done(batch_id)  # else kept: its webhook's retries are the next runs'
            log.warning("batch %s ended: %s", batch_id, reason)
            done["failed"].append(batch_id)
        elif batches.expansion_retried(batch_id, attempts):
            start_expansion(settings.expand_batch_function, batch_id)
            log.warning("batch %s's expansion died (attempt %d): started again", batch_id, attempts)
            done["retried"].append(batch_id)
    return done


def _webhook_left(batch: dict[str, Any]) -> bool:
    """A pending webhook of a batch whose ender has no retries of its own (not a job's Notify step)."""
    return batch.get("ended_by") in ("expand", BY) and webhook.pending(batch)


def _reason(attempts: int, last_error: str | None) -> str:
    start = f"The batch's entries could not be listed and started: {attempts} attempts did not finish"
    if last_error:
        return f"{start}; the last failed with: {last_error}"
    return f"{start} (the step crashed or ran out of time)."
