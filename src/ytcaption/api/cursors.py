"""Paging cursors: the store's resume key, opaque to clients (url-safe base64 of its JSON).

A tenant's cursor carries the by-tenant index key and is bound to that tenant; the
operators' cursor is a table scan's key. Anything else is a 422 problem.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ytcaption.api.problems import ApiProblem
from ytcaption.store import keys
from ytcaption.store.usage import TENANT_INDEX_KEY


def encode_cursor(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def _invalid_cursor() -> ApiProblem:
    return ApiProblem(
        422,
        "validation-error",
        "The cursor is not one this API handed out.",
        errors=[{"field": "query.cursor", "message": "is not a cursor this API handed out", "type": "value_error"}],
    )


def _cursor_key(cursor: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise _invalid_cursor() from exc


def decode_cursor(cursor: str, tenant: str, partition: str | None = None) -> dict[str, Any]:
    """A tenant's list cursor: a by-tenant index key of this tenant's (in `partition` of the index
    where given: a tenant's batches have their own)."""
    invalid = _invalid_cursor()
    key = _cursor_key(cursor)
    expected = partition or keys.tenant_pk(tenant)
    if not isinstance(key, dict) or set(key) != set(TENANT_INDEX_KEY) or key["gsi1pk"] != expected:
        raise invalid
    if not all(isinstance(v, str) for v in key.values()):
        raise invalid
    return key


def decode_scan_cursor(cursor: str) -> dict[str, Any]:
    """The operators' list cursor: a table scan's LastEvaluatedKey (pk and sk)."""
    key = _cursor_key(cursor)
    if not isinstance(key, dict) or set(key) != {"pk", "sk"} or not all(isinstance(v, str) for v in key.values()):
        raise _invalid_cursor()
    return key
