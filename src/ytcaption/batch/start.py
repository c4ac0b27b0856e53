"""How a batch's expansion starts: ExpandBatch invoked asynchronously, by the API for a new batch and
by the batch reconciler for one whose expansion died."""

from __future__ import annotations

import json
from typing import Any

from ytcaption.settings import Settings
from ytcaption.store import aws
from ytcaption.store.batches import BatchStore


def start_expansion(function_name: str, batch_id: str) -> None:
    """Queue one ExpandBatch run of the batch (a failed one is run again by the batch reconciler, not Lambda)."""
    aws.client("lambda").invoke(
        FunctionName=function_name, InvocationType="Event", Payload=json.dumps({"batch_id": batch_id}).encode()
    )


def begin_batch(settings: Settings, batches: BatchStore, batch_id: str, tenant: str, request: dict[str, Any]) -> bool:
    """Record the batch (EXPANDING) and start its expansion; False (and nothing started) if it existed."""
    if not batches.create(batch_id, tenant, {k: v for k, v in request.items() if v is not None}):
        return False
    start_expansion(settings.expand_batch_function, batch_id)
    return True
