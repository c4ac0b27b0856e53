"""Where the speaker encoder's weights are, found without importing numpy or torch (the
API asks, to refuse a job for speakers where no worker could label them)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

WEIGHTS_ENV = "YTC_SPEAKER_WEIGHTS"


def installed_checkpoint() -> Path | None:
    """$YTC_SPEAKER_WEIGHTS, else `pretrained.pt` of an installed resemblyzer (found, never
    imported: it imports torch)."""
    override = os.environ.get(WEIGHTS_ENV)
    if override:
        return Path(override) if Path(override).is_file() else None
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "pretrained.pt"
    return path if path.is_file() else None


def available() -> bool:
    return installed_checkpoint() is not None
