"""Unit tests are pure: keep Hypothesis' caches out of the working tree."""

from __future__ import annotations

import tempfile
from pathlib import Path

try:
    from hypothesis.configuration import set_hypothesis_home_dir
except ImportError:  # an older or newer Hypothesis: it then writes .hypothesis/ (which ignores itself)
    pass
else:
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "ytcaption-unit-hypothesis")
