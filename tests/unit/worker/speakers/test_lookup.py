"""Who spoke at a time: the bisection look-up answers as a scan of every window does."""

from __future__ import annotations

import numpy as np

from ytcaption.worker.speakers.diarize import FRAME_SECONDS, Diarization


def _scan(d: Diarization, time: float) -> int | None:
    """Every window looked at for the one time: the definition the look-up must keep."""
    votes: dict[int, float] = {}
    for start, end, label in zip(d.starts, d.ends, d.labels, strict=True):
        if start <= time <= end:
            half = (end - start) / 2
            votes[int(label)] = votes.get(int(label), 0.0) + 1.0 - abs(time - (start + half)) / (half + FRAME_SECONDS)
    if votes:
        return max(votes, key=lambda k: votes[k])
    if not len(d.starts):
        return None
    distance = np.maximum(np.maximum(d.starts - time, time - d.ends), 0.0)
    return int(d.labels[int(np.argmin(distance))])


def _windows(seed: int) -> Diarization:
    """Speech regions cut into windows as regions.windows cuts them (1.6 s, the last one overlapping),
    with pauses between regions, some of them several seconds long; three speakers."""
    rng = np.random.default_rng(seed)
    starts, ends, labels, clock = [], [], [], 0.0
    for _ in range(60):
        clock += rng.uniform(0.05, 4.0)
        length = rng.uniform(0.3, 6.0)
        speaker = int(rng.integers(3))
        cuts = list(np.arange(clock, clock + length - 1.6, 1.6)) or [clock]
        for at in cuts:
            starts.append(at)
            ends.append(min(at + 1.6, clock + length))
            labels.append(speaker)
        if ends[-1] < clock + length:
            starts.append(clock + length - 1.6)
            ends.append(clock + length)
            labels.append(speaker)
        clock += length
    order = rng.permutation(len(starts))  # the look-up must not rely on the windows' order
    return Diarization(np.array(starts)[order], np.array(ends)[order], np.array(labels)[order], 3)


def test_every_time_gets_the_speaker_a_full_scan_gives() -> None:
    for seed in range(3):
        d = _windows(seed)
        times = np.random.default_rng(seed + 10).uniform(-2.0, float(d.ends.max()) + 3.0, 800).tolist()
        assert d.speakers_at(times) == [_scan(d, t) for t in times]


def test_no_windows_no_speaker() -> None:
    empty = Diarization(np.zeros(0), np.zeros(0), np.zeros(0, np.int64), 0)
    assert empty.speakers_at([0.0, 5.0]) == [None, None]
