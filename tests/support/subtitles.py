"""Checks of real subtitle outputs against the reading rules and the transcript they came from."""

from __future__ import annotations

import io

import srt
import webvtt

from ytcaption.domain.captions.check import Report, check, check_words, parse
from ytcaption.domain.captions.rules import Rules
from ytcaption.domain.formats import shown_words
from ytcaption.domain.transcript import Transcript

# Of the soft rules, at least this share of cues must keep each (the rest are listed, never cut).
SOFT_SHARE = 0.97


def assert_readable(
    text: str, transcript: Transcript, rules: Rules, label: str, soft_share: float = SOFT_SHARE
) -> Report:
    """Every hard rule in every cue, each soft rule in ≥ 97 % of cues, exactly the transcript's words,
    each cue within its words' times; parsed by `srt` or `webvtt-py` (strict) without error."""
    if text.startswith("WEBVTT"):
        assert len(webvtt.from_buffer(io.StringIO(text)).captions) == len(parse(text))
    else:
        assert len(list(srt.parse(text))) == len(parse(text))
    cues = parse(text)
    assert cues, f"{label}: no cues"
    report = check(cues, rules)
    assert report.hard == [], f"{label}: " + "; ".join(map(str, report.hard))
    for rule in ("min duration", "reading speed"):
        kept = 1 - report.soft_share(rule)
        listed = [str(v) for v in report.violations if v.rule == rule]
        print(f"{label}: {len(cues)} cues, {rule} kept by {kept:.1%}; outside: {listed}")
        assert kept >= soft_share, f"{label}: {rule} kept by {kept:.1%} < 97 %: {listed}"
    # SRT names each speaker at the start of their turn: those names are shown words too.
    problems = check_words(cues, shown_words(transcript, named=not text.startswith("WEBVTT")), rules)
    assert problems == [], f"{label}: " + "; ".join(map(str, problems))
    return report
