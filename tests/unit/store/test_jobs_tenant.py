"""JobStore's by-tenant reads over a fake index: paging with a resume key, status
filters over empty pages, and the tenant's usage."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ytcaption.domain.job import JobStatus
from ytcaption.domain.options import JobOptions
from ytcaption.store.jobs import TENANT_INDEX_KEY, JobStore
from ytcaption.store.keys import job, tenant_index_sk, tenant_pk


def _item(n: int, status: str = "QUEUED", **fields: Any) -> dict[str, Any]:
    created = f"2026-01-01T00:00:{n:02d}.000Z"
    return {
        **job(f"job-{n}"), "gsi1pk": tenant_pk("acme"), "gsi1sk": tenant_index_sk(created, f"job-{n}"),
        "job_id": f"job-{n}", "tenant": "acme", "status": status, "progress": Decimal(0),
        "source": {"type": "url", "url": "https://youtu.be/x"}, "options": JobOptions().model_dump(),
        "created_at": created, **fields,
    }  # fmt: skip


class _Index:
    """Answers queries page by page (newest first), applying a status filter like DynamoDB: after the limit."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = sorted(items, key=lambda i: i["gsi1sk"], reverse=True)
        self.queries: list[dict[str, Any]] = []

    def query(self, **query: Any) -> dict[str, Any]:
        self.queries.append(query)
        start = 0
        if "ExclusiveStartKey" in query:
            start = 1 + next(i for i, it in enumerate(self.items) if it["pk"] == query["ExclusiveStartKey"]["pk"])
        limit = query.get("Limit", 1000)
        page = self.items[start : start + limit]
        wanted = query["ExpressionAttributeValues"].get(":s")
        answer: dict[str, Any] = {"Items": [i for i in page if wanted is None or i["status"] == wanted]}
        if start + limit < len(self.items):
            answer["LastEvaluatedKey"] = {k: page[-1][k] for k in TENANT_INDEX_KEY}
        return answer


def _store(items: list[dict[str, Any]]) -> tuple[JobStore, _Index]:
    store = JobStore.__new__(JobStore)
    index = _Index(items)
    store.table = index
    return store, index


def test_pages_follow_each_other_newest_first() -> None:
    store, _ = _store([_item(n) for n in range(5)])
    jobs, last = store.tenant_jobs("acme", None, 2)
    assert [j.job_id for j in jobs] == ["job-4", "job-3"] and last is not None and set(last) == set(TENANT_INDEX_KEY)
    jobs, last = store.tenant_jobs("acme", None, 2, last)
    assert [j.job_id for j in jobs] == ["job-2", "job-1"] and last is not None
    jobs, last = store.tenant_jobs("acme", None, 2, last)
    assert [j.job_id for j in jobs] == ["job-0"] and last is None


def test_the_last_item_of_the_last_page_ends_the_list() -> None:
    store, _ = _store([_item(n) for n in range(2)])
    assert store.tenant_jobs("acme", None, 2)[1] is None


def test_a_status_filter_reads_past_pages_it_empties() -> None:
    items = [_item(n, "COMPLETED" if n in (3, 90) else "QUEUED") for n in range(100)]
    store, index = _store(items)
    jobs, last = store.tenant_jobs("acme", JobStatus.COMPLETED, 2)
    assert [j.job_id for j in jobs] == ["job-90", "job-3"] and last is None
    assert all(q["Limit"] == 50 and q["ExpressionAttributeValues"][":s"] == "COMPLETED" for q in index.queries)


def test_usage_counts_jobs_in_flight_and_audio_that_was_not_a_cache_hit() -> None:
    store, index = _store(
        [
            _item(1, "QUEUED"),
            _item(2, "COMPLETED", media={"duration": Decimal("60.5")}),
            _item(3, "COMPLETED", media={"duration": Decimal(100)}, cache_hit=True),
            _item(4, "TRANSCRIBING", media={}),
        ]
    )
    usage = store.tenant_usage("acme", since="2026-01-01T00:00:00.000Z")
    assert usage.jobs_in_flight == 2 and usage.audio_seconds == 60.5
    assert index.queries[0]["ExpressionAttributeValues"] == {":t": "TENANT#acme", ":since": "2026-01-01T00:00:00.000Z"}
