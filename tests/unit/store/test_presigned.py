"""Presigned uploads and downloads sign with SigV4 on the bucket's regional endpoint: a new bucket
outside us-east-1 answers the global endpoint with a 307 for up to a day, which a browser's CORS
preflight cannot follow, and SigV2 names no region at all. Presigning is local (no call to AWS)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from ytcaption.settings import get_settings
from ytcaption.store import aws
from ytcaption.store.media import MediaStore

BUCKET = "ytcaption-media-123456789012"


@pytest.fixture
def region(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[str]:
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    name = str(request.param)
    monkeypatch.setenv("AWS_REGION", name)
    # A Lambda's credentials: temporary, with a session token.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIAEXAMPLEEXAMPLE00")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token")
    get_settings.cache_clear()
    aws.client.cache_clear()
    yield name
    get_settings.cache_clear()
    aws.client.cache_clear()


@pytest.mark.parametrize("region", ["eu-central-1", "ap-southeast-2", "us-east-1"], indirect=True)
def test_a_presigned_download_is_sigv4_on_the_regional_endpoint(region: str) -> None:
    url = urlsplit(MediaStore(BUCKET).link("results/job-1/transcript.srt", expires_in=600))
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert url.scheme == "https" and url.hostname == f"{BUCKET}.s3.{region}.amazonaws.com"
    assert url.path == "/results/job-1/transcript.srt"
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query["X-Amz-Credential"].split("/")[2:4] == [region, "s3"]
    assert query["X-Amz-Expires"] == "600" and query["X-Amz-Security-Token"] == "token"
    assert "Signature" not in query and "AWSAccessKeyId" not in query


@pytest.mark.parametrize("region", ["eu-central-1", "us-east-1"], indirect=True)
def test_a_presigned_upload_is_sigv4_on_the_regional_endpoint(region: str) -> None:
    url, fields = MediaStore(BUCKET).presigned_post("uploads/t/u/a.mp3", 1000, "audio/mpeg", expires_in=600)
    assert url == f"https://{BUCKET}.s3.{region}.amazonaws.com/"
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert fields["x-amz-credential"].split("/")[2:4] == [region, "s3"]
    assert {"x-amz-signature", "x-amz-date", "policy", "x-amz-security-token"} <= set(fields)
    assert "signature" not in fields and "AWSAccessKeyId" not in fields


@pytest.mark.parametrize("region", ["eu-west-1"], indirect=True)
def test_against_an_endpoint_of_our_own_the_bucket_goes_in_the_path(
    region: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://localhost:4566")
    aws.client.cache_clear()
    url = urlsplit(MediaStore(BUCKET).link("k", expires_in=60))
    assert (url.netloc, url.path) == ("localhost:4566", f"/{BUCKET}/k")
    assert parse_qs(url.query)["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
