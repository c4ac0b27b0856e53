"""How a batch's expansion starts: ExpandBatch invoked asynchronously, by the API for a new batch and
by the batch reconciler for one whose expansion died."""

from __future__ import annotations

import json

from ytcaption.store import aws


def start_expansion(function_name: str, batch_id: str) -> None:
    """Queue one ExpandBatch run of the batch (Lambda retries a failed one on its own)."""
    aws.client("lambda").invoke(
        FunctionName=function_name, InvocationType="Event", Payload=json.dumps({"batch_id": batch_id}).encode()
    )
