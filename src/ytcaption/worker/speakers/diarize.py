"""Audio in, speaker per moment out: regions, windows, embeddings, clusters."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from ytcaption.domain.speakers import SpeakerSetting, bounds
from ytcaption.worker.speakers.cluster import agglomerate
from ytcaption.worker.speakers.encoder import Encoder
from ytcaption.worker.speakers.features import HOP, SAMPLE_RATE, mel_frames, normalize_volume
from ytcaption.worker.speakers.regions import Window, speech_regions, windows

BATCH = 32  # windows per LSTM pass: ~45 MB of numpy at a time


@dataclass
class Diarization:
    """Each window with its speaker index; answers "who spoke at t"."""

    windows: list[Window]
    labels: np.ndarray
    count: int

    def speaker_at(self, time: float) -> int | None:
        if not self.windows:
            return None
        frame = time * SAMPLE_RATE / HOP
        votes: dict[int, float] = {}
        for window, label in zip(self.windows, self.labels, strict=True):
            if window.start <= frame <= window.end:
                half = (window.end - window.start) / 2
                # A window speaks most for its middle: its edges may hold the neighbour's voice.
                weight = 1.0 - abs(frame - (window.start + half)) / (half + 1)
                votes[int(label)] = votes.get(int(label), 0.0) + weight
        if votes:
            return max(votes, key=lambda k: votes[k])
        nearest = min(range(len(self.windows)), key=lambda i: _distance(self.windows[i], frame))
        return int(self.labels[nearest])


def _distance(window: Window, frame: float) -> float:
    return max(window.start - frame, frame - window.end, 0.0)


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


def diarize(audio: np.ndarray, setting: SpeakerSetting, encoder: Encoder | None = None) -> Diarization:
    """`audio`: 16 kHz mono float32."""
    spans = windows(speech_regions(audio))
    if not spans:
        return Diarization([], np.zeros(0, np.int64), 0)
    mels = mel_frames(normalize_volume(audio))
    embeddings = embed_windows(encoder or shared_encoder(), mels, spans)
    count, low, high = bounds(setting)
    labels = agglomerate(embeddings, count=count, min_count=low, max_count=high)
    return Diarization(spans, labels, int(labels.max()) + 1)
