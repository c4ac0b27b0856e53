"""MediaStore.get_text_if_any: one GET, and None for a key that is not there (the merge reads each
chunk's voices this way, one request a chunk rather than a HEAD and a GET)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from ytcaption import resources
from ytcaption.store.media import MediaStore

pytestmark = pytest.mark.integration


def test_a_text_is_read_in_one_request_and_a_missing_one_is_none(runtime: Any) -> None:
    store = MediaStore(resources.BUCKET)
    calls: list[str] = []

    def record(model: Any, **_: Any) -> None:
        calls.append(model.name)

    # The client is shared (aws.client): the hook goes again when the test ends.
    store.s3.meta.events.register("before-call.s3", record, unique_id="test-media-text")
    key = f"results/test-{uuid.uuid4().hex}/voices.json"
    try:
        assert store.get_text_if_any(key) is None
        store.put_text(key, '{"voices": []}', "application/json")
        calls.clear()
        assert store.get_text_if_any(key) == '{"voices": []}'
        assert calls == ["GetObject"], calls
    finally:
        store.s3.meta.events.unregister("before-call.s3", unique_id="test-media-text")
        store.s3.delete_object(Bucket=resources.BUCKET, Key=key)
