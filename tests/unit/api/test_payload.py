"""api/payload.py's size of an encoded body against Mangum's own encoding of it."""

from __future__ import annotations

import json

import pytest
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES
from mangum.handlers.utils import handle_base64_response_body

from ytcaption.api.payload import PROXIED_BODY_BYTES, encoded_size, proxied
from ytcaption.store.media import CONTENT_TYPES

BODIES = [
    b"plain ascii text\n" * 100,
    'Grüße, ça va? 日本語 🎬\n\t"quoted"\\'.encode() * 100,
    bytes(range(256)) * 10,  # not UTF-8 at all
    b"",
]


@pytest.mark.parametrize("media_type", [*CONTENT_TYPES.values(), "application/octet-stream"])
@pytest.mark.parametrize("body", BODIES)
def test_the_size_is_what_mangum_puts_in_the_payload_or_more(body: bytes, media_type: str) -> None:
    encoded, _ = handle_base64_response_body(body, {"content-type": media_type}, [*DEFAULT_TEXT_MIME_TYPES])
    in_payload = len(json.dumps(encoded)) - 2  # as the Lambda runtime serializes it (ASCII escapes)
    assert encoded_size(body, media_type) >= in_payload
    assert encoded_size(body, media_type) <= max(in_payload, len(body)) * 1.01 + 4


def test_a_body_is_proxied_only_while_its_encoding_fits() -> None:
    ascii_text = b"a" * (PROXIED_BODY_BYTES - 10)
    assert proxied(ascii_text, CONTENT_TYPES["txt"])
    assert not proxied(ascii_text, CONTENT_TYPES["srt"])  # base64: a third larger
    wide = "日本語".encode() * (PROXIED_BODY_BYTES // 17)  # just over half the size: escaped to twice it
    assert len(wide) < PROXIED_BODY_BYTES * 0.6 and not proxied(wide, CONTENT_TYPES["json"])
