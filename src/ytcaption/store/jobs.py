"""Job state in DynamoDB.

One table, one partition per job: the job item (sk "JOB") and one history item
per status it reached (sk "EVENT#<rank>#<STATUS>", so history sorts in order
and writing the same transition twice is harmless). Every status change is a
conditional write: a terminal job never changes again.
"""

from __future__ import annotations

import math
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from ytcaption.domain.errors import ErrorCode, InvalidTransition
from ytcaption.domain.job import ALLOWED_FROM, Job, JobOptions, JobStatus, iso, utcnow
from ytcaption.resources import TABLE_GSI_TENANT
from ytcaption.store import aws, keys


def _instant(at: str) -> str:
    """Our timestamps and the state machine's ($$.State.EnteredTime) in one sortable form."""
    try:
        return datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone(UTC).isoformat(timespec="microseconds")
    except ValueError:
        return at


def to_dynamo(value: Any) -> Any:
    """DynamoDB wants Decimal, not float."""
    if isinstance(value, float):
        # float() first: numpy floats are floats whose repr is not a number.
        number = float(value)
        return Decimal(repr(number)) if math.isfinite(number) else None
    if isinstance(value, dict):
        converted = {k: to_dynamo(v) for k, v in value.items()}
        return {k: v for k, v in converted.items() if v is not None}
    if isinstance(value, list | tuple):
        return [to_dynamo(v) for v in value]
    return value


def from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_dynamo(v) for v in value]
    return value


