"""The emulator's signature check (ytcaption.local.sigv4) against requests botocore itself signs:
what the runtime's own clients send passes; another secret, a changed request, an expired or
swapped presigned URL does not."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials as BotoCredentials

from ytcaption.local.sigv4 import Credentials, verify

RUNTIME = Credentials("local", "0123456789abcdef0123456789abcdef01234567")
ENDPOINT = "http://127.0.0.1:4566"


def _environ(method: str, url: str, headers: dict[str, str], body: bytes = b"") -> dict[str, Any]:
    parts = urlsplit(url)
    raw = parts.path + (f"?{parts.query}" if parts.query else "")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": parts.path,
        "RAW_URI": raw,
        "QUERY_STRING": parts.query,
        "wsgi.input": io.BytesIO(body),
        "HTTP_HOST": parts.netloc,
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        environ[key if key in {"CONTENT_TYPE", "CONTENT_LENGTH"} else f"HTTP_{key}"] = value
    return environ


def _signed(method: str, url: str, service: str, secret: str, body: bytes = b"", **headers: str) -> dict[str, Any]:
    request = AWSRequest(method=method, url=url, data=body, headers=headers)
    auth = S3SigV4Auth if service == "s3" else SigV4Auth
    auth(BotoCredentials("local", secret), service, "us-east-1").add_auth(request)
    return _environ(method, url, dict(request.headers.items()), body)


def _s3(secret: str = RUNTIME.secret_access_key) -> Any:
    return boto3.client(
        "s3", endpoint_url=ENDPOINT, region_name="us-east-1", aws_access_key_id="local",
        aws_secret_access_key=secret, config=Config(signature_version="s3v4"),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("method", "url", "service", "body"),
    [
        ("GET", f"{ENDPOINT}/ytcaption-media?list-type=2&prefix=uploads%2Facme%2F", "s3", b""),
        ("PUT", f"{ENDPOINT}/ytcaption-media/results/j%C3%A9/transcript.txt", "s3", b"hello"),
        ("POST", f"{ENDPOINT}/", "dynamodb", b'{"TableName": "ytcaption-jobs"}'),
        (
            "POST",
            f"{ENDPOINT}/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Aapi/invocations",
            "lambda",
            b"{}",
        ),
    ],
)
def test_requests_signed_with_the_runtimes_secret_pass(method: str, url: str, service: str, body: bytes) -> None:
    headers = {"X-Amz-Content-SHA256": __import__("hashlib").sha256(body).hexdigest()} if service == "s3" else {}
    assert verify(_signed(method, url, service, RUNTIME.secret_access_key, body, **headers), body, RUNTIME) is None


def test_a_dummy_secret_or_a_changed_request_is_refused() -> None:
    url = f"{ENDPOINT}/"
    body = b'{"TableName": "ytcaption-jobs"}'
    dummy = verify(_signed("POST", url, "dynamodb", "local", body), body, RUNTIME)
    assert dummy is not None and dummy.code == "SignatureDoesNotMatch"
    environ = _signed("POST", url, "dynamodb", RUNTIME.secret_access_key, body)
    changed = verify(environ, b'{"TableName": "ytcaption-keys"}', RUNTIME)
    assert changed is not None and changed.code == "SignatureDoesNotMatch"


def test_a_presigned_get_passes_until_it_expires() -> None:
    url = _s3().generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "audio/j/audio.mp3"}, ExpiresIn=60)
    assert verify(_environ("GET", url, {"Host": "127.0.0.1:4566"}), b"", RUNTIME) is None
    later = datetime.now(UTC) + timedelta(seconds=120)
    expired = verify(_environ("GET", url, {"Host": "127.0.0.1:4566"}), b"", RUNTIME, now=later)
    assert expired is not None and expired.message == "Request has expired"


def test_a_presigned_get_with_its_path_swapped_is_refused() -> None:
    url = _s3().generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "audio/mine/audio.mp3"})
    swapped = url.replace("/audio/mine/", "/results/theirs/")
    refused = verify(_environ("GET", swapped, {"Host": "127.0.0.1:4566"}), b"", RUNTIME)
    assert refused is not None and refused.code == "SignatureDoesNotMatch"


def test_a_presigned_get_signed_with_a_dummy_secret_is_refused() -> None:
    url = _s3("local").generate_presigned_url("list_objects_v2", Params={"Bucket": "b"})
    refused = verify(_environ("GET", url, {"Host": "127.0.0.1:4566"}), b"", RUNTIME)
    assert refused is not None and refused.code == "SignatureDoesNotMatch"


def test_signature_version_2_presigned_links_are_checked_too() -> None:
    """boto3 presigns S3 GETs with Signature Version 2 unless told s3v4: those are checked the same way."""
    v2 = boto3.client(
        "s3", endpoint_url=ENDPOINT, region_name="us-east-1", aws_access_key_id="local",
        aws_secret_access_key=RUNTIME.secret_access_key,
    )  # fmt: skip
    params = {"Bucket": "b", "Key": "audio/j/é x+y.mp3", "ResponseContentType": "audio/mpeg"}
    url = v2.generate_presigned_url("get_object", Params=params, ExpiresIn=60)
    assert "Signature=" in url and "X-Amz-Signature" not in url
    host = [("Host", "127.0.0.1:4566")]
    assert verify(_environ("GET", url, dict(host)), b"", RUNTIME) is None
    swapped = verify(_environ("GET", url.replace("/audio/j/", "/results/k/"), dict(host)), b"", RUNTIME)
    assert swapped is not None and swapped.code == "SignatureDoesNotMatch"
    retyped = verify(_environ("GET", url.replace("audio%2Fmpeg", "text%2Fhtml"), dict(host)), b"", RUNTIME)
    assert retyped is not None and retyped.code == "SignatureDoesNotMatch"
    later = datetime.now(UTC) + timedelta(seconds=120)
    expired = verify(_environ("GET", url, dict(host)), b"", RUNTIME, now=later)
    assert expired is not None and expired.message == "Request has expired"
    dummy = boto3.client(
        "s3", endpoint_url=ENDPOINT, region_name="us-east-1", aws_access_key_id="local", aws_secret_access_key="local"
    )
    forged = verify(
        _environ("GET", dummy.generate_presigned_url("list_objects", Params={"Bucket": "b"}), dict(host)), b"", RUNTIME
    )
    assert forged is not None and forged.code == "SignatureDoesNotMatch"
