"""The transcript: what Whisper heard, with timestamps."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Word(BaseModel):
    start: float
    end: float
    word: str
    probability: float
    speaker: str | None = None


class Segment(BaseModel):
    id: int
    start: float
    end: float
    text: str
    words: list[Word] | None = None
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    speaker: str | None = None


class Timings(BaseModel):
    audio_seconds: float
    processing_seconds: float
    model_load_seconds: float = 0.0
    diarization_seconds: float | None = None

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
    # Names given to speaker labels ("Speaker 1" -> "Alice"); renderers show the name, the label stays.
    speaker_names: dict[str, str] | None = None

    def speaker_name(self, label: str | None) -> str | None:
        if label is None:
            return None
        return (self.speaker_names or {}).get(label, label)

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())
