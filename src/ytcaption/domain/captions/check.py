"""Check an SRT or WebVTT file against the reading rules: any file, ours or not.

Hard rules (lines a cue, characters a line, the longest time on screen, order, no overlap, the gap
between cues, no empty cue) must hold for every cue. Soft rules (the shortest time on screen, the
reading speed) can be impossible to keep for fast speech without dropping words; a file passes with
up to `soft_allowance` of its cues breaking them, each one listed.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ytcaption.domain.captions.lines import text_of
from ytcaption.domain.captions.rules import LATIN, NO_SPACE_DEFAULT, Rules
from ytcaption.domain.captions.words import Token, mostly_no_space

# Our shaped cues meet the soft rules in at least 97 % of cues.
SOFT_ALLOWANCE = 0.03
_TOLERANCE = 0.0015  # timestamps are whole milliseconds
_TAG = re.compile(r"<[^>]*>")
_TIME = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{3})")


@dataclass(frozen=True)
class ParsedCue:
    index: int  # 1-based, in file order
    start: float
    end: float
    lines: tuple[str, ...]  # as shown: tags removed, entities decoded

    @property
    def characters(self) -> int:
        return len(" ".join(self.lines))


@dataclass(frozen=True)
class Violation:
    cue: int
    rule: str
    detail: str
    hard: bool

    def __str__(self) -> str:
        return f"cue {self.cue}: {self.rule}: {self.detail}" + ("" if self.hard else " (soft)")


@dataclass
class Report:
    cues: int
    rules: Rules
    violations: list[Violation] = field(default_factory=list)

    @property
    def hard(self) -> list[Violation]:
        return [v for v in self.violations if v.hard]

    @property
    def soft_cues(self) -> set[int]:
        return {v.cue for v in self.violations if not v.hard}

    def soft_share(self, rule: str | None = None) -> float:
        cues = {v.cue for v in self.violations if not v.hard and (rule is None or v.rule == rule)}
        return len(cues) / self.cues if self.cues else 0.0

    def ok(self, soft_allowance: float = SOFT_ALLOWANCE) -> bool:
        return not self.hard and self.soft_share() <= soft_allowance


def _seconds(stamp: str) -> float:
    match = _TIME.fullmatch(stamp.strip())
    if not match:
        raise ValueError(f"not a timestamp: {stamp!r}")
    hours, minutes, secs, ms = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(secs) + int(ms) / 1000


def _shown(raw: str) -> tuple[str, ...]:
    lines = [html.unescape(_TAG.sub("", line)).strip() for line in raw.splitlines()]
    return tuple(line for line in lines if line)


def parse(text: str) -> list[ParsedCue]:
    """The cues of an SRT or WebVTT document (by its header), parsed by `srt` or `webvtt-py`."""
    if text.lstrip("\ufeff").startswith("WEBVTT"):
        import webvtt

        captions = webvtt.from_buffer(io.StringIO(text)).captions
        return [ParsedCue(n, _seconds(c.start), _seconds(c.end), _shown(c.raw_text)) for n, c in enumerate(captions, 1)]
    import srt

    return [
        ParsedCue(n, s.start.total_seconds(), s.end.total_seconds(), _shown(s.content))
        for n, s in enumerate(srt.parse(text), 1)
    ]


def default_rules(cues: Sequence[ParsedCue]) -> Rules:
    """Without a language: the rules of the file's script."""
    return NO_SPACE_DEFAULT if mostly_no_space(" ".join(" ".join(c.lines) for c in cues)) else LATIN


