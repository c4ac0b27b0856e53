"""Find the silences of a file by energy, decoding it once as a stream (16 kHz mono, 30 ms frames).

Energy is measured against the file's own levels: a frame is silent when it is
much quieter than the loud part of the file (speech), whatever the recording's
gain. Only runs of silent frames at least `min_silence` long count.

No numpy: this runs in FetchAudio, whose Lambda layers (dependencies + yt-dlp's JavaScript
runtime) must stay under Lambda's 250 MB; the sums of squares run in C through `map`.
"""

from __future__ import annotations

import math
import operator
from array import array
from collections.abc import Sequence
from pathlib import Path

import av

from ytcaption.domain.chunks import Silence

RATE = 16000
FRAME = 480  # 30 ms
_FULL_SCALE = 32768.0**2


def frame_levels(path: Path) -> list[float]:
    """The level of each 30 ms frame of the first audio stream, in dB (full scale = 0)."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    levels: list[float] = []
    carry = array("h")
    with av.open(str(path), metadata_errors="ignore") as container:
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                samples = array("h", bytes(out.planes[0])[: out.samples * 2])
                carry.extend(samples)
                whole = len(carry) // FRAME * FRAME
                for start in range(0, whole, FRAME):
                    window = carry[start : start + FRAME]
                    energy = sum(map(operator.mul, window, window)) / FRAME / _FULL_SCALE
                    levels.append(10 * math.log10(energy + 1e-10))
                del carry[:whole]
    return levels


def _percentile(ordered: Sequence[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def silences(levels: Sequence[float], min_silence: float) -> list[Silence]:
    """Runs of frames well below the file's speech level."""
    if len(levels) == 0:
        return []
    ordered = sorted(levels)
    floor, loud = _percentile(ordered, 5), _percentile(ordered, 95)
    threshold = max(floor + 6.0, loud - 35.0) if loud - floor > 12 else floor + 3.0
    frame_seconds = FRAME / RATE
    found: list[Silence] = []
    start: int | None = None
    for index, level in enumerate([*levels, math.inf]):
        silent = level < threshold
        if silent and start is None:
            start = index
        elif not silent and start is not None:
            if (index - start) * frame_seconds >= min_silence:
                found.append((round(start * frame_seconds, 3), round(index * frame_seconds, 3)))
            start = None
    return found


def find_silences(path: Path, min_silence: float) -> list[Silence]:
    return silences(frame_levels(path), min_silence)
