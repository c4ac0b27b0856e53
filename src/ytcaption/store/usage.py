"""A tenant's jobs and usage, through the by-tenant index: its jobs newest first (the public API's
listing), and the jobs in flight and audio transcribed that its limits are checked against.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ytcaption.domain.job import Job, JobStatus
from ytcaption.resources import TABLE_GSI_TENANT
from ytcaption.store import aws, keys
from ytcaption.store.items import JobTable, from_dynamo

# The attributes of a key of the by-tenant index (a page of tenant_jobs resumes after one).
TENANT_INDEX_KEY = ("pk", "sk", "gsi1pk", "gsi1sk")


class TenantUsage(NamedTuple):
    jobs_in_flight: int
    audio_seconds: float


class TenantJobs(JobTable):
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