def check(cues: Sequence[ParsedCue], rules: Rules) -> Report:
    report = Report(len(cues), rules)
    add = report.violations.append
    for n, cue in enumerate(cues):
        duration = cue.end - cue.start
        if not cue.lines:
            add(Violation(cue.index, "empty", "a cue with no text", True))
        if len(cue.lines) > rules.max_lines:
            add(Violation(cue.index, "lines", f"{len(cue.lines)} lines (at most {rules.max_lines})", True))
        for line in cue.lines:
            if len(line) > rules.max_line_chars:
                add(Violation(cue.index, "line length",
                              f"{len(line)} characters (at most {rules.max_line_chars}): {line!r}", True))  # fmt: skip
        if duration <= 0:
            add(Violation(cue.index, "timing", f"ends at or before it starts ({cue.start:.3f} -> {cue.end:.3f})", True))
        if duration > rules.max_cue_seconds + _TOLERANCE:
            add(Violation(cue.index, "max duration", f"{duration:.3f} s (at most {rules.max_cue_seconds:g} s)", True))
        if n:
            previous = cues[n - 1]
            if cue.start < previous.start:
                add(Violation(cue.index, "order", f"starts before cue {previous.index}", True))
            elif cue.start < previous.end:
                add(Violation(cue.index, "overlap", f"starts {previous.end - cue.start:.3f} s before cue "
                              f"{previous.index} ends", True))  # fmt: skip
            elif cue.start - previous.end < rules.min_gap_seconds - _TOLERANCE:
                add(Violation(cue.index, "gap", f"{cue.start - previous.end:.3f} s after cue {previous.index} "
                              f"(at least {rules.min_gap_seconds:g} s)", True))  # fmt: skip
        if 0 < duration < rules.min_cue_seconds - _TOLERANCE:
            add(
                Violation(
                    cue.index, "min duration", f"{duration:.3f} s (at least {rules.min_cue_seconds:.3f} s)", False
                )
            )
        if duration > 0 and cue.characters / duration > rules.max_chars_per_second + 0.05:
            add(Violation(cue.index, "reading speed", f"{cue.characters / duration:.1f} characters/s "
                          f"(at most {rules.max_chars_per_second:g})", False))  # fmt: skip
    return report


def check_text(text: str, rules: Rules | None = None) -> Report:
    cues = parse(text)
    return check(cues, rules or default_rules(cues))


def check_words(cues: Sequence[ParsedCue], tokens: Sequence[Token], rules: Rules) -> list[Violation]:
    """Against the transcript's words: the cues hold exactly its words, in order, and each cue is on
    screen from its first word's start to its last word's end, plus at most the linger (less the gap
    where the next cue's words follow at once)."""
    problems: list[Violation] = []
    if rules.no_space_script:
        shown, spoken = "".join("".join(c.lines) for c in cues).split(), text_of(tokens).split()
        shown, spoken = ["".join(shown)], ["".join(spoken)]
    else:
        shown, spoken = " ".join(" ".join(c.lines) for c in cues).split(), text_of(tokens).split()
    if shown != spoken:
        at = next(
            (i for i, (a, b) in enumerate(zip(shown, spoken, strict=False)) if a != b), min(len(shown), len(spoken))
        )
        problems.append(Violation(0, "words", f"the cues' words differ from the transcript's at word {at}: "
                                  f"{shown[at:at + 5]} vs {spoken[at:at + 5]}", True))  # fmt: skip
        return problems
    # Each character of the cues, in order, to the token it came from.
    owner = [n for n, token in enumerate(tokens) for _ in "".join(token.text.split())]
    position = 0
    for c, cue in enumerate(cues):
        size = len("".join("".join(cue.lines).split()))
        first, last = tokens[owner[position]], tokens[owner[position + size - 1]]
        position += size
        following = tokens[owner[position]].start if position < len(owner) else None
        earliest_end = min(last.end, following if following is not None else last.end) - rules.min_gap_seconds
        earliest_end = min(earliest_end, cue.start + rules.max_cue_seconds)
        if abs(cue.start - first.start) > _TOLERANCE and not (
            c and cue.start <= cues[c - 1].end + rules.min_gap_seconds + _TOLERANCE
        ):
            problems.append(
                Violation(
                    cue.index, "word times", f"starts at {cue.start:.3f}, its first word at {first.start:.3f}", True
                )
            )
        if cue.end > last.end + rules.linger_seconds + _TOLERANCE or cue.end < earliest_end - _TOLERANCE:
            problems.append(
                Violation(cue.index, "word times", f"ends at {cue.end:.3f}, its last word at {last.end:.3f}", True)
            )
    return problems
