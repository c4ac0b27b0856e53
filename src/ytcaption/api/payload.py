"""How big a response body is once the API's Lambda has encoded it, and what may go through it.

Lambda caps a synchronous response at 6 MB, counted on its JSON payload: Mangum puts a text body
there as a JSON string (escaped: `\\n` is two bytes, a character outside ASCII up to six, or twelve
for a surrogate pair) and anything else base64-encoded (4 bytes per 3). A result is proxied only
when its encoded body stays well under the cap; a larger one is handed out as a presigned link.
"""

from __future__ import annotations

import json

LAMBDA_RESPONSE_BYTES = 6 * 1024 * 1024
# The most an encoded body may take: the headers and the envelope leave it far from the cap.
PROXIED_BODY_BYTES = 4_000_000
# What Mangum sends as text (its DEFAULT_TEXT_MIME_TYPES, matched as substrings of Content-Type).
_TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml",
               "application/vnd.api+json", "application/vnd.oai.openapi")  # fmt: skip


def encoded_size(body: bytes, media_type: str) -> int:
    """Bytes the body takes in the Lambda's response payload (an upper bound for text: ASCII escapes)."""
    if any(kind in media_type for kind in _TEXT_TYPES):
        try:
            return len(json.dumps(body.decode("utf-8"))) - 2
        except UnicodeDecodeError:
            pass
    return (len(body) + 2) // 3 * 4


def proxied(body: bytes, media_type: str) -> bool:
    """Whether the body may go through the API's Lambda (else: a link to it)."""
    return len(body) <= PROXIED_BODY_BYTES and encoded_size(body, media_type) <= PROXIED_BODY_BYTES
