"""The reading rules: broadcast defaults in one place, and the settings a job or a download may change.

Defaults are the BBC's and Netflix's timed-text values for adult viewers. Scripts written without
spaces between words (Chinese, Japanese, Thai...) are measured in characters and have their own line
length and reading speed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Languages whose script puts no spaces between words (Whisper's codes).
NO_SPACE_LANGUAGES = frozenset({"zh", "ja", "yue", "th", "lo", "km", "my", "bo"})


@dataclass(frozen=True)
class Rules:
    """Concrete values the shaper and the checker work to (no defaults left open)."""

    max_lines: int = 2
    # Netflix and the BBC: about 42 characters a line for Latin scripts.
    max_line_chars: int = 42
    # 5/6 s: shorter cues flash by before they are read.
    min_cue_seconds: float = 5 / 6
    max_cue_seconds: float = 7.0
    # 20 characters a second is the upper adult rate of the guidelines (Netflix's 20 for adult
    # English; 17 is their children's rate). It is a hard cap that real speech mostly fits: words are
    # never dropped, so a lower cap would fail on every fast speaker instead of only on the fastest.
    max_chars_per_second: float = 20.0
    # Two frames at 24 fps, so a player shows consecutive cues as two, not one flickering cue.
    min_gap_seconds: float = 0.083
    # A silence at least this long ends a cue: no cue stays on screen across a pause in speech.
    pause_seconds: float = 1.0
    # How long a cue may stay after its last word, borrowed from the silence that follows, to reach
    # the minimum duration or the reading speed.
    linger_seconds: float = 1.0
    # Characters are counted without spaces between words (Chinese, Japanese, Thai...).
    no_space_script: bool = False
    karaoke: bool = False


LATIN = Rules()
# Netflix's Chinese guides: 16 characters a line and 9 a second; Japanese uses the same line length
# here. Thai: 35 characters a line. Both are measured in characters.
_BY_LANGUAGE = {
    "zh": replace(LATIN, max_line_chars=16, max_chars_per_second=9.0, no_space_script=True),
    "yue": replace(LATIN, max_line_chars=16, max_chars_per_second=9.0, no_space_script=True),
    "ja": replace(LATIN, max_line_chars=16, max_chars_per_second=9.0, no_space_script=True),
    "th": replace(LATIN, max_line_chars=35, max_chars_per_second=15.0, no_space_script=True),
}
NO_SPACE_DEFAULT = replace(LATIN, max_line_chars=16, max_chars_per_second=9.0, no_space_script=True)


class SubtitleSettings(BaseModel):
    """Subtitle settings a job or a download may set; what is left out takes the language's default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_lines: int | None = Field(default=None, ge=1, le=3, description="lines a cue (default 2)")
    max_line_chars: int | None = Field(
        default=None, ge=10, le=100, description="characters a line (default 42; 16 for Chinese and Japanese)"
    )
    min_cue_seconds: float | None = Field(default=None, ge=0.3, le=3.0, description="shortest time on screen (5/6 s)")
    max_cue_seconds: float | None = Field(default=None, ge=2.0, le=20.0, description="longest time on screen (7 s)")
    max_chars_per_second: float | None = Field(
        default=None, ge=5.0, le=40.0, description="reading speed, characters a second (20; 9 for Chinese)"
    )
    min_gap_seconds: float | None = Field(default=None, ge=0.0, le=0.5, description="gap between cues (0.083 s)")
    pause_seconds: float | None = Field(
        default=None, ge=0.3, le=5.0, description="a silence this long starts a new cue (1 s)"
    )
    linger_seconds: float | None = Field(
        default=None, ge=0.0, le=3.0, description="how long a cue may stay after its last word (1 s)"
    )
    karaoke: bool = Field(default=False, description="WebVTT with a timestamp tag before each word")

    @model_validator(mode="after")
    def _durations_ordered(self) -> SubtitleSettings:
        low, high = self.min_cue_seconds, self.max_cue_seconds
        if low is not None and high is not None and low > high:
            raise ValueError("min_cue_seconds must not exceed max_cue_seconds")
        return self

    def merged(self, other: SubtitleSettings | None) -> SubtitleSettings:
        """These settings with what `other` sets explicitly on top (a download over its job's)."""
        if other is None:
            return self
        mine, theirs = self.model_dump(exclude_none=True), other.model_dump(exclude_unset=True, exclude_none=True)
        return SubtitleSettings.model_validate({**mine, **theirs})


def _base(language: str | None) -> Rules:
    code = (language or "").split("-")[0].lower()
    if code in _BY_LANGUAGE:
        return _BY_LANGUAGE[code]
    return NO_SPACE_DEFAULT if code in NO_SPACE_LANGUAGES else LATIN


def rules_for(language: str | None, settings: SubtitleSettings | None = None) -> Rules:
    """The rules for a transcript in `language` with `settings` applied over its defaults."""
    base = _base(language)
    if settings is None:
        return base
    given = {k: v for k, v in settings.model_dump(exclude_none=True).items() if k in Rules.__dataclass_fields__}
    rules = replace(base, **given)
    if rules.min_cue_seconds > rules.max_cue_seconds:
        raise ValueError("min_cue_seconds must not exceed max_cue_seconds")
    return rules
