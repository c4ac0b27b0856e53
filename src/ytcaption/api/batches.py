"""What /v1/batches does, without HTTP: check and record a batch, have ExpandBatch list it
(an asynchronous Lambda invocation), read, list and cancel batches."""

from __future__ import annotations

import logging
from typing import Any

from ytcaption.api.batch_schemas import Batch, BatchEntry, BatchRequest
from ytcaption.api.cursors import decode_cursor, encode_cursor
from ytcaption.api.problems import ApiProblem
from ytcaption.api.service import ApiService, not_found
from ytcaption.batch.progress import announce
from ytcaption.batch.start import begin_batch
from ytcaption.batch.summary import counts, ended_counts, ended_progress, entry_views, progress
from ytcaption.batch.summary import ended as ended_entries
from ytcaption.domain.errors import ErrorCode, InvalidTransition
from ytcaption.domain.ids import idempotent_batch_id, new_batch_id
from ytcaption.domain.job import JobStatus
from ytcaption.operations import cancel_job
from ytcaption.store.apikeys import ApiKey
from ytcaption.store.batches import CANCELLED, ENDED, BatchStore, tenant_batches_pk

log = logging.getLogger(__name__)


class BatchService:
    def __init__(self, api: ApiService) -> None:
        self.api = api
        self.settings = api.settings
        self.batches = BatchStore(api.settings.table)

    def create(self, caller: ApiKey, request: BatchRequest, idempotency_key: str | None) -> tuple[dict[str, Any], bool]:
        options = self.api.job_options(request)
        url = self.api._check_url(request.url, self.api.url_policy, "body.url")
        if request.webhook_url:
            self.api._check_url(request.webhook_url, self.api.webhook_policy, "body.webhook_url")
        ceiling = int(self.api._limit(caller, "max_batch_items"))
        max_items = request.max_items or ceiling
        if max_items > ceiling:
            raise ApiProblem(
                422,
                "batch-too-large",
                f"max_items is {max_items}; a batch of your key holds at most {ceiling} entries.",
                errors=[{"field": "body.max_items", "message": f"at most {ceiling}", "type": "less_than_equal"}],
            )
        batch_id = idempotent_batch_id(caller.tenant, idempotency_key) if idempotency_key else new_batch_id()
        if idempotency_key and (earlier := self.batches.get(batch_id)) is not None:
            return earlier, True
        self._check_entries_in_flight(caller, max_items)
        stamp = {"published_after": request.published_after, "published_before": request.published_before}
        after, before = (int(v.timestamp()) if v else None for v in stamp.values())
        record = {
            "url": url,
            "options": options.model_dump(),
            "max_items": max_items,
            "newest_first": request.newest_first,
            "after": after,
            "before": before,
        }
        if not request.cache:
            record["no_cache"] = True
        begin_batch(self.settings, self.batches, batch_id, caller.tenant, record)
        batch = self.batches.get(batch_id)
        assert batch is not None
        return batch, False

    def _check_entries_in_flight(self, caller: ApiKey, wanted: int) -> None:
        """A tenant's unfinished batches may hold this many entries together (an expanding one counts
        at its max_items): a large batch queues behind the tenant's own, not everyone's."""
        cap = int(self.api._limit(caller, "max_batch_entries_in_flight"))
        held = 0
        for batch in self.batches.tenant_batches(caller.tenant)[0]:
            if batch["status"] in ENDED:
                continue
            total = int(batch.get("total") or 0) or int(batch.get("max_items") or 0)
            held += max(total - int(batch.get("ended") or 0), 0)
        if held + wanted > cap:
            raise ApiProblem(
                429,
                "too-many-batch-entries",
                f"Your unfinished batches hold {held} entries; with {wanted} more the limit of {cap} would be passed. "
                "Wait for a batch to finish, cancel one, or ask for fewer (max_items).",
                headers={"Retry-After": "60"},
            )

    def visible(self, caller: ApiKey, batch_id: str) -> dict[str, Any]:
        batch = self.batches.get(batch_id)
        if batch is None or batch.get("tenant") != caller.tenant:
            raise not_found(f"batch {batch_id}")
        return batch

    def entries(self, batch: dict[str, Any]) -> list[dict[str, Any]]:
        """Every entry with its job's status (one read per entry's job: for one batch, never a list)."""
        return entry_views(self.batches, self.api.store, str(batch["batch_id"]))

    def view(self, batch: dict[str, Any], base: str, entries: list[dict[str, Any]] | None = None) -> Batch:
        """The batch as clients see it: with its entries (counts and progress from them) when given,
        else from the batch item's own counters alone."""
        finished = batch["status"] in ENDED
        return Batch(
            id=batch["batch_id"],
            status=batch["status"],
            url=batch["url"],
            title=batch.get("title") or "",
            created_at=batch["created_at"],
            finished_at=batch.get("finished_at"),
            total=int(batch.get("total") or 0),
            ended=int(batch.get("ended") or 0) if entries is None else ended_entries(entries),
            counts=ended_counts(batch) if entries is None else counts(entries),
            progress=ended_progress(batch) if entries is None else 100 if finished else progress(entries),
            error_code=batch.get("error_code"),
            error_reason=batch.get("error_reason"),
            options=batch.get("options") or {},
            entries=None if entries is None else [BatchEntry.model_validate(entry) for entry in entries],
            links={"self": f"{base}/v1/batches/{batch['batch_id']}"},
        )

    def page(self, caller: ApiKey, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """A page of the tenant's batches, newest first, and the cursor of the next page."""
        start = decode_cursor(cursor, caller.tenant, tenant_batches_pk(caller.tenant)) if cursor else None
        items, last = self.batches.tenant_batches(caller.tenant, limit, start)
        return items, encode_cursor(last) if last else None

    def cancel(self, caller: ApiKey, batch_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The batch ends CANCELLED at once (ExpandBatch starts nothing more), then its unfinished jobs end
        too; the batch as it ended and its entries after."""
        batch = self.visible(caller, batch_id)
        ended = self.batches.end(
            batch_id, CANCELLED, by="cancel", code="CANCELLED", reason="Cancelled at the client's request."
        )
        if ended is None:
            raise ApiProblem(409, "batch-already-ended", f"The batch is already {batch['status']}.")
        reason = "Its batch was cancelled."
        entries = self.entries(ended)  # read once: what to cancel, and (updated below) the answer
        for entry in entries:
            if not entry.get("job_id") or JobStatus(entry["status"]).terminal:
                continue
            try:
                cancel_job(self.api.store, self.settings, str(entry["job_id"]), reason)
            except InvalidTransition:
                job = self.api.store.get(str(entry["job_id"]))  # it ended meanwhile (or was never created)
                if job is not None:
                    entry.update(status=job.status.value, progress=job.progress, error_code=job.error_code,
                                 error_reason=job.error_reason)  # fmt: skip
                continue
            entry.update(status=JobStatus.CANCELLED.value, error_code=ErrorCode.CANCELLED.value, error_reason=reason)
        announce(self.settings, self.batches, ended, counts(entries))
        return ended, entries


__all__ = ["BatchService"]
