"""Browser-based uploads (S3 presigned POST) checked as S3 checks them.

moto stores whatever a form POST carries: any key, any size, any signature.
Real S3 refuses a form whose signature does not match its policy, whose policy
has expired, or whose fields or file break a policy condition; it reads field
names whatever their case and refuses a field given twice. The local runtime
serves people too, so its S3 enforces the same (ytcaption.local.front_door
calls `check_form` for every unsigned multipart POST) and answers as S3 does
(403 AccessDenied, 400 EntityTooSmall / EntityTooLarge / InvalidArgument)
before moto sees the form; moto then gets the form exactly as checked.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from ytcaption.local.sigv4 import ALGORITHM, Credentials, Failure, signing_key

# Form fields that need no policy condition (S3's own rule).
_EXEMPT = {"policy", "signature", "x-amz-signature", "file", "awsaccesskeyid"}


def _denied(message: str) -> Failure:
    return Failure("AccessDenied", message)


def _signature_ok(fields: dict[str, str], policy: str, secret: str) -> bool:
    if fields.get("x-amz-algorithm") == ALGORITHM:
        try:
            _key_id, date, region, service, _ = fields["x-amz-credential"].split("/")
        except (KeyError, ValueError):
            return False
        expected = hmac.new(signing_key(secret, date, region, service), policy.encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, fields.get("x-amz-signature", ""))
    if "signature" in fields and "awsaccesskeyid" in fields:  # signature version 2
        expected = base64.b64encode(hmac.new(secret.encode(), policy.encode(), hashlib.sha1).digest()).decode()
        return hmac.compare_digest(expected, fields["signature"])
    return False


def _key_id(fields: dict[str, str]) -> str:
    return fields.get("x-amz-credential", "").split("/")[0] or fields.get("awsaccesskeyid", "")


def check(
    fields: dict[str, str],
    bucket: str,
    size: int,
    secret: str,
    now: datetime | None = None,
    access_key_id: str | None = None,
) -> Failure | None:
    """None if S3 would accept this form; else how it refuses. Field names are case-insensitive
    (a name given twice, in any case, is refused before this: `form_fields`)."""
    fields = {k.lower(): v for k, v in fields.items()}
    policy_b64 = fields.get("policy")
    if not policy_b64:
        return _denied("Anonymous form uploads are not allowed: the form has no policy.")
    if access_key_id is not None and not hmac.compare_digest(_key_id(fields), access_key_id):
        return Failure("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
    if not _signature_ok(fields, policy_b64, secret):
        return _denied("The request signature we calculated does not match the signature you provided.")
    try:
        policy: dict[str, Any] = json.loads(base64.b64decode(policy_b64))
        expires = datetime.fromisoformat(str(policy["expiration"]).replace("Z", "+00:00"))
        conditions: list[Any] = list(policy["conditions"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        return Failure("InvalidPolicyDocument", "Invalid Policy: the policy cannot be read.", 400)
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


def _condition(condition: Any, values: dict[str, str], size: int, covered: set[str]) -> Failure | None:
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
            return Failure(
                "EntityTooSmall", f"Your proposed upload is smaller than the minimum allowed size ({low}).", 400
            )
        if size > high:
            return Failure("EntityTooLarge", f"Your proposed upload exceeds the maximum allowed size ({high}).", 400)
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


@dataclass(frozen=True)
class Form:
    fields: dict[str, str]  # lower-cased names
    filename: str
    content_type: str
    data: bytes


def read_form(environ: dict[str, Any], body: bytes) -> Form | Failure:
    """The form's fields and its one file, as S3 reads them: names in any case, none given twice."""
    from werkzeug.formparser import parse_form_data
    from werkzeug.http import parse_options_header

    mimetype, options = parse_options_header(environ.get("CONTENT_TYPE", ""))
    boundary = options.get("boundary", "")
    parsed = {
        **environ,
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": f"{mimetype.lower()}; boundary={boundary}",
    }
    _stream, form, files = parse_form_data(parsed)
    names = [name.lower() for name, _ in form.items(multi=True)] + [n.lower() for n, _ in files.items(multi=True)]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        return Failure("InvalidArgument", f"Each form field may be given once: {', '.join(repeated)}.", 400)
    uploads = list(files.items(multi=True))
    if len(uploads) != 1 or uploads[0][0].lower() != "file":
        return Failure("InvalidArgument", "POST requires exactly one file upload per request.", 400)
    upload = uploads[0][1]
    fields = {name.lower(): value for name, value in form.items(multi=True)}
    if "key" not in fields:
        return Failure("InvalidArgument", "Bucket POST must contain a field named 'key'.", 400)
    data = upload.read()
    if "${filename}" in fields["key"]:
        fields["key"] = fields["key"].replace("${filename}", upload.filename or "")
    return Form(fields, upload.filename or "file", upload.content_type or "application/octet-stream", data)


def check_form(environ: dict[str, Any], body: bytes, credentials: Credentials) -> Failure | None:
    """Check a form POST to a bucket; if S3 would take it, hand it on (environ's input) as checked."""
    bucket = environ.get("PATH_INFO", "").strip("/")
    if not bucket or "/" in bucket:
        # moto would answer a form POST to a key with an HTML 500; S3 refuses it.
        return Failure("MethodNotAllowed", "The specified method is not allowed against this resource.", 405)
    form = read_form(environ, body)
    if isinstance(form, Failure):
        return form
    refusal = check(
        form.fields, bucket, len(form.data), credentials.secret_access_key, access_key_id=credentials.access_key_id
    )
    if refusal is not None:
        return refusal
    data, content_type = _encode(form)
    environ["wsgi.input"] = io.BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))
    environ["CONTENT_TYPE"] = content_type
    return None


def _encode(form: Form) -> tuple[bytes, str]:
    """The form again, fields first and the file last, with the names moto looks up (lower case)."""
    boundary = uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{_quoted(name)}"\r\n\r\n'.encode()
        + value.encode()
        + b"\r\n"
        for name, value in form.fields.items()
    ]
    filename = _quoted(form.filename)
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {form.content_type}\r\n\r\n".encode()
        + form.data
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _quoted(text: str) -> str:
    """Safe inside a quoted Content-Disposition parameter."""
    return text.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
