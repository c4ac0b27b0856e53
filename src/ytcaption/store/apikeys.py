"""API keys: each belongs to one tenant; only a hash of it is ever stored.

A key is 256 random bits (``ytc_`` + 43 URL-safe characters), so a plain
SHA-256 of it cannot be brute-forced; with ``YTC_API_KEY_PEPPER`` set the
stored hash is an HMAC-SHA256 under that server-side secret, so a copy of the
table alone is not even enough to check a guess. Items live in the jobs table:
``pk = APIKEY#<hash>``, ``sk = APIKEY``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ytcaption.domain.job import iso, utcnow
from ytcaption.store import aws, keys
from ytcaption.store.items import from_dynamo, to_dynamo

KEY_PREFIX = "ytc_"
# Tenants name S3 prefixes and table keys: keep them plain.
TENANT_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
# Per-key limits a key may carry (they override the settings' defaults).
LIMIT_NAMES = (
    "max_jobs_in_flight",
    "max_audio_seconds_per_day",
    "max_upload_bytes",
    "max_batch_items",
    "max_batch_entries_in_flight",
)


def valid_tenant(name: str) -> bool:
    return bool(TENANT_NAME.fullmatch(name))


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str, pepper: str = "") -> str:
    if pepper:
        return hmac.new(pepper.encode(), key.encode(), hashlib.sha256).hexdigest()
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    tenant: str
    name: str = ""
    created_at: str = ""
    limits: dict[str, float] = field(default_factory=dict)


class ApiKeyStore:
    """Create and look up API keys; lookups are cached briefly (a warm Lambda's requests)."""

    def __init__(self, table_name: str, pepper: str = "", cache_seconds: float = 30.0) -> None:
        self.table = aws.resource("dynamodb").Table(table_name)
        self.pepper = pepper
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, ApiKey | None]] = {}
        self._lock = threading.Lock()

    def create(self, tenant: str, name: str = "", limits: dict[str, float] | None = None) -> tuple[str, ApiKey]:
        """A new key for the tenant: returns the key itself (shown once) and its record."""
        if not valid_tenant(tenant):
            raise ValueError(
                "tenant names are 1-63 characters: lower-case letters, digits, '-' and '_', "
                "starting with a letter or digit"
            )
        unknown = set(limits or {}) - set(LIMIT_NAMES)
        if unknown:
            raise ValueError(f"unknown limits: {', '.join(sorted(unknown))}")
        key = new_key()
        digest = key_hash(key, self.pepper)
        record = ApiKey(key_id=digest[:16], tenant=tenant, name=name, created_at=iso(utcnow()), limits=limits or {})
        item: dict[str, Any] = {
            **keys.apikey(digest),
            "key_id": record.key_id,
            "tenant": tenant,
            "name": name,
            "created_at": record.created_at,
            "active": True,
            "limits": dict(record.limits),
        }
        self.table.put_item(Item=to_dynamo(item), ConditionExpression="attribute_not_exists(pk)")
        return key, record

    def lookup(self, key: str) -> ApiKey | None:
        """The active key's record, or None; never raises for a malformed key."""
        if not key.startswith(KEY_PREFIX) or len(key) > 200:
            return None
        digest = key_hash(key, self.pepper)
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(digest)
        if cached and cached[0] > now:
            return cached[1]
        item = self.table.get_item(Key=keys.apikey(digest)).get("Item")
        record = None
        if item and item.get("active", True):
            data = from_dynamo(item)
            record = ApiKey(
                key_id=str(data["key_id"]),
                tenant=str(data["tenant"]),
                name=str(data.get("name", "")),
                created_at=str(data.get("created_at", "")),
                limits={k: float(v) for k, v in (data.get("limits") or {}).items()},
            )
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (now + self.cache_seconds, record)
        return record

    def revoke(self, key: str) -> bool:
        digest = key_hash(key, self.pepper)
        if not aws.conditionally(
            lambda: self.table.update_item(
                Key=keys.apikey(digest),
                UpdateExpression="SET active = :no",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":no": False},
            )
        ):
            return False
        with self._lock:
            self._cache.pop(digest, None)
        return True
