"""A job's lifecycle and history: created, moved forward, failed, updated, redriven; the operators' scan.

Each status change is a conditional write, kept as a history item (sk "EVENT#<rank>#<STATUS>", so
history sorts in order and writing the same transition twice is harmless).
"""

from __future__ import annotations

from typing import Any

from ytcaption.domain.errors import ErrorCode, InvalidTransition
from ytcaption.domain.job import ALLOWED_FROM, Job, JobOptions, JobStatus, iso, utcnow
from ytcaption.store import aws, keys
from ytcaption.store.items import JobTable, from_dynamo, instant, set_fields, to_dynamo


class Lifecycle(JobTable):
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
        return sorted(items, key=lambda item: instant(str(item.get("at", ""))))

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
            self.record_status(job_id, reached, now)
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
        expression, names = set_fields(sets, values, fields)
        condition = f"#status IN ({', '.join(f':a{i}' for i in range(len(allowed)))})"
        updated = self.conditional_update(job_id, expression, condition, names, values, target)
        self.record_status(job_id, target, now, int(updated.get("redrives", 0)))

    def fail(self, job_id: str, code: ErrorCode | str, reason: str) -> bool:
        """Mark FAILED with a code and reason; False if the job had already ended."""
        try:
            self.transition(job_id, JobStatus.FAILED, error_code=str(code), error_reason=reason)
        except InvalidTransition:
            return False
        return True

    def update(self, job_id: str, expect: JobStatus, **fields: Any) -> bool:
        """Set fields while the job is still in status `expect`."""
        values: dict[str, Any] = {":now": iso(utcnow()), ":expect": expect.value}
        expression, names = set_fields(["updated_at = :now"], values, fields)
        try:
            self.conditional_update(job_id, expression, "#status = :expect", names, values, expect)
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
