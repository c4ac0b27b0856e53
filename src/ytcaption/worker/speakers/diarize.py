"""Audio in, speaker per moment out: regions, windows, embeddings (voices), clusters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from ytcaption.domain.speakers import SpeakerSetting, bounds
from ytcaption.worker.speakers.cluster import agglomerate, agglomerate_in_groups
from ytcaption.worker.speakers.encoder import Encoder
from ytcaption.worker.speakers.features import HOP, SAMPLE_RATE, mel_frames, normalize_volume
from ytcaption.worker.speakers.regions import Window, speech_regions, windows
from ytcaption.worker.speakers.voices import Voices

BATCH = 32  # windows per LSTM pass: ~45 MB of numpy at a time
FRAME_SECONDS = HOP / SAMPLE_RATE


@dataclass
class Diarization:
    """Each window (seconds) with its speaker index; answers "who spoke at t"."""

    starts: np.ndarray
    ends: np.ndarray
    labels: np.ndarray
    count: int

    def speakers_at(self, times: Sequence[float]) -> list[int | None]:
        """The speaker heard at each time: the windows covering it vote, each most for its middle (its
        edges may hold the neighbour's voice); a time no window covers takes the nearest window's.

        Windows sorted by start and found by bisection: (windows + times) x log(windows), not
        windows x times (an hour's 2,000 windows and 10,000 words were 20 million steps)."""
        if not len(self.starts):
            return [None] * len(times)
        order = np.argsort(self.starts, kind="stable")
        starts, ends, labels = self.starts[order], self.ends[order], self.labels[order]
        longest = float((ends - starts).max())
        at = np.asarray(times, np.float64)
        # A window covering t starts within `longest` before it: only those are looked at.
        first = np.searchsorted(starts, at - longest, side="left")
        after = np.searchsorted(starts, at, side="right")
        # For a time between windows: the one ending last before it (a running argmax of the ends).
        latest = np.zeros(len(ends), np.int64)
        for i in range(1, len(ends)):
            latest[i] = i if ends[i] >= ends[latest[i - 1]] else latest[i - 1]
        out: list[int | None] = []
        for time, lo, hi in zip(at.tolist(), first.tolist(), after.tolist(), strict=True):
            votes: dict[int, float] = {}
            for j in range(lo, hi):
                if ends[j] >= time:
                    half = (ends[j] - starts[j]) / 2
                    weight = 1.0 - abs(time - (starts[j] + half)) / (half + FRAME_SECONDS)
                    votes[int(labels[j])] = votes.get(int(labels[j]), 0.0) + weight
            if votes:
                out.append(max(votes, key=lambda k: votes[k]))
                continue
            before = int(latest[hi - 1]) if hi > 0 else None
            following = hi if hi < len(starts) else None
            if following is None or (before is not None and time - ends[before] <= starts[following] - time):
                assert before is not None
                out.append(int(labels[before]))
            else:
                out.append(int(labels[following]))
        return out


def embed_windows(encoder: Encoder, mels: np.ndarray, spans: list[Window]) -> np.ndarray:
    out = np.zeros((len(spans), 256), np.float32)
    # Longest first, so each batch pads its windows to about their own length.
    order = sorted(range(len(spans)), key=lambda i: spans[i].start - spans[i].end)
    for first in range(0, len(order), BATCH):
        batch = order[first : first + BATCH]
        lengths = np.array([spans[i].end - spans[i].start for i in batch])
        stack = np.stack([_frames(mels, spans[i].start, int(lengths.max())) for i in batch])
        out[batch] = encoder.embed(stack, lengths)
    return out


def _frames(mels: np.ndarray, start: int, length: int) -> np.ndarray:
    piece = mels[start : start + length]
    if len(piece) < length:
        piece = np.pad(piece, ((0, length - len(piece)), (0, 0)))
    return piece


@cache
def shared_encoder() -> Encoder:
    """Weights read once per worker process (0.3 s, ~6 MB), not once per job."""
    return Encoder()


def hear(audio: np.ndarray, encoder: Encoder | None = None) -> Voices:
    """The voices of `audio` (16 kHz mono float32), in its own time: one embedding per speech window."""
    spans = windows(speech_regions(audio))
    if not spans:
        return Voices.empty()
    mels = mel_frames(normalize_volume(audio))
    embeddings = embed_windows(encoder or shared_encoder(), mels, spans)
    starts = np.array([w.start * FRAME_SECONDS for w in spans])
    ends = np.array([w.end * FRAME_SECONDS for w in spans])
    return Voices(starts, ends, embeddings)


def cluster(voices: Voices, setting: SpeakerSetting, groups: Sequence[np.ndarray] | None = None) -> Diarization:
    """Speakers for the voices; `groups` (index arrays, e.g. one per chunk of a long file) are first
    reduced on their own (cluster.agglomerate_in_groups), so a long job's clustering stays small."""
    if not len(voices):
        return Diarization(voices.starts, voices.ends, np.zeros(0, np.int64), 0)
    count, low, high = bounds(setting)
    if groups is None:
        labels = agglomerate(voices.embeddings, count=count, min_count=low, max_count=high)
    else:
        labels = agglomerate_in_groups(voices.embeddings, groups, count=count, min_count=low, max_count=high)
    return Diarization(voices.starts, voices.ends, labels, int(labels.max()) + 1)


def diarize(audio: np.ndarray, setting: SpeakerSetting, encoder: Encoder | None = None) -> Diarization:
    """`audio`: 16 kHz mono float32."""
    return cluster(hear(audio, encoder), setting)
