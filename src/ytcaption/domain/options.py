"""A job's options: what the client asked for; validated at the edge, carried to the worker."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ytcaption.domain.captions.rules import SubtitleSettings
from ytcaption.domain.speakers import SpeakerSetting
from ytcaption.domain.vocabulary import EmailAddress, LanguageCode, ModelName, Priority, Task

# Whisper reads at most 223 tokens of prompt (half its 448-token context); 600 characters stay within
# that for ordinary words and names.
PROMPT_MAX_CHARS = 600


def prompt_text(value: Any) -> Any:
    """A prompt as Whisper gets it: plain text, runs of whitespace as one space; an empty one is None."""
    if isinstance(value, str):
        value = " ".join(value.split())
        if any(not ch.isprintable() for ch in value):
            raise ValueError("the prompt must be plain text: no control characters")
        return value or None
    return value


class JobOptions(BaseModel):
    """What the client asked for; validated at the edge, carried to the worker."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: ModelName = "tiny.en"
    language: LanguageCode | None = Field(default=None, description="ISO code; None detects it")
    task: Task = "transcribe"
    word_timestamps: bool = Field(default=False, description="words with their times in the JSON")
    subtitles: SubtitleSettings | None = Field(default=None, description="subtitle reading rules over the defaults")
    vad: bool = True
    beam_size: int = Field(default=5, ge=1, le=10)
    prefer_captions: bool = Field(default=False, description="use the video's own subtitles when it has them")
    priority: Priority = "normal"
    webhook_url: str | None = Field(default=None, description="called with the job's terminal event")
    notify_progress: bool = Field(default=False, description="also send progress events to the webhook (each 10 %)")
    notify_email: EmailAddress | None = Field(default=None, description="emailed when the job completes or fails")
    prompt: str | None = Field(
        default=None,
        max_length=PROMPT_MAX_CHARS,
        description="vocabulary hints (names, jargon): Whisper's initial prompt and hotwords, for every chunk",
    )
    speakers: SpeakerSetting | None = Field(
        default=None,
        description='label who spoke: "auto", an exact count, or {"min": n, "max": m}; off when absent',
    )

    @field_validator("prompt", mode="before")
    @classmethod
    def _prompt_is_plain_text(cls, value: Any) -> Any:
        return prompt_text(value)

    @field_validator("language", mode="before")
    @classmethod
    def _auto_is_none(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in {"", "auto"}:
            return None
        return value
