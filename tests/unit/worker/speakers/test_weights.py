"""The encoder's weights read without torch; nothing but tensors may load."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from ytcaption.domain.errors import ErrorCode, YtcError
from ytcaption.worker.speakers import weights
from ytcaption.worker.speakers.features import SAMPLE_RATE, mel_filters, mel_frames


def test_resemblyzer_checkpoint_reads_into_numpy() -> None:
    state = weights.load()
    assert state["lstm.weight_ih_l0"].shape == (1024, 40)
    assert state["lstm.weight_hh_l2"].shape == (1024, 256)
    assert state["linear.weight"].shape == (256, 256)
    assert all(v.dtype == np.float32 and np.isfinite(v).all() for v in state.values())
    # Distinct storages, not one array seen many times.
    assert not np.allclose(state["lstm.bias_ih_l0"], state["lstm.bias_ih_l1"])


def test_a_checkpoint_with_other_globals_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.pt"
    with path.open("wb") as f:
        for header in (weights._MAGIC, 1001, {}):
            pickle.dump(header, f, protocol=2)
        pickle.dump({"model_state": print}, f, protocol=2)  # any callable: builtins.print
    with pytest.raises(pickle.UnpicklingError, match="not allowed"):
        weights.read_legacy_checkpoint(path)


def test_missing_weights_are_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(weights.WEIGHTS_ENV, str(tmp_path / "absent.pt"))
    assert not weights.available()
    with pytest.raises(YtcError) as missing:
        weights.load()
    assert missing.value.code == ErrorCode.MODEL_UNAVAILABLE and "--no-deps resemblyzer" in missing.value.reason


def test_mel_frames_put_a_tone_in_its_channel() -> None:
    filters = mel_filters()
    assert filters.shape == (40, 201) and (filters >= 0).all()
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    frames = mel_frames(np.sin(2 * np.pi * 1000 * t).astype(np.float32))
    assert frames.shape == (101, 40)
    peak = int(np.argmax(frames[50]))
    centre_hz = np.argmax(filters[peak]) * SAMPLE_RATE / 400
    assert abs(centre_hz - 1000) < 120
