"""The transcript: what Whisper heard, with timestamps."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Word(BaseModel):
    start: float
    end: float
    word: str
    probability: float


class Segment(BaseModel):
    id: int
    start: float
    end: float
    text: str
    words: list[Word] | None = None
    avg_logprob: float | None = None
    no_speech_prob: float | None = None


class Timings(BaseModel):
    audio_seconds: float
    processing_seconds: float
    model_load_seconds: float = 0.0

    @property
    def real_time_factor(self) -> float:
        return self.processing_seconds / self.audio_seconds if self.audio_seconds else 0.0


class Transcript(BaseModel):
    language: str
    language_probability: float
    duration: float
    model: str
    task: Literal["transcribe", "translate"] = "transcribe"
    origin: Literal["whisper", "captions"] = "whisper"
    segments: list[Segment] = Field(default_factory=list)
    timings: Timings | None = None

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())
