"""The Notify step: publish the job's terminal event to the bus, then the webhook."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ytcaption.batch.progress import job_ended
from ytcaption.finish.email import EMAILED, email_job
from ytcaption.finish.events import envelope, publish
from ytcaption.finish.webhooks import WEBHOOK_ATTEMPTS, WebhookRetryable, deliver_to_tenant
from ytcaption.settings import Settings
from ytcaption.store.jobs import JobStore


def notify_job(job_id: str, settings: Settings, store: JobStore, causation_id: str | None = None) -> dict[str, Any]:
    job = store.get(job_id)
    if job is None:
        raise ValueError(f"job {job_id} does not exist")
    message = envelope(job, causation_id=causation_id, api_url=settings.public_api_url)
    if store.claim_publication(job_id, job.status):
        publish(message)
    job_ended(settings, job_id)  # counted once per entry, however often this step runs
    answer: dict[str, Any] = {"event_id": message["event_id"], "event_type": message["event_type"]}
    to = job.options.notify_email
    if to and job.status in EMAILED and store.claim_email(job_id, job.status, to):
        # Once per end, before the webhook (whose retries run this step again); never fails the step.
        outcome = email_job(job, settings)
        store.record_email(job_id, job.status, outcome)
        answer["email"] = outcome["outcome"]
    url = job.options.webhook_url
    earlier = store.webhook_outcomes(job_id, job.status) if url else []
    if not url or "delivered" in earlier:
        return answer
    delivery = deliver_to_tenant(settings, job.tenant, url, message)
    if delivery.outcome == "retry" and len(earlier) + 1 >= WEBHOOK_ATTEMPTS:
        # The state machine retries no more: this attempt is the last, and history says so.
        delivery = replace(
            delivery, outcome="failed", detail=f"{delivery.detail}; gave up after {WEBHOOK_ATTEMPTS} attempts"
        )
    store.record_delivery(job_id, job.status, message["event_type"], delivery.as_dict())
    if delivery.outcome == "retry":
        raise WebhookRetryable(f"webhook not delivered ({delivery.detail}); will retry")
    return {**answer, "webhook": delivery.as_dict()}
