"""Who works on a job: claims, leases and the chunks of long audio.

A worker claims a job (or one chunk of it) under a lease it renews while it works; a lease that
lapses lets the next worker take the work over (`lost_workers` counts them). Each claim is kept in
the job's history in the same transaction as the claim itself. Lease times are epoch seconds with
millisecond precision.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from ytcaption.domain.errors import InvalidTransition
from ytcaption.domain.job import Job, JobStatus, iso, utcnow
from ytcaption.store import aws, keys
from ytcaption.store.items import JobTable, from_dynamo, instant, to_dynamo


class Claims(JobTable):
    def claim(self, job_id: str, worker_id: str, lease_seconds: float, time_limit_seconds: float | None = None) -> Job:
        """Take the job for transcription under a lease of `lease_seconds`: a QUEUED job
        (its time limit, if given, starts now), one a worker handed back, or one whose
        worker stopped renewing its lease (taken over: `lost_workers` counts them).
        InvalidTransition if none of these holds. Lease times are epoch seconds with
        millisecond precision, compared against this host's clock."""
        now = time.time()
        at = iso(utcnow())
        until = round(now + lease_seconds, 3)
        lease = {":to": JobStatus.TRANSCRIBING.value, ":now": at, ":me": worker_id, ":until": until}
        held = "#status = :to, updated_at = :now, lease_owner = :me, lease_until = :until"
        queued = {**lease, ":queued": JobStatus.QUEUED.value}
        first = f"SET {held}, started_at = if_not_exists(started_at, :now)"
        if time_limit_seconds is not None:
            first += ", deadline_at = :deadline"
            queued[":deadline"] = round(now + time_limit_seconds, 3)
        attempts = (
            ("queued", first, "#status = :queued", queued),
            ("handed back", f"SET {held}", "#status = :to AND attribute_not_exists(lease_owner)", lease),
            (
                "taken over",
                f"SET {held} ADD lost_workers :one",
                "#status = :to AND lease_until < :epoch",
                {**lease, ":epoch": round(now, 3), ":one": 1},
            ),
        )
        # The claim and its record in one transaction: a worker killed right after claiming still
        # shows in the job's claims.
        transactions = [
            [
                {
                    "Update": {
                        "TableName": self.table.name,
                        "Key": keys.job(job_id),
                        "UpdateExpression": expression,
                        "ConditionExpression": f"attribute_exists(pk) AND ({condition})",
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": to_dynamo(values),
                    }
                },
                self._claim_record(job_id, at, worker_id, how),
            ]
            for how, expression, condition, values in attempts
        ]
        if self._first_that_holds(transactions):
            job = self.get(job_id)
            if job is None:  # deleted right after the claim: nothing to work on
                raise InvalidTransition(f"job {job_id} is missing; it cannot be claimed")
            self.record_status(job_id, JobStatus.TRANSCRIBING, at, job.redrives)
            return job
        current = self.get(job_id)
        state = current.status.value if current else "missing"
        owner = f" held by {current.lease_owner}" if current and current.lease_owner else ""
        raise InvalidTransition(f"job {job_id} is {state}{owner}; it cannot be claimed")

    def _claim_record(self, job_id: str, at: str, worker_id: str, how: str, **extra: Any) -> dict[str, Any]:
        """A claim's history item, written in the same transaction as the claim itself."""
        item = {"pk": keys.job_pk(job_id), "sk": keys.claim_sk(at, worker_id), "kind": "claim", "at": at,
                "worker": worker_id, "how": how, **extra}  # fmt: skip
        return {"Put": {"TableName": self.table.name, "Item": to_dynamo(item)}}

    def _first_that_holds(self, transactions: list[list[dict[str, Any]]]) -> bool:
        """Run the first of these transactions whose conditions hold; False when none does (each claim
        way is tried in turn: a cancelled transaction means its condition, or a racing claim, said no)."""
        for items in transactions:
            try:
                self.table.meta.client.transact_write_items(TransactItems=items)
            except Exception as exc:
                if aws.error_code(exc) != "TransactionCanceledException":
                    raise
                continue
            return True
        return False

    def claims(self, job_id: str) -> list[dict[str, Any]]:
        """Every time a worker took the job (first, after a hand-back, or over a lost worker), in order."""
        response = self.table.query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :claim)",
            ExpressionAttributeValues={":pk": keys.job_pk(job_id), ":claim": keys.CLAIM_PREFIX},
            ConsistentRead=True,
        )
        return sorted((from_dynamo(item) for item in response["Items"]), key=lambda item: instant(str(item["at"])))

    def renew_lease(self, job_id: str, worker_id: str, lease_seconds: float) -> bool:
        """Extend this worker's hold; False once the job is no longer its to work on."""
        return aws.conditionally(
            lambda: self.table.update_item(
                Key=keys.job(job_id),
                UpdateExpression="SET lease_until = :until",
                ConditionExpression="#status = :tr AND lease_owner = :me",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":until": Decimal(repr(round(time.time() + lease_seconds, 3))),
                    ":tr": JobStatus.TRANSCRIBING.value,
                    ":me": worker_id,
                },
            )
        )

    def release_lease(self, job_id: str, worker_id: str) -> None:
        """Give the job back so another worker may claim it at once (if it still holds it)."""
        aws.conditionally(
            lambda: self.table.update_item(
                Key=keys.job(job_id),
                UpdateExpression="REMOVE lease_until, lease_owner",
                ConditionExpression="lease_owner = :me",
                ExpressionAttributeValues={":me": worker_id},
            )
        )

    def claim_chunk(
        self, job_id: str, index: int, worker_id: str, lease_seconds: float, time_limit_seconds: float
    ) -> dict[str, Any]:
        """Take one chunk of a QUEUED or TRANSCRIBING job under a lease (the job becomes TRANSCRIBING):
        a chunk nobody holds (new, or handed back), or one whose worker stopped renewing its lease
        (`lost_workers` counts them). The chunk's time limit starts at its first claim. Returns the
        chunk item; InvalidTransition if the job or the chunk cannot be taken now."""
        now = time.time()
        at = iso(utcnow())
        until = round(now + lease_seconds, 3)
        job_update = {
            "Update": {
                "TableName": self.table.name,
                "Key": keys.job(job_id),
                "UpdateExpression": "SET #status = :tr, updated_at = :now, "
                "started_at = if_not_exists(started_at, :now)",
                "ConditionExpression": "attribute_exists(pk) AND #status IN (:queued, :tr)",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {
                    ":tr": JobStatus.TRANSCRIBING.value, ":queued": JobStatus.QUEUED.value, ":now": at
                },
            }
        }  # fmt: skip
        held = "lease_owner = :me, lease_until = :until, deadline_at = if_not_exists(deadline_at, :deadline)"
        values = {":me": worker_id, ":until": until, ":deadline": round(now + time_limit_seconds, 3)}
        attempts = (
            ("free", f"SET {held}", "attribute_not_exists(lease_owner)", values),
            ("taken over", f"SET {held} ADD lost_workers :one", "lease_until < :epoch",
             {**values, ":epoch": round(now, 3), ":one": 1}),
        )  # fmt: skip
        transactions = [
            [
                to_dynamo(job_update),
                {
                    "Update": {
                        "TableName": self.table.name,
                        "Key": keys.chunk(job_id, index),
                        "UpdateExpression": expression,
                        "ConditionExpression": f"attribute_not_exists(#d) AND ({condition})",
                        "ExpressionAttributeNames": {"#d": "done"},
                        "ExpressionAttributeValues": to_dynamo(vals),
                    }
                },
                self._claim_record(job_id, at, worker_id, how, chunk=index),
            ]
            for how, expression, condition, vals in attempts
        ]
        if self._first_that_holds(transactions):
            job = self.get(job_id)
            self.record_status(job_id, JobStatus.TRANSCRIBING, at, job.redrives if job else 0)
            return self.chunk(job_id, index) or {}
        raise InvalidTransition(f"chunk {index} of job {job_id} cannot be claimed now")

    def chunk(self, job_id: str, index: int) -> dict[str, Any] | None:
        item = self.table.get_item(Key=keys.chunk(job_id, index), ConsistentRead=True).get("Item")
        return from_dynamo(item) if item else None

    def chunks(self, job_id: str) -> list[dict[str, Any]]:
        """The job's chunk items (those a worker has taken), in order."""
        items = aws.query_all(
            self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :chunk)",
            ExpressionAttributeValues={":pk": keys.job_pk(job_id), ":chunk": keys.CHUNK_PREFIX},
            ConsistentRead=True,
        )
        return [from_dynamo(item) for item in items]

    def renew_chunk(self, job_id: str, index: int, worker_id: str, lease_seconds: float) -> bool:
        """Extend this worker's hold on a chunk; False once the job left TRANSCRIBING or the chunk is not ours."""
        try:
            self.table.meta.client.transact_write_items(
                TransactItems=[
                    {
                        "ConditionCheck": {
                            "TableName": self.table.name,
                            "Key": keys.job(job_id),
                            "ConditionExpression": "#status = :tr",
                            "ExpressionAttributeNames": {"#status": "status"},
                            "ExpressionAttributeValues": {":tr": JobStatus.TRANSCRIBING.value},
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.table.name,
                            "Key": keys.chunk(job_id, index),
                            "UpdateExpression": "SET lease_until = :until",
                            "ConditionExpression": "lease_owner = :me",
                            "ExpressionAttributeValues": {
                                ":until": Decimal(repr(round(time.time() + lease_seconds, 3))), ":me": worker_id
                            },
                        }
                    },
                ]
            )  # fmt: skip
        except Exception as exc:
            if aws.error_code(exc) != "TransactionCanceledException":
                raise
            return False
        return True

    def release_chunk(self, job_id: str, index: int, worker_id: str) -> None:
        aws.conditionally(
            lambda: self.table.update_item(
                Key=keys.chunk(job_id, index),
                UpdateExpression="REMOVE lease_until, lease_owner",
                ConditionExpression="lease_owner = :me",
                ExpressionAttributeValues={":me": worker_id},
            )
        )

    def chunk_progress(self, job_id: str, index: int, seconds_done: float) -> None:
        self.table.update_item(
            Key=keys.chunk(job_id, index),
            UpdateExpression="SET seconds_done = :s",
            ExpressionAttributeValues={":s": Decimal(repr(round(seconds_done, 3)))},
        )

    def chunk_done(self, job_id: str, index: int, seconds: float, result_key: str, metrics: dict[str, Any]) -> None:
        self.table.update_item(
            Key=keys.chunk(job_id, index),
            UpdateExpression="SET #d = :t, seconds_done = :s, result_key = :k, #m = :m REMOVE lease_until, lease_owner",
            ExpressionAttributeNames={"#d": "done", "#m": "metrics"},
            ExpressionAttributeValues=to_dynamo({":t": True, ":s": seconds, ":k": result_key, ":m": metrics}),
        )

    def settle_language(self, job_id: str, language: str) -> str:
        """The job's language: the first one set wins (chunks detect it once and all use the same)."""
        response = self.table.update_item(
            Key=keys.job(job_id),
            UpdateExpression="SET #l = if_not_exists(#l, :l)",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#l": "language"},
            ExpressionAttributeValues={":l": language},
            ReturnValues="ALL_NEW",
        )
        return str(response["Attributes"].get("language") or language)
