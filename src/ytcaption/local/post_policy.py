"""Browser-based uploads (S3 presigned POST) checked as S3 checks them.

moto stores whatever a form POST carries: any key, any size, any signature.
Real S3 refuses a form whose signature does not match its policy, whose policy
has expired, or whose fields or file break a policy condition. The local
runtime serves people too, so its S3 enforces the same: this WSGI middleware
sits in front of the emulator and answers such forms as S3 does (403
AccessDenied, 400 EntityTooSmall / EntityTooLarge) before moto sees them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# Form fields that need no policy condition (S3's own rule).
_EXEMPT = {"policy", "signature", "x-amz-signature", "file", "awsaccesskeyid"}


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message: str

    def xml(self) -> bytes:
        return (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{self.code}</Code>'
            f"<Message>{self.message}</Message></Error>"
        ).encode()


def _denied(message: str) -> Refusal:
    return Refusal(403, "AccessDenied", message)


def _signature_ok(fields: dict[str, str], policy: str, secret: str) -> bool:
    if fields.get("x-amz-algorithm") == "AWS4-HMAC-SHA256":
        try:
            _key_id, date, region, service, _ = fields["x-amz-credential"].split("/")
        except (KeyError, ValueError):
            return False
        key = f"AWS4{secret}".encode()
        for part in (date, region, service, "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        expected = hmac.new(key, policy.encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, fields.get("x-amz-signature", ""))
    if "signature" in fields and "awsaccesskeyid" in fields:  # signature version 2
        expected = base64.b64encode(hmac.new(secret.encode(), policy.encode(), hashlib.sha1).digest()).decode()
        return hmac.compare_digest(expected, fields["signature"])
    return False


def check(fields: dict[str, str], bucket: str, size: int, secret: str, now: datetime | None = None) -> Refusal | None:
    """None if S3 would accept this form; else how it refuses. Field names are case-insensitive."""
    fields = {k.lower(): v for k, v in fields.items()}
    policy_b64 = fields.get("policy")
    if not policy_b64:
        return _denied("Anonymous form uploads are not allowed: the form has no policy.")
    if not _signature_ok(fields, policy_b64, secret):
        return _denied("The request signature we calculated does not match the signature you provided.")
    try:
        policy: dict[str, Any] = json.loads(base64.b64decode(policy_b64))
        expires = datetime.fromisoformat(str(policy["expiration"]).replace("Z", "+00:00"))
        conditions: list[Any] = list(policy["conditions"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        return Refusal(400, "InvalidPolicyDocument", "Invalid Policy: the policy cannot be read.")
    if (now or datetime.now(UTC)) >= expires:
        return _denied("Invalid according to Policy: Policy expired.")
    values = {**fields, "bucket": bucket}
    covered: set[str] = set()
    for condition in conditions:
        refusal = _condition(condition, values, size, covered)
        if refusal:
            return refusal
    uncovered = sorted(n for n in fields if n not in covered and n not in _EXEMPT and not n.startswith("x-ignore-"))
    if uncovered:
        return _denied(f"Invalid according to Policy: Extra input fields: {', '.join(uncovered)}")
    return None


def _condition(condition: Any, values: dict[str, str], size: int, covered: set[str]) -> Refusal | None:
    if isinstance(condition, dict):
        for name, expected in condition.items():
            name = name.lower()
            covered.add(name)
            if values.get(name) != str(expected):
                return _denied(f'Invalid according to Policy: Policy Condition failed: ["eq", "${name}", "{expected}"]')
        return None
    operator, *args = condition
    if operator == "content-length-range":
        low, high = int(args[0]), int(args[1])
        if size < low:
            return Refusal(
                400, "EntityTooSmall", f"Your proposed upload is smaller than the minimum allowed size ({low})."
            )
        if size > high:
            return Refusal(400, "EntityTooLarge", f"Your proposed upload exceeds the maximum allowed size ({high}).")
        return None
    name = str(args[0]).lstrip("$").lower()
    covered.add(name)
    actual, expected = values.get(name, ""), str(args[1])
    held = (
        actual == expected if operator == "eq" else actual.startswith(expected) if operator == "starts-with" else False
    )
    if not held:
        return _denied(f'Invalid according to Policy: Policy Condition failed: ["{operator}", "${name}", "{expected}"]')
    return None


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class PostPolicyMiddleware:
    """Checks every form POST to a bucket before the emulator stores it."""

    def __init__(self, app: WsgiApp, secret: str) -> None:
        self.app = app
        self.secret = secret

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        content_type = environ.get("CONTENT_TYPE", "")
        path = environ.get("PATH_INFO", "").strip("/")
        if environ.get("REQUEST_METHOD") != "POST" or not content_type.startswith("multipart/form-data") or "/" in path:
            return self.app(environ, start_response)
        from werkzeug.formparser import parse_form_data

        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else environ["wsgi.input"].read()
        parsed = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
        _stream, form, files = parse_form_data(parsed)
        upload = files.get("file")
        size = len(upload.read()) if upload is not None else 0
        fields = {name: form[name] for name in form}
        if "key" in fields and "${filename}" in fields["key"] and upload is not None:
            fields["key"] = fields["key"].replace("${filename}", upload.filename or "")
        refusal = check(fields, path, size, self.secret)
        if refusal is not None:
            start_response(f"{refusal.status} {'Forbidden' if refusal.status == 403 else 'Bad Request'}",
                           [("Content-Type", "application/xml")])  # fmt: skip
            return [refusal.xml()]
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)
