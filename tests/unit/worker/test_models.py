"""Model references that cannot be served are clear errors (no model is loaded)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ytcaption.domain.errors import ErrorCode, YtcError
from ytcaption.worker.models import resolve


def test_unavailable_models_are_clear_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for name, words in (("small", "could not be downloaded"), (str(tmp_path / "nothing-here"), "does not hold")):
        with pytest.raises(YtcError) as missing:
            resolve(name, tmp_path)
        assert missing.value.code == ErrorCode.MODEL_UNAVAILABLE and words in missing.value.reason
