"""What /v1/batches does, without HTTP: check and record a batch, have ExpandBatch list it
(an asynchronous Lambda invocation), read, list and cancel batches."""

from __future__ import annotations

import json
import logging
from typing import Any

from ytcaption.api.batch_schemas import Batch, BatchEntry, BatchRequest
from ytcaption.api.problems import ApiProblem
from ytcaption.api.service import ApiService, not_found
from ytcaption.batch.progress import announce
from ytcaption.batch.summary import counts, entry_views, progress
from ytcaption.domain.errors import InvalidTransition
from ytcaption.domain.ids import idempotent_batch_id, new_batch_id
from ytcaption.operations import cancel_job
from ytcaption.store import aws
from ytcaption.store.apikeys import ApiKey
from ytcaption.store.batches import CANCELLED, ENDED, BatchStore

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
        if self.batches.create(batch_id, caller.tenant, {k: v for k, v in record.items() if v is not None}):
            self._expand(batch_id)
        batch = self.batches.get(batch_id)
        assert batch is not None
        return batch, False

    def _expand(self, batch_id: str) -> None:
        """ExpandBatch runs on its own (Lambda retries it); here, its invocation is only queued."""
        aws.client("lambda").invoke(
            FunctionName=self.settings.expand_batch_function,
            InvocationType="Event",
            Payload=json.dumps({"batch_id": batch_id}).encode(),
        )

    def _check_entries_in_flight(self, caller: ApiKey, wanted: int) -> None:
        """A tenant's unfinished batches may hold this many entries together (an expanding one counts
        at its max_items): a large batch queues behind the tenant's own, not everyone's."""
        cap = int(self.api._limit(caller, "max_batch_entries_in_flight"))
        held = 0
        for batch in self.batches.tenant_batches(caller.tenant):
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

    def view(self, batch: dict[str, Any], base: str, with_entries: bool) -> Batch:
        entries = entry_views(self.batches, self.api.store, str(batch["batch_id"]))
        return Batch(
            id=batch["batch_id"],
            status=batch["status"],
            url=batch["url"],
            title=batch.get("title") or "",
            created_at=batch["created_at"],
            finished_at=batch.get("finished_at"),
            total=int(batch.get("total") or 0),
            counts=counts(entries),
            progress=100 if batch["status"] in ENDED else progress(entries),
            error_code=batch.get("error_code"),
            error_reason=batch.get("error_reason"),
            options=batch.get("options") or {},
            entries=[BatchEntry.model_validate(entry) for entry in entries] if with_entries else None,
            links={"self": f"{base}/v1/batches/{batch['batch_id']}"},
        )

    def list(self, caller: ApiKey, limit: int) -> list[dict[str, Any]]:
        return self.batches.tenant_batches(caller.tenant, limit)

    def cancel(self, caller: ApiKey, batch_id: str) -> dict[str, Any]:
        """The batch ends CANCELLED at once (ExpandBatch starts nothing more), then its unfinished jobs end too."""
        batch = self.visible(caller, batch_id)
        if not self.batches.end(batch_id, CANCELLED, code="CANCELLED", reason="Cancelled at the client's request."):
            raise ApiProblem(409, "batch-already-ended", f"The batch is already {batch['status']}.")
        for entry in self.batches.entries(batch_id):
            job = self.api.store.get(str(entry["job_id"])) if entry.get("job_id") else None
            if job is None or job.status.terminal:
                continue
            try:
                cancel_job(self.api.store, self.settings, job.job_id, "Its batch was cancelled.")
            except InvalidTransition:
                continue  # it ended meanwhile
        announce(self.settings, self.batches, batch_id)
        latest = self.batches.get(batch_id)
        assert latest is not None
        return latest


__all__ = ["BatchService"]
