"""What the browser tests share beside their fixtures (tests/e2e/conftest.py): signing in, and where
screenshots go."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from tests import paths

# The committed screenshots (docs/images, shown by the README and docs/use/web.md) are refreshed on
# request (UPDATE_SCREENSHOTS=1 make test); otherwise a run takes them into a temporary folder and
# leaves the working tree clean.
SCREENSHOTS = (
    paths.ROOT / "docs" / "images"
    if os.environ.get("UPDATE_SCREENSHOTS")
    else Path(tempfile.mkdtemp(prefix="ytcaption-screenshots-"))
)


def sign_in(page: Any, key: str) -> None:
    page.fill("#api-key", key)
    page.get_by_role("button", name="Sign in").click()
