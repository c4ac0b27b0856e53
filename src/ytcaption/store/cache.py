"""The result cache: per tenant, the identity of a transcript (its source and the
options that shape it) points at the job that made it. The pointer is only a hint:
whoever reads it checks that the job still has a result to share."""

from __future__ import annotations

import hashlib
import json

from ytcaption.domain.options import JobOptions
from ytcaption.store import aws, keys

# Options that change the transcript; priority and webhook do not.
_CACHE_NEUTRAL = {"priority", "webhook_url", "notify_progress", "notify_email"}


def cache_key(tenant: str, identity: str, options: JobOptions) -> str:
    """The identity of a transcript: the tenant, the source and the options that shape it."""
    # Subtitle settings shape the stored SRT/VTT, so they are part of the key (when set at all).
    neutral = _CACHE_NEUTRAL | ({"subtitles"} if options.subtitles is None else set())
    payload = {"tenant": tenant, "source": identity, "options": options.model_dump(mode="json", exclude=neutral)}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


class ResultCache:
    def __init__(self, table_name: str) -> None:
        self.table = aws.resource("dynamodb").Table(table_name)

    def get(self, tenant: str, digest: str) -> str | None:
        """The id of the job that made this transcript, if one is remembered."""
        pointer = self.table.get_item(Key=keys.cache(tenant, digest)).get("Item")
        return str(pointer["job_id"]) if pointer else None

    def put(self, tenant: str, digest: str, job_id: str) -> None:
        self.table.put_item(Item={**keys.cache(tenant, digest), "job_id": job_id})
