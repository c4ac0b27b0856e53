"""What a job's end was announced with, kept in its history: the once-per-status publication marker
on the bus, each webhook attempt, and the one email of an end.
"""

from __future__ import annotations

import uuid
from typing import Any

from ytcaption.domain.job import JobStatus, iso, utcnow
from ytcaption.store import aws, keys
from ytcaption.store.eventlog import next_sequence
from ytcaption.store.items import JobTable, set_fields, to_dynamo


class Deliveries(JobTable):
    def claim_publication(self, job_id: str, status: JobStatus, attempt: int = 0) -> tuple[bool, int]:
        """(True, n) once per job, status and run (`attempt`: the job's redrives): publish the event as
        the job's event n (its `sequence`, taken here from the job's counter); (False, n) ever after,
        however often Notify runs: n is the number it was published with, which every retried delivery
        of the event carries too. A redriven job that ends FAILED again announces that end too."""
        key = {"pk": keys.job_pk(job_id), "sk": f"{keys.event_sk(status, attempt)}#PUBLISHED"}
        marker = self.table.get_item(Key=key, ConsistentRead=True).get("Item")
        if marker and "sequence" in marker:
            return False, int(marker["sequence"])
        mine = next_sequence(self.table.name, job_id)
        before = self.table.update_item(
            Key=key,
            UpdateExpression="SET kind = :kind, #seq = if_not_exists(#seq, :n)",
            ExpressionAttributeNames={"#seq": "sequence"},
            ExpressionAttributeValues={":kind": "published", ":n": mine},
            ReturnValues="ALL_OLD",
        ).get("Attributes")
        if not before:
            return True, mine
        # Another run claimed it first (its number stands; ours is a gap), or a marker from before
        # markers held numbers (it keeps ours).
        return False, int(before.get("sequence", mine))

    def advance_webhook(self, job_id: str, sequence: int) -> bool:
        """The job's webhook high-water mark: True if event `sequence` is newer than every event sent to the
        job's webhook so far (it becomes the mark: send it), False if it is not (a later event went out
        already: drop it). One conditional write, no waiting: progress events arrive in any order and
        at once, and a stale one is superseded anyway. Bookkeeping, like the publication markers."""
        return aws.conditionally(
            lambda: self.table.update_item(
                Key={"pk": keys.job_pk(job_id), "sk": keys.webhook_mark_sk()},
                UpdateExpression="SET kind = :kind, #seq = :s",
                ConditionExpression="attribute_not_exists(#seq) OR #seq < :s",
                ExpressionAttributeNames={"#seq": "sequence"},
                ExpressionAttributeValues={":kind": "published", ":s": sequence},
            )
        )

    def webhook_outcomes(self, job_id: str, status: JobStatus, attempt: int = 0) -> list[str]:
        """The outcome of each webhook attempt so far for the event of this status (in this run of the
        job: `attempt`, its redrives), oldest first."""
        prefix = f"{keys.event_sk(status, attempt)}#WEBHOOK#"
        response = self.table.query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": keys.job_pk(job_id), ":prefix": prefix},
            ConsistentRead=True,
        )
        return [str(item.get("outcome")) for item in response["Items"]]

    def record_delivery(
        self, job_id: str, status: JobStatus, event_type: str, delivery: dict[str, Any], attempt: int = 0
    ) -> None:
        """A webhook attempt, kept in the job's history after the status it reports (in this run)."""
        at = iso(utcnow())
        self.table.put_item(
            Item=to_dynamo(
                {
                    "pk": keys.job_pk(job_id),
                    "sk": f"{keys.event_sk(status, attempt)}#WEBHOOK#{at}#{uuid.uuid4().hex[:6]}",
                    "kind": "webhook",
                    "status": status.value,  # the job status the delivered event reports
                    "event_type": event_type,
                    "at": at,
                    **delivery,
                }
            )
        )

    def claim_email(self, job_id: str, status: JobStatus, to: str, attempt: int = 0) -> bool:
        """True once per job, status and run: the email of an end is sent once, however often Notify runs."""
        return aws.conditionally(
            lambda: self.table.put_item(
                Item={"pk": keys.job_pk(job_id), "sk": keys.email_sk(status, attempt), "kind": "email",
                      "status": status.value, "at": iso(utcnow()), "to": to, "outcome": "sending"},
                ConditionExpression="attribute_not_exists(sk)",
            )
        )  # fmt: skip

    def record_email(self, job_id: str, status: JobStatus, outcome: dict[str, Any], attempt: int = 0) -> None:
        """What became of the email (sent, or failed and why), in the job's history."""
        fields = {k: v for k, v in outcome.items() if k not in {"pk", "sk", "kind", "status"}}
        values: dict[str, Any] = {":now": iso(utcnow())}
        expression, names = set_fields(["#at = :now"], values, fields)
        names.pop("#status", None)
        names["#at"] = "at"
        self.table.update_item(
            Key={"pk": keys.job_pk(job_id), "sk": keys.email_sk(status, attempt)},
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_dynamo(values),
        )
