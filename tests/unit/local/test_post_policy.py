"""S3 form uploads (presigned POST) are checked as S3 checks them: signature, expiry, every condition."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config

from ytcaption.local.post_policy import check

SECRET = "local"
BUCKET = "ytcaption-media"
KEY = "uploads/acme/0123/talk.mp3"


def _ticket(signature_version: str, expires: int = 600) -> dict[str, str]:
    s3 = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="local", aws_secret_access_key=SECRET,
        endpoint_url="http://127.0.0.1:9", config=Config(signature_version=signature_version),
    )  # fmt: skip
    post: dict[str, Any] = s3.generate_presigned_post(
        Bucket=BUCKET, Key=KEY, Fields={"Content-Type": "audio/mpeg"},
        Conditions=[["content-length-range", 1, 1000], {"Content-Type": "audio/mpeg"}], ExpiresIn=expires,
    )  # fmt: skip
    return dict(post["fields"])


@pytest.fixture(params=["s3", "s3v4"])
def fields(request: pytest.FixtureRequest) -> dict[str, str]:
    return _ticket(request.param)


def test_the_form_as_issued_is_accepted(fields: dict[str, str]) -> None:
    assert check(fields, BUCKET, 500, SECRET) is None


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"key": "uploads/globex/0123/talk.mp3"}, 403, "AccessDenied"),  # another tenant's prefix
        ({"key": "results/job-1/transcript.txt"}, 403, "AccessDenied"),  # outside uploads/
        ({"Content-Type": "text/html"}, 403, "AccessDenied"),
        ({"x-extra": "1"}, 403, "AccessDenied"),  # a field no condition covers
    ],
)
def test_a_tampered_form_is_refused(fields: dict[str, str], change: dict[str, str], status: int, code: str) -> None:
    refusal = check({**fields, **change}, BUCKET, 500, SECRET)
    assert refusal is not None and (refusal.status, refusal.code) == (status, code)


def test_sizes_outside_the_range_are_refused(fields: dict[str, str]) -> None:
    too_big = check(fields, BUCKET, 1001, SECRET)
    empty = check(fields, BUCKET, 0, SECRET)
    assert too_big is not None and too_big.code == "EntityTooLarge"
    assert empty is not None and empty.code == "EntityTooSmall"


def test_forged_signatures_other_buckets_and_expired_forms_are_refused(fields: dict[str, str]) -> None:
    assert check(fields, BUCKET, 500, "another-secret") is not None
    assert check(fields, "another-bucket", 500, SECRET) is not None
    later = datetime.now(UTC) + timedelta(hours=2)
    expired = check(fields, BUCKET, 500, SECRET, now=later)
    assert expired is not None and "expired" in expired.message
    no_policy = {k: v for k, v in fields.items() if k != "policy"}
    assert check(no_policy, BUCKET, 500, SECRET) is not None
