"""Signature Version 4, checked as AWS checks it: the local emulator's requests must be signed with
the runtime's own credentials.

moto answers any request, signed or not, with whatever credentials. The local runtime is shared
(a browser's uploads reach it, and so can a tenant), so its emulator verifies each request's
signature, in the Authorization header or in a presigned URL's query, against the one secret the
runtime made for its own processes, and a presigned URL's expiry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
# S3 refuses a header-signed request whose time is further than this from its own.
MAX_SKEW = timedelta(minutes=15)
# The longest a presigned URL may last (seven days).
MAX_EXPIRES_SECONDS = 7 * 24 * 3600
_AMZ_DATE = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str


@dataclass(frozen=True)
class Failure:
    """Why a request is refused, as S3 names it."""

    code: str
    message: str
    status: int = 403


_MISMATCH = Failure(
    "SignatureDoesNotMatch",
    "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
)


@dataclass(frozen=True)
class _Signed:
    access_key_id: str
    scope: tuple[str, str, str]  # date, region, service
    amz_date: str
    signed_headers: list[str]
    signature: str
    presigned: bool
    expires: int | None = None


def is_signed(environ: dict[str, Any]) -> bool:
    query = environ.get("QUERY_STRING", "").lower()
    return bool(environ.get("HTTP_AUTHORIZATION")) or "x-amz-signature=" in query or "signature=" in query


def verify(
    environ: dict[str, Any], body: bytes, credentials: Credentials, now: datetime | None = None
) -> Failure | None:
    """None if the request is signed with these credentials and still valid; else why not."""
    if not environ.get("HTTP_AUTHORIZATION") and "x-amz-signature=" not in environ.get("QUERY_STRING", "").lower():
        return _verify_v2_query(environ, credentials, now or datetime.now(UTC))
    signed = _parse(environ)
    if isinstance(signed, Failure):
        return signed
    if not hmac.compare_digest(signed.access_key_id, credentials.access_key_id):
        return Failure("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
    try:
        at = datetime.strptime(signed.amz_date, _AMZ_DATE).replace(tzinfo=UTC)
    except ValueError:
        return Failure("AccessDenied", "The request's X-Amz-Date is not a date.")
    now = now or datetime.now(UTC)
    if signed.presigned:
        expires = signed.expires or 0
        if not 0 < expires <= MAX_EXPIRES_SECONDS:
            return Failure("AuthorizationQueryParametersError", "X-Amz-Expires must be 1 to 604800 seconds.", 400)
        if now > at + timedelta(seconds=expires):
            return Failure("AccessDenied", "Request has expired")
    elif abs(now - at) > MAX_SKEW:
        return Failure(
            "RequestTimeTooSkewed", "The difference between the request time and the current time is too large."
        )
    if signed.scope[0] != signed.amz_date[:8]:
        return Failure("SignatureDoesNotMatch", "The credential's date is not the request's date.")
    payload = _payload_hash(environ, body, signed)
    if payload is None:
        return Failure(
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
            400,
        )
    canonical = "\n".join(
        [
            environ.get("REQUEST_METHOD", "GET").upper(),
            _canonical_uri(environ, signed.scope[2]),
            _canonical_query(environ.get("QUERY_STRING", ""), drop_signature=signed.presigned),
            "".join(f"{name}:{_header(environ, name)}\n" for name in signed.signed_headers),
            ";".join(signed.signed_headers),
            payload,
        ]
    )
    scope = "/".join([*signed.scope, "aws4_request"])
    to_sign = "\n".join([ALGORITHM, signed.amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    expected = hmac.new(signing_key(credentials.secret_access_key, *signed.scope), to_sign.encode(), hashlib.sha256)
    if not hmac.compare_digest(expected.hexdigest(), signed.signature):
        return _MISMATCH
    return None


def _verify_v2_query(environ: dict[str, Any], credentials: Credentials, now: datetime) -> Failure | None:
    """An S3 presigned URL of Signature Version 2 (AWSAccessKeyId, Expires, Signature), which boto3
    still makes for S3 unless told `s3v4`: its expiry, then its HMAC-SHA1 over the method, the expiry
    and the path with the sub-resources it names."""
    from botocore.auth import HmacV1Auth
    from botocore.credentials import Credentials as BotoCredentials

    query = {
        unquote(k): unquote(v)
        for k, _, v in (p.partition("=") for p in environ.get("QUERY_STRING", "").split("&") if p)
    }
    if not hmac.compare_digest(query.get("AWSAccessKeyId", ""), credentials.access_key_id):
        return Failure("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
    try:
        expires = int(query.get("Expires", ""))
    except ValueError:
        return Failure("AccessDenied", "The presigned URL's Expires is not a time.")
    if now.timestamp() > expires:
        return Failure("AccessDenied", "Request has expired")
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or quote(environ.get("PATH_INFO", "/"))
    split = urlsplit(raw)
    resource = HmacV1Auth(BotoCredentials(credentials.access_key_id, "")).canonical_resource(
        split, auth_path=split.path
    )
    amz = "".join(
        f"{k[5:].lower().replace('_', '-')}:{' '.join(str(v).split())}\n"
        for k, v in sorted(environ.items())
        if k.startswith("HTTP_X_AMZ_")
    )
    method = environ.get("REQUEST_METHOD", "GET").upper()
    content = f"{_header(environ, 'content-md5')}\n{_header(environ, 'content-type')}"
    to_sign = f"{method}\n{content}\n{expires}\n{amz}{resource}"
    expected = base64.b64encode(
        hmac.new(credentials.secret_access_key.encode(), to_sign.encode(), hashlib.sha1).digest()
    )
    if not hmac.compare_digest(expected.decode(), query.get("Signature", "")):
        return _MISMATCH
    return None


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = f"AWS4{secret}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _parse(environ: dict[str, Any]) -> _Signed | Failure:
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    if authorization:
        algorithm, _, rest = authorization.partition(" ")
        if algorithm != ALGORITHM:
            return Failure("InvalidRequest", f"Only {ALGORITHM} (Signature Version 4) is accepted.", 400)
        parts = dict(p.strip().partition("=")[::2] for p in rest.split(","))
        credential, headers, signature = parts.get("Credential"), parts.get("SignedHeaders"), parts.get("Signature")
        amz_date = environ.get("HTTP_X_AMZ_DATE", "")
        presigned, expires = False, None
    else:
        query = dict(p.partition("=")[::2] for p in environ.get("QUERY_STRING", "").split("&") if p)
        query = {unquote(k).lower(): unquote(v) for k, v in query.items()}
        if query.get("x-amz-algorithm") != ALGORITHM:
            return Failure("AccessDenied", f"Only {ALGORITHM} (Signature Version 4) presigned URLs are accepted.")
        credential, headers = query.get("x-amz-credential"), query.get("x-amz-signedheaders")
        signature, amz_date = query.get("x-amz-signature"), query.get("x-amz-date", "")
        presigned = True
        try:
            expires = int(query.get("x-amz-expires", ""))
        except ValueError:
            return Failure("AuthorizationQueryParametersError", "X-Amz-Expires must be a number of seconds.", 400)
    scope = (credential or "").split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or not headers or not signature:
        return Failure("AuthorizationHeaderMalformed", "The authorization header or query is malformed.", 400)
    names = headers.lower().split(";")
    if "host" not in names:
        return Failure("AccessDenied", "The signature must cover the Host header.")
    return _Signed(scope[0], (scope[1], scope[2], scope[3]), amz_date, names, signature, presigned, expires)


def _payload_hash(environ: dict[str, Any], body: bytes, signed: _Signed) -> str | None:
    """What the signature covers of the body; None if a declared hash is not the body's."""
    declared = environ.get("HTTP_X_AMZ_CONTENT_SHA256")
    if declared is None:
        # A presigned URL never covers a body; a header-signed request of a service other than S3 always does.
        return UNSIGNED_PAYLOAD if signed.presigned else hashlib.sha256(body).hexdigest()
    if len(declared) == 64 and declared != hashlib.sha256(body).hexdigest():
        return None
    return str(declared)  # a hash that matches, UNSIGNED-PAYLOAD, or a streaming (aws-chunked) marker


def _canonical_uri(environ: dict[str, Any], service: str) -> str:
    path = urlsplit(_raw_uri(environ)).path or "/"
    # S3 signs the path as sent; every other service signs it encoded once more.
    return path if service == "s3" else quote(path, safe="/~")


def _raw_uri(environ: dict[str, Any]) -> str:
    """The path and query as sent (PATH_INFO is decoded; a signature covers the encoded form)."""
    return str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or quote(environ.get("PATH_INFO", "/")))


def _canonical_query(query: str, drop_signature: bool) -> str:
    pairs = []
    for item in query.split("&"):
        if not item:
            continue
        key, _, value = item.partition("=")
        key, value = quote(unquote(key), safe="-_.~"), quote(unquote(value), safe="-_.~")
        if drop_signature and key.lower() == "x-amz-signature":
            continue
        pairs.append((key, value))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def _header(environ: dict[str, Any], name: str) -> str:
    key = {"content-type": "CONTENT_TYPE", "content-length": "CONTENT_LENGTH"}.get(name)
    value = environ.get(key or "HTTP_" + name.upper().replace("-", "_"), "")
    return " ".join(str(value).split())
