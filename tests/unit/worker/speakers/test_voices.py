"""A chunk's voices: stored as float16 JSON and read back, moved into the file's time, kept where owned."""

from __future__ import annotations

import json

import numpy as np

from ytcaption.worker.speakers.voices import DIMENSIONS, Voices


def _voices(n: int, seed: int = 0) -> Voices:
    rng = np.random.default_rng(seed)
    rows = rng.standard_normal((n, DIMENSIONS)).astype(np.float32)
    starts = np.arange(n) * 1.6
    return Voices(starts, starts + 1.6, rows / np.linalg.norm(rows, axis=1, keepdims=True))


def test_json_round_trip_keeps_windows_and_similarities() -> None:
    voices = _voices(40)
    text = voices.to_json()
    assert len(text) < 40 * 800  # float16 in base64: ~0.7 KB a window
    back = Voices.from_json(text)
    assert np.allclose(back.starts, voices.starts) and np.allclose(back.ends, voices.ends)
    assert np.abs(back.embeddings @ back.embeddings.T - voices.embeddings @ voices.embeddings.T).max() < 2e-3
    assert len(Voices.from_json(Voices.empty().to_json())) == 0


def test_another_version_is_refused() -> None:
    document = json.loads(_voices(2).to_json())
    document["version"] = 99
    try:
        Voices.from_json(json.dumps(document))
    except ValueError:
        return
    raise AssertionError("a document of another version was read")


def test_shifted_and_owned_windows() -> None:
    voices = _voices(10).shifted(100.0)
    assert voices.starts[0] == 100.0
    # A window belongs where its middle lies (100.8, 102.4, 104.0, ...), cuts at 103 and 106; the last
    # chunk keeps what runs past its end.
    first, middle, last = voices.within(0, 103), voices.within(103, 106), voices.within(106, 110, last=True)
    assert np.allclose(first.starts, [100.0, 101.6]) and np.allclose(middle.starts, [103.2, 104.8])
    assert len(last) == 6 and len(voices.within(106, 110)) == 2
    joined = Voices.joined([first, middle, last])
    assert np.array_equal(joined.starts, voices.starts)
