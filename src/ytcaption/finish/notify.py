"""The notification path, the one webhook sender: the Notify step publishes a job's terminal event to
the bus, then sends the email and the webhook; progress events reach it from the bus (rule
`{prefix}-progress-webhooks`) and go to the webhook of a job that asked for them. Workers only
publish: no worker ever calls a tenant's endpoint.
"""

from __future__ import annotations

from typing import Any

from ytcaption.batch.progress import job_ended
from ytcaption.domain.job import Job, JobStatus
from ytcaption.finish.email import EMAILED, email_job
from ytcaption.finish.events import envelope, publish
from ytcaption.finish.webhooks import Delivery, WebhookRetryable, as_counted, deliver_to_tenant
from ytcaption.settings import Settings
from ytcaption.store.jobs import JobStore


def notify_job(job_id: str, settings: Settings, store: JobStore, causation_id: str | None = None) -> dict[str, Any]:
    job = store.get(job_id)
    if job is None:
        raise ValueError(f"job {job_id} does not exist")
    message = envelope(job, causation_id=causation_id, api_url=settings.public_api_url)
    # Each run of the job (a redrive starts another) announces its own end.
    run = job.redrives
    claimed, message["sequence"] = store.claim_publication(job_id, job.status, run)
    if claimed:
        publish(message)
    if job.options.notify_progress and job.options.webhook_url:
        store.advance_webhook(job_id, message["sequence"])  # a progress event that lags behind the end is dropped
    # Counted once per entry, however often this step runs; True: the batch it ended (or a run before
    # this one ended) has a webhook to try again, which this step's retries do as they do the job's.
    batch_retry = job_ended(settings, job)
    answer: dict[str, Any] = {"event_id": message["event_id"], "event_type": message["event_type"]}
    to = job.options.notify_email
    if to and job.status in EMAILED and store.claim_email(job_id, job.status, to, run):
        # Once per end, before the webhook (whose retries run this step again); never fails the step.
        outcome = email_job(job, settings)
        store.record_email(job_id, job.status, outcome, run)
        answer["email"] = outcome["outcome"]
    url = job.options.webhook_url
    earlier = store.webhook_outcomes(job_id, job.status, run) if url else []
    if url and "delivered" not in earlier:
        # The state machine retries no more after the last attempt, and history says so.
        delivery = as_counted(send_webhook(job, url, message, settings), len(earlier))
        store.record_delivery(job_id, job.status, message["event_type"], delivery.as_dict(), run)
        if delivery.outcome == "retry":
            raise WebhookRetryable(f"webhook not delivered ({delivery.detail}); will retry")
        answer["webhook"] = delivery.as_dict()
    if batch_retry:
        raise WebhookRetryable("the batch's webhook was not delivered; will retry")
    return answer


def notify_progress(event: dict[str, Any], settings: Settings, store: JobStore) -> dict[str, Any]:
    """A progress event (the envelope a worker published) to the webhook of its job, if the job asked
    for progress and has not ended: one attempt, never retried (the next tenth supersedes it),
    recorded in the job's history as every delivery is. Events may arrive out of order and at once:
    the job's webhook high-water mark (store.deliveries) lets through only an event newer than every
    one sent before, and drops the rest at once; receivers order what they get by `sequence`."""
    job_id = str(event.get("correlation_id") or event["data"]["job_id"])
    answer: dict[str, Any] = {"event_id": event.get("event_id"), "event_type": event.get("event_type")}
    job = store.get(job_id)
    url = job.options.webhook_url if job is not None and job.options.notify_progress else None
    if job is None or not url or job.status.terminal:
        return answer
    sequence = event.get("sequence")
    if not isinstance(sequence, int) or not store.advance_webhook(job_id, sequence):
        return {**answer, "webhook": None, "skipped": "a later event of the job went to its webhook already"}
    delivery = send_webhook(job, url, event, settings)
    store.record_delivery(job_id, JobStatus.TRANSCRIBING, str(event["event_type"]), delivery.as_dict())
    return {**answer, "webhook": delivery.as_dict()}


def send_webhook(job: Job, url: str, message: dict[str, Any], settings: Settings) -> Delivery:
    """One signed attempt, under the webhook URL policy, with the tenant's secret."""
    return deliver_to_tenant(settings, job.tenant, url, message)
