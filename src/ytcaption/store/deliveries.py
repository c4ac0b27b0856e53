"""What a job's end was announced with, kept in its history: the once-per-status publication marker
on the bus, each webhook attempt, and the one email of an end.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from ytcaption.domain.job import JobStatus, iso, utcnow
from ytcaption.store import aws, keys
from ytcaption.store.items import JobTable, set_fields, to_dynamo


class Deliveries(JobTable):
    def claim_publication(self, job_id: str, status: JobStatus) -> bool:
        """True once per job and status: the bus gets each event once, however often Notify retries."""
        return aws.conditionally(
            lambda: self.table.put_item(
                Item={"pk": keys.job_pk(job_id), "sk": f"{keys.event_sk(status)}#PUBLISHED", "kind": "published"},
                ConditionExpression="attribute_not_exists(sk)",
            )
        )

    def claim_progress_webhook(self, job_id: str, attempt: int, progress: int, hold_seconds: float) -> str:
        """Take the job's progress-webhook turn for `progress`: "claimed" (send it, then release), "stale"
        (this or a later progress went out already: drop it) or "busy" (another progress of the job is
        being sent: try again shortly). One at a time per job, never backwards, whatever order the
        events arrive in; a sender that died frees the turn after `hold_seconds`. Bookkeeping, like the
        publication markers: not in the job's history."""
        key = {"pk": keys.job_pk(job_id), "sk": keys.progress_webhook_sk(attempt)}
        now = time.time()
        if aws.conditionally(
            lambda: self.table.update_item(
                Key=key,
                UpdateExpression="SET kind = :kind, progress = :p, sending_until = :until",
                ConditionExpression="(attribute_not_exists(progress) OR progress < :p) "
                "AND (attribute_not_exists(sending_until) OR sending_until < :now)",
                ExpressionAttributeValues=to_dynamo(
                    {
                        ":kind": "published",
                        ":p": progress,
                        ":until": round(now + hold_seconds, 3),
                        ":now": round(now, 3),
                    }
                ),
            )
        ):
            return "claimed"
        item = self.table.get_item(Key=key, ConsistentRead=True).get("Item") or {}
        return "stale" if int(item.get("progress", -1)) >= progress else "busy"

    def release_progress_webhook(self, job_id: str, attempt: int, progress: int) -> None:
        aws.conditionally(
            lambda: self.table.update_item(
                Key={"pk": keys.job_pk(job_id), "sk": keys.progress_webhook_sk(attempt)},
                UpdateExpression="REMOVE sending_until",
                ConditionExpression="progress = :p",
                ExpressionAttributeValues={":p": progress},
            )
        )

    def webhook_outcomes(self, job_id: str, status: JobStatus) -> list[str]:
        """The outcome of each webhook attempt so far for the event of this status, oldest first."""
        response = self.table.query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": keys.job_pk(job_id), ":prefix": f"{keys.event_sk(status)}#WEBHOOK#"},
            ConsistentRead=True,
        )
        return [str(item.get("outcome")) for item in response["Items"]]

    def record_delivery(self, job_id: str, status: JobStatus, event_type: str, delivery: dict[str, Any]) -> None:
        """A webhook attempt, kept in the job's history after the status it reports."""
        at = iso(utcnow())
        self.table.put_item(
            Item=to_dynamo(
                {
                    "pk": keys.job_pk(job_id),
                    "sk": f"{keys.event_sk(status)}#WEBHOOK#{at}#{uuid.uuid4().hex[:6]}",
                    "kind": "webhook",
                    "status": status.value,  # the job status the delivered event reports
                    "event_type": event_type,
                    "at": at,
                    **delivery,
                }
            )
        )

    def claim_email(self, job_id: str, status: JobStatus, to: str) -> bool:
        """True once per job and status: the email of an end is sent once, however often Notify runs."""
        return aws.conditionally(
            lambda: self.table.put_item(
                Item={"pk": keys.job_pk(job_id), "sk": keys.email_sk(status), "kind": "email",
                      "status": status.value, "at": iso(utcnow()), "to": to, "outcome": "sending"},
                ConditionExpression="attribute_not_exists(sk)",
            )
        )  # fmt: skip

    def record_email(self, job_id: str, status: JobStatus, outcome: dict[str, Any]) -> None:
        """What became of the email (sent, or failed and why), in the job's history."""
        fields = {k: v for k, v in outcome.items() if k not in {"pk", "sk", "kind", "status"}}
        values: dict[str, Any] = {":now": iso(utcnow())}
        expression, names = set_fields(["#at = :now"], values, fields)
        names.pop("#status", None)
        names["#at"] = "at"
        self.table.update_item(
            Key={"pk": keys.job_pk(job_id), "sk": keys.email_sk(status)},
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_dynamo(values),
        )
