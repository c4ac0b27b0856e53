"""Audio links that keep their lifetime: a ticket in the jobs table (`AUDIOLINK#<token>`), redeemed at
request time for a presigned GET signed then.

A presigned URL signed with temporary credentials dies with them, whatever its expiry says, and a
Lambda's credentials carry no expiry it can read (only AWS_SESSION_TOKEN): a 4-hour link signed by the
API's Lambda could stop working long before. The ticket is ours, so it lasts exactly as long as it says;
each request for it is answered with a fresh, short presigned link.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from ytcaption import resources
from ytcaption.store import aws, keys


class AudioLinks:
    def __init__(self, table_name: str) -> None:
        self.table = aws.resource("dynamodb").Table(table_name)

    def issue(self, job_id: str, tenant: str, bucket: str, key: str, lifetime_seconds: int) -> tuple[str, int]:
        """A new ticket for this object: (token, expiry in epoch seconds)."""
        token = secrets.token_urlsafe(24)
        expires = int(time.time()) + lifetime_seconds
        self.table.put_item(
            Item={
                **keys.audio_link(token),
                "kind": "audiolink",
                "job_id": job_id,
                "tenant": tenant,
                "bucket": bucket,
                "key": key,
                "expires": expires,
                resources.TABLE_TTL_ATTRIBUTE: expires + 86400,
            }
        )
        return token, expires

    def redeem(self, token: str) -> dict[str, Any] | None:
        """The ticket's object (bucket, key, job_id, tenant), None when there is none or it has expired."""
        item = self.table.get_item(Key=keys.audio_link(token), ConsistentRead=True).get("Item")
        if not item or int(item.get("expires", 0)) <= time.time():
            return None
        return {k: str(item[k]) for k in ("bucket", "key", "job_id", "tenant")}
