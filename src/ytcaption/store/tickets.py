"""Upload tickets are single-use: the first file that arrives under a ticket is the only one that
becomes a job.

A ticket's presigned POST stays valid until it expires, and S3 takes every POST that keeps to its
policy: a second file under the same ticket (same key, another ETag) would otherwise start a second
job. Whoever sees a file first (the upload's event, the reconciler, or the client's POST
/v1/transcriptions) claims the ticket for that file's job with a conditional write; the same file
claims it again (events are delivered more than once), any other file finds it taken, is recorded
and starts nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ytcaption.domain.job import iso, utcnow
from ytcaption.store import aws, keys

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claim:
    job_id: str
    etag: str
    key: str


class TicketStore:
    def __init__(self, table_name: str) -> None:
        self.table = aws.resource("dynamodb").Table(table_name)

    def claim(self, upload_id: str, job_id: str, key: str, etag: str) -> Claim:
        """The ticket's claim: this file's, if it is the first to claim it (or claimed it before);
        else the earlier file's, and this one is recorded as refused."""
        try:
            self.table.put_item(
                Item={**keys.upload_claim(upload_id), "job_id": job_id, "etag": etag, "key": key, "at": iso(utcnow())},
                ConditionExpression="attribute_not_exists(pk) OR job_id = :job",
                ExpressionAttributeValues={":job": job_id},
            )
            return Claim(job_id, etag, key)
        except Exception as exc:
            if aws.error_code(exc) != "ConditionalCheckFailedException":
                raise
        held = self.claimed(upload_id)
        assert held is not None  # a claim is never deleted
        log.warning("upload %s: a second file (ETag %s) arrived under a used ticket; ignored", upload_id, etag)
        self.table.put_item(
            Item={**keys.upload_refused(upload_id, etag), "etag": etag, "key": key, "at": iso(utcnow())}
        )
        return held

    def claimed(self, upload_id: str) -> Claim | None:
        item = self.table.get_item(Key=keys.upload_claim(upload_id), ConsistentRead=True).get("Item")
        return Claim(str(item["job_id"]), str(item["etag"]), str(item["key"])) if item else None

    def refused(self, upload_id: str) -> list[dict[str, Any]]:
        """The later files posted under this ticket: ETag, key and when."""
        answer = self.table.query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :refused)",
            ExpressionAttributeValues={":pk": keys.upload_claim(upload_id)["pk"], ":refused": "REFUSED#"},
            ConsistentRead=True,
        )
        return [{"etag": i["etag"], "key": i["key"], "at": i["at"]} for i in answer.get("Items", [])]
