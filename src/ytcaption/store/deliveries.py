"""What a job's end was announced with, kept in its history: the once-per-status publication marker
on the bus, each webhook attempt, and the one email of an end.
"""

from __future__ import annotations

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
