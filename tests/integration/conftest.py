"""Fixtures shared by the integration tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="module")
def base_url(runtime: Any) -> str:
    """Where the session runtime serves the HTTP API."""
    assert runtime.api_url, "the local runtime serves the API"
    return str(runtime.api_url)
