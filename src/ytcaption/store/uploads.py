"""Upload records: what a client asked for (and the size it may upload), kept before its file arrives."""

from __future__ import annotations

import time
from typing import Any

from ytcaption.domain.job import JobOptions, iso, utcnow
from ytcaption.store import keys
from ytcaption.store.items import JobTable, from_dynamo, to_dynamo


class Uploads(JobTable):
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
                "options": to_dynamo(options.model_dump(exclude_none=True)),  # subtitle settings hold floats
                "created_at": iso(utcnow()),
                "expires_at": int(time.time()) + ttl_seconds,
                **({"max_bytes": max_bytes} if max_bytes is not None else {}),
            },
            ConditionExpression="attribute_not_exists(pk)",
        )

    def get_upload(self, upload_id: str) -> dict[str, Any] | None:
        item = self.table.get_item(Key=keys.upload(upload_id), ConsistentRead=True).get("Item")
        return from_dynamo(item) if item else None
