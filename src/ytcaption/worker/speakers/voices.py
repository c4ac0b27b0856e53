"""What a stretch of audio sounds like, speaker-wise: its speech windows (in seconds) and one voice
embedding per window, before any clustering.

A chunk of a long file is heard by its own worker; the job's speakers are found once all chunks are in
(worker.speakers.long_audio.label_merged). In between the voices wait in S3 beside the chunk's transcript, as JSON
with the embeddings in float16 (base64): 256 numbers a window, about 0.7 KB (base64) per 1.6 s window.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import numpy as np

DIMENSIONS = 256
VERSION = 1


@dataclass(frozen=True)
class Voices:
    starts: np.ndarray  # seconds, float64, one per window
    ends: np.ndarray
    embeddings: np.ndarray  # (windows, DIMENSIONS), unit rows

    def __len__(self) -> int:
        return len(self.starts)

    @classmethod
    def empty(cls) -> Voices:
        return cls(np.zeros(0), np.zeros(0), np.zeros((0, DIMENSIONS), np.float32))

    def shifted(self, offset: float) -> Voices:
        """In the file's time, for voices heard in a chunk decoded from `offset`."""
        return Voices(self.starts + offset, self.ends + offset, self.embeddings)

    def within(self, start: float, end: float, last: bool = False) -> Voices:
        """The windows whose middle lies in [start, end) (or up to the end, for the last chunk): a
        chunk keeps what it owns, as its words are kept (domain.chunks.merge)."""
        middle = (self.starts + self.ends) / 2
        keep = (middle >= start) & ((middle < end) | last)
        return Voices(self.starts[keep], self.ends[keep], self.embeddings[keep])

    @classmethod
    def joined(cls, parts: list[Voices]) -> Voices:
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        return cls(
            np.concatenate([p.starts for p in parts]),
            np.concatenate([p.ends for p in parts]),
            np.concatenate([p.embeddings for p in parts]),
        )

    def to_json(self) -> str:
        packed = self.embeddings.astype("<f2").tobytes()
        return json.dumps(
            {
                "version": VERSION,
                "windows": np.round(np.stack([self.starts, self.ends], axis=1), 3).tolist(),
                "dimensions": DIMENSIONS,
                "embeddings_float16_base64": base64.b64encode(packed).decode("ascii"),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Voices:
        document = json.loads(text)
        if document.get("version") != VERSION or document.get("dimensions") != DIMENSIONS:
            raise ValueError("voices written by another version")
        windows = np.array(document["windows"], np.float64).reshape(-1, 2)
        raw = base64.b64decode(document["embeddings_float16_base64"])
        embeddings = np.frombuffer(raw, "<f2").astype(np.float32).reshape(len(windows), DIMENSIONS)
        # float16 keeps ~3 digits: unit length again, so cosine similarities stay what they were.
        norms = np.linalg.norm(embeddings, axis=1, keepdims=True)
        return cls(windows[:, 0].copy(), windows[:, 1].copy(), embeddings / np.maximum(norms, 1e-9))
