"""Find the silences of a file by energy, decoding it once as a stream (16 kHz mono, 30 ms frames).

Energy is measured against the file's own levels: a frame is silent when it is
much quieter than the loud part of the file (speech), whatever the recording's
gain. Only runs of silent frames at least `min_silence` long count.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from ytcaption.domain.chunks import Silence

RATE = 16000
FRAME = 480  # 30 ms


def frame_levels(path: Path) -> np.ndarray:
    """The level of each 30 ms frame of the first audio stream, in dB (full scale = 0)."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    energies: list[np.ndarray] = []
    carry = np.zeros(0, dtype=np.float32)
    with av.open(str(path), metadata_errors="ignore") as container:
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                samples = out.to_ndarray().reshape(-1).astype(np.float32) / 32768.0
                samples = np.concatenate([carry, samples])
                whole = len(samples) // FRAME * FRAME
                if whole:
                    energies.append(np.mean(samples[:whole].reshape(-1, FRAME) ** 2, axis=1))
                carry = samples[whole:]
    if not energies:
        return np.zeros(0)
    return np.asarray(10 * np.log10(np.concatenate(energies) + 1e-10))


def silences(levels: np.ndarray, min_silence: float) -> list[Silence]:
    """Runs of frames well below the file's speech level."""
    if len(levels) == 0:
        return []
    floor, loud = float(np.percentile(levels, 5)), float(np.percentile(levels, 95))
    threshold = max(floor + 6.0, loud - 35.0) if loud - floor > 12 else floor + 3.0
    quiet = levels < threshold
    frame_seconds = FRAME / RATE
    found: list[Silence] = []
    start: int | None = None
    for index, silent in enumerate([*quiet.tolist(), False]):
        if silent and start is None:
            start = index
        elif not silent and start is not None:
            if (index - start) * frame_seconds >= min_silence:
                found.append((round(start * frame_seconds, 3), round(index * frame_seconds, 3)))
            start = None
    return found


def find_silences(path: Path, min_silence: float) -> list[Silence]:
    return silences(frame_levels(path), min_silence)
