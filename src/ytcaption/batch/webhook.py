"""The ended batch's webhook, sent and kept as a job's is: the `batch.completed` event to the batch's
`webhook_url`, signed with the tenant's secret (finish.webhooks), at most WEBHOOK_ATTEMPTS attempts,
each recorded (store.batches.record_webhook), a last one that would be retried recorded as failed.

Who retries depends on where the batch ended, as for a job's own webhook. Ended by a job's Notify step
(its last entry's job ended): the state machine, which retries that step on WebhookRetryable with its
backoff and jitter (batch.progress.job_ended tells Notify to raise it). Ended by ExpandBatch (every
entry answered from the cache or refused, or the listing failed): ExpandBatch itself, in-process, with
the state machine's backoff (finish.webhooks.retry_delays; it runs asynchronously, with minutes to
spare). Cancelled through the API: one attempt within the request, as the cancelled jobs' webhooks get.
Only the caller that ended the batch retries (the batch item's `ended_by`), and each attempt claims its
turn on the batch item before sending, so no two senders send at once or out of turn.
"""

from __future__ import annotations

from typing import Any

from ytcaption.finish.webhooks import Delivery, as_counted, deliver_to_tenant
from ytcaption.settings import Settings
from ytcaption.store.batches import BatchStore


def _url(batch: dict[str, Any]) -> str | None:
    url = (batch.get("options") or {}).get("webhook_url")
    return str(url) if url else None


def attempt(settings: Settings, batches: BatchStore, batch: dict[str, Any], message: dict[str, Any]) -> Delivery | None:
    """One attempt, claimed on the batch item first (store.batches.claim_webhook) and recorded; None when
    there is nothing to send (no webhook, delivered or given up on already, or another sender claimed
    this turn). `batch` as the caller read it: its attempt count and last outcome say whose turn it is."""
    url = _url(batch)
    if url is None:
        return None
    batch_id, earlier = str(batch["batch_id"]), int(batch.get("webhook_attempts") or 0)
    if earlier and not pending(batch):
        return None
    if not batches.claim_webhook(batch_id, earlier):
        return None
    delivery = as_counted(deliver_to_tenant(settings, str(batch["tenant"]), url, message), earlier)
    batches.record_webhook(batch_id, str(message["event_type"]), delivery.as_dict())
    return delivery


def pending(batch: dict[str, Any]) -> bool:
    """The batch's webhook was attempted and its last attempt asks for another."""
    return _url(batch) is not None and batch.get("webhook_outcome") == "retry"
