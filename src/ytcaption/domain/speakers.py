"""Who spoke: the `speakers` option of a job, and speaker labels on a transcript.

`speakers` is off (None), `"auto"` (the engine estimates how many), an exact
count, or a range `{"min": 2, "max": 4}`. Labels are "Speaker 1", "Speaker 2"…
in order of first appearance; a job's names map labels to what users call them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_SPEAKERS = 20


class SpeakerRange(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min: int = Field(default=1, ge=1, le=MAX_SPEAKERS)
    max: int = Field(default=MAX_SPEAKERS, ge=1, le=MAX_SPEAKERS)

    @model_validator(mode="after")
    def _ordered(self) -> SpeakerRange:
        if self.min > self.max:
            raise ValueError("speakers.min must not be greater than speakers.max")
        return self


# Strict: `true` is not a count.
SpeakerSetting = Literal["auto"] | Annotated[int, Field(strict=True, ge=1, le=MAX_SPEAKERS)] | SpeakerRange


def parse_setting(text: str) -> SpeakerSetting:
    """The command line's form: "auto", "3", or "2-4" (a range)."""
    text = text.strip().lower()
    if text == "auto":
        return "auto"
    low, dash, high = text.partition("-")
    try:
        if dash:
            return SpeakerRange(min=int(low), max=int(high))
        count = int(text)
    except ValueError as exc:
        raise ValueError(f"speakers: 'auto', a count, or a range like 2-4, not {text!r}") from exc
    if not 1 <= count <= MAX_SPEAKERS:
        raise ValueError(f"speakers: a count from 1 to {MAX_SPEAKERS}")
    return count


def bounds(setting: SpeakerSetting) -> tuple[int | None, int, int | None]:
    """(exact count, min, max) for the clustering."""
    if isinstance(setting, SpeakerRange):
        return None, setting.min, setting.max
    if isinstance(setting, int):
        return setting, setting, setting
    return None, 1, None


def label(index: int) -> str:
    return f"Speaker {index + 1}"
