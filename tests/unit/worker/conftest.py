"""The worker's unit tests that need an AWS API: moto in-process behind the project's own client factory."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture
def in_process_aws() -> Iterator[None]:
    """A real AWS API (moto, in-process) for the project's clients: no endpoint of the local runtime,
    test credentials, the client caches emptied before and after."""
    moto = pytest.importorskip("moto", reason="the `local` extra (moto) is not installed")
    from ytcaption.settings import get_settings
    from ytcaption.store import aws

    caches = (get_settings, aws.client, aws.brief_client, aws.resource)
    saved = dict(os.environ)
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    for key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL") or k in {"AWS_PROFILE", "AWS_REGION"}]:
        del os.environ[key]
    for cached in caches:
        cached.cache_clear()
    try:
        with moto.mock_aws():
            yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        for cached in caches:
            cached.cache_clear()