class JobStore:
    def __init__(self, table_name: str) -> None:
        self.table = aws.resource("dynamodb").Table(table_name)

    # -- reads ---------------------------------------------------------------

    def get(self, job_id: str) -> Job | None:
        item = self.table.get_item(Key=keys.job(job_id), ConsistentRead=True).get("Item")
        return Job.model_validate(from_dynamo(item)) if item else None

    def existing(self, job_ids: list[str]) -> set[str]:
        """Which of these jobs exist (batched reads: 100 keys a call)."""
        found: set[str] = set()
        dynamodb = aws.resource("dynamodb")
        for start in range(0, len(job_ids), 100):
            request: dict[str, Any] = {
                self.table.name: {"Keys": [keys.job(j) for j in job_ids[start : start + 100]], "ConsistentRead": True}
            }
            while request:
                answer = dynamodb.batch_get_item(RequestItems=request)
                found.update(str(item["job_id"]) for item in answer["Responses"].get(self.table.name, []))
                request = answer.get("UnprocessedKeys") or {}
        return found

    def history(self, job_id: str) -> list[dict[str, Any]]:
        response = self.table.query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :ev)",
            ExpressionAttributeValues={":pk": keys.job_pk(job_id), ":ev": keys.EVENT_PREFIX},
            ConsistentRead=True,
        )
        # Status items and webhook attempts in the order they happened (a redriven
        # job reaches statuses again); publication markers are bookkeeping.
        items = [from_dynamo(item) for item in response["Items"] if item.get("kind") != "published"]
        return sorted(items, key=lambda item: _instant(str(item.get("at", ""))))

    # -- writes --------------------------------------------------------------

    def create(
        self,
        *,
        job_id: str,
        tenant: str,
        source: dict[str, Any],
        options: JobOptions,
        status: JobStatus = JobStatus.PENDING,
        **extra: Any,
    ) -> bool:
        """Create a job (PENDING, or born COMPLETED from a cached result); False if it
        already exists (a repeated event or request)."""
        now = iso(utcnow())
        item = {
            **keys.job(job_id),
            "job_id": job_id,
            "tenant": tenant,
            "status": status.value,
            "progress": 100 if status == JobStatus.COMPLETED else 0,
            "source": source,
            "options": options.model_dump(),
            "created_at": now,
            "updated_at": now,
            "gsi1pk": keys.tenant_pk(tenant),
            "gsi1sk": keys.tenant_index_sk(now, job_id),
            **({"started_at": now, "finished_at": now} if status.terminal else {}),
            **extra,
        }
        if not aws.conditionally(
            lambda: self.table.put_item(Item=to_dynamo(item), ConditionExpression="attribute_not_exists(pk)")
        ):
            return False
        for reached in {JobStatus.PENDING, status}:
            self._record(job_id, reached, now)
        return True

    def transition(self, job_id: str, target: JobStatus, **fields: Any) -> None:
        """Move the job to `target` if its current status allows it."""
        allowed = sorted(s.value for s in ALLOWED_FROM[target])
        now = iso(utcnow())
        values: dict[str, Any] = {":to": target.value, ":now": now}
        values.update({f":a{i}": status for i, status in enumerate(allowed)})
        sets = ["#status = :to", "updated_at = :now"]
        if target.terminal:
            sets.append("finished_at = :now")
            fields.setdefault("lease_until", None)
        expression, names = self._set_fields(sets, values, fields)
        condition = f"#status IN ({', '.join(f':a{i}' for i in range(len(allowed)))})"
        updated = self._conditional_update(job_id, expression, condition, names, values, target)
        self._record(job_id, target, now, int(updated.get("redrives", 0)))

    def fail(self, job_id: str, code: ErrorCode | str, reason: str) -> bool:
        """Mark FAILED with a code and reason; False if the job had already ended."""
        try:
            self.transition(job_id, JobStatus.FAILED, error_code=str(code), error_reason=reason)
        except InvalidTransition:
            return False
        return True

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
            self._record(job_id, JobStatus.TRANSCRIBING, at, job.redrives)
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

    # -- chunks of long audio ---------------------------------------------------

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
            self._record(job_id, JobStatus.TRANSCRIBING, at, job.redrives if job else 0)
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

    def claims(self, job_id: str) -> list[dict[str, Any]]:
        """Every time a worker took the job (first, after a hand-back, or over a lost worker), in order."""
        response = self.table.query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :claim)",
            ExpressionAttributeValues={":pk": keys.job_pk(job_id), ":claim": keys.CLAIM_PREFIX},
            ConsistentRead=True,
        )
        return sorted((from_dynamo(item) for item in response["Items"]), key=lambda item: _instant(str(item["at"])))

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

    def update(self, job_id: str, expect: JobStatus, **fields: Any) -> bool:
        """Set fields while the job is still in status `expect`."""
        values: dict[str, Any] = {":now": iso(utcnow()), ":expect": expect.value}
        expression, names = self._set_fields(["updated_at = :now"], values, fields)
        try:
            self._conditional_update(job_id, expression, "#status = :expect", names, values, expect)
        except InvalidTransition:
            return False
        return True

    def reopen_for_redrive(self, job: Job, resume: JobStatus, execution_name: str, deadline_at: float) -> None:
        """A FAILED job runs again: back to `resume` under a new execution, its failure cleared.
        InvalidTransition if it is not FAILED or another redrive came first."""
        attempt = job.redrives + 1
        now = iso(utcnow())
        values = {
            ":resume": resume.value, ":now": now, ":n": attempt, ":name": execution_name, ":zero": 0,
            ":failed": JobStatus.FAILED.value, ":previous": job.redrives, ":deadline": deadline_at,
        }  # fmt: skip
        if not aws.conditionally(
            lambda: self.table.update_item(
                Key=keys.job(job.job_id),
                UpdateExpression="SET #status = :resume, updated_at = :now, redrives = :n, execution_name = :name, "
                "deadline_at = :deadline, progress = :zero REMOVE error_code, error_reason, finished_at, lease_until, "
                "lease_owner, lost_workers, eta_seconds",
                ConditionExpression="#status = :failed AND (attribute_not_exists(redrives) OR redrives = :previous)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_dynamo(values),
            )
        ):
            raise InvalidTransition(f"job {job.job_id} changed meanwhile; try again")
        self.table.put_item(
            Item={"pk": keys.job_pk(job.job_id), "sk": f"{keys.event_sk(resume, attempt)}#REDRIVE",
                  "status": resume.value, "at": now, "kind": "redrive", "execution": execution_name}
        )  # fmt: skip

    def scan_jobs(
        self, status: JobStatus | None, limit: int, start: dict[str, Any] | None = None
    ) -> tuple[list[Job], dict[str, Any] | None]:
        """Jobs of every tenant, in no order (a table scan: operators only); the key to resume after, if more."""
        expression = "sk = :job" + (" AND #status = :status" if status else "")
        values: dict[str, Any] = {":job": keys.JOB_SK}
        if status:
            values[":status"] = status.value
        jobs: list[Job] = []
        while True:
            kwargs: dict[str, Any] = {"FilterExpression": expression, "ExpressionAttributeValues": values, "Limit": 200}
            if status:
                kwargs["ExpressionAttributeNames"] = {"#status": "status"}
            if start:
                kwargs["ExclusiveStartKey"] = start
            page = self.table.scan(**kwargs)
            for item in page["Items"]:
                jobs.append(Job.model_validate(from_dynamo(item)))
                if len(jobs) == limit:
                    # Resume right after this item: nothing later on the page is skipped.
                    return jobs, {"pk": item["pk"], "sk": item["sk"]}
            start = page.get("LastEvaluatedKey")
            if not start:
                return jobs, None

    # -- notifications ----------------------------------------------------------

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
        expression, names = self._set_fields(["#at = :now"], values, fields)
        names.pop("#status", None)
        names["#at"] = "at"
        self.table.update_item(
            Key={"pk": keys.job_pk(job_id), "sk": keys.email_sk(status)},
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_dynamo(values),
        )

    # -- uploads ---------------------------------------------------------------

    def put_upload(
        self,
        upload_id: str,
        tenant: str,
        options: JobOptions,
        ttl_seconds: int = 7 * 24 * 3600,
        max_bytes: int | None = None,
    ) -> None:
        """Remember what the client asked for (and the size it may upload), before its file arrives."""
        self.table.put_item(
            Item={
                **keys.upload(upload_id),
                "upload_id": upload_id,
                "tenant": tenant,
                "options": options.model_dump(exclude_none=True),
                "created_at": iso(utcnow()),
                "expires_at": int(time.time()) + ttl_seconds,
                **({"max_bytes": max_bytes} if max_bytes is not None else {}),
            },
            ConditionExpression="attribute_not_exists(pk)",
        )

    def get_upload(self, upload_id: str) -> dict[str, Any] | None:
        item = self.table.get_item(Key=keys.upload(upload_id), ConsistentRead=True).get("Item")
        return from_dynamo(item) if item else None

    # -- helpers -------------------------------------------------------------

    @staticmethod
    def _set_fields(sets: list[str], values: dict[str, Any], fields: dict[str, Any]) -> tuple[str, dict[str, str]]:
        names = {"#status": "status"}
        removes = []
        for i, (name, value) in enumerate(fields.items()):
            names[f"#f{i}"] = name
            if value is None:
                removes.append(f"#f{i}")
            else:
                sets.append(f"#f{i} = :f{i}")
                values[f":f{i}"] = value
        expression = "SET " + ", ".join(sets)
        if removes:
            expression += " REMOVE " + ", ".join(removes)
        return expression, names

    def _conditional_update(
        self,
        job_id: str,
        expression: str,
        condition: str,
        names: dict[str, str],
        values: dict[str, Any],
        target: JobStatus,
    ) -> dict[str, Any]:
        """The update, or InvalidTransition; returns the job as it is now."""
        try:
            response = self.table.update_item(
                Key=keys.job(job_id),
                UpdateExpression=expression,
                ConditionExpression=f"attribute_exists(pk) AND ({condition})",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_dynamo(values),
                ReturnValues="ALL_NEW",
            )
        except Exception as exc:
            if aws.error_code(exc) == "ConditionalCheckFailedException":
                current = self.get(job_id)
                state = current.status.value if current else "missing"
                raise InvalidTransition(f"job {job_id} is {state}; cannot become {target.value}") from exc
            raise
        return dict(from_dynamo(response.get("Attributes", {})))

    def _record(self, job_id: str, status: JobStatus, at: str, attempt: int = 0) -> None:
        """History item for a status reached; the first write of it wins."""
        aws.conditionally(
            lambda: self.table.put_item(
                Item={
                    "pk": keys.job_pk(job_id),
                    "sk": keys.event_sk(status, attempt),
                    "status": status.value,
                    "at": at,
                },
                ConditionExpression="attribute_not_exists(sk)",
            )
        )

    # -- by tenant (the public API's reads) ------------------------------------------

    def tenant_jobs(
        self, tenant: str, status: JobStatus | None, limit: int, start: dict[str, Any] | None = None
    ) -> tuple[list[Job], dict[str, Any] | None]:
        """The tenant's jobs, newest first (its index), optionally of one status; with the
        index key to resume after when there are more (None at the end)."""
        query: dict[str, Any] = {
            "IndexName": TABLE_GSI_TENANT,
            "KeyConditionExpression": "gsi1pk = :t",
            "ExpressionAttributeValues": {":t": keys.tenant_pk(tenant)},
            "ScanIndexForward": False,
        }
        if status:
            query["FilterExpression"] = "#s = :s"
            query["ExpressionAttributeNames"] = {"#s": "status"}
            query["ExpressionAttributeValues"][":s"] = status.value
        jobs: list[Job] = []
        for _ in range(20):  # bounded: a filter may leave pages empty
            page_query = {**query, "Limit": limit if not status else max(limit, 50)}
            if start:
                page_query["ExclusiveStartKey"] = start
            page = self.table.query(**page_query)
            rows = page.get("Items", [])
            for index, row in enumerate(rows):
                jobs.append(Job.model_validate(from_dynamo(row)))
                if len(jobs) == limit:
                    more = index < len(rows) - 1 or "LastEvaluatedKey" in page
                    return jobs, {k: row[k] for k in TENANT_INDEX_KEY} if more else None
            start = page.get("LastEvaluatedKey")
            if not start:
                return jobs, None
        return jobs, start

    def tenant_usage(self, tenant: str, since: str) -> TenantUsage:
        """Jobs in flight and audio transcribed (cache hits aside) among the tenant's jobs created since `since`."""
        query: dict[str, Any] = {
            "IndexName": TABLE_GSI_TENANT,
            "KeyConditionExpression": "gsi1pk = :t AND gsi1sk >= :since",
            "ExpressionAttributeValues": {":t": keys.tenant_pk(tenant), ":since": since},
            "ProjectionExpression": "#s, media, cache_hit",
            "ExpressionAttributeNames": {"#s": "status"},
        }
        active = {s.value for s in JobStatus if not s.terminal}
        in_flight, audio = 0, 0.0
        for item in aws.query_all(self.table, **query):
            in_flight += item.get("status") in active
            if not item.get("cache_hit"):
                audio += float((item.get("media") or {}).get("duration") or 0)
        return TenantUsage(jobs_in_flight=in_flight, audio_seconds=audio)


# The attributes of a key of the by-tenant index (a page of tenant_jobs resumes after one).
TENANT_INDEX_KEY = ("pk", "sk", "gsi1pk", "gsi1sk")


class TenantUsage(NamedTuple):
    jobs_in_flight: int
    audio_seconds: float
