"""ytcaption.domain.captions.check: every rule found broken in files that break it."""

from __future__ import annotations

from ytcaption.domain.captions.check import check_text, parse
from ytcaption.domain.captions.rules import rules_for

WHISPER_STYLE = """1
00:00:00,000 --> 00:00:11,500
Good morning and welcome to the weekly project meeting. Today we will review the budget for the next quarter.

2
00:00:11,000 --> 00:00:11,400
Okay.

3
00:00:11,450 --> 00:00:14,000
one
two
three
"""

GOOD_VTT = """WEBVTT

00:00:00.000 --> 00:00:03.650
Good morning and welcome
to the weekly project &amp; meeting.

00:00:04.050 --> 00:00:06.000
Today <00:00:04.500>we <00:00:05.000>start.
"""


def test_a_segment_copied_verbatim_breaks_every_rule_and_each_is_listed() -> None:
    report = check_text(WHISPER_STYLE)
    found = {(v.cue, v.rule, v.hard) for v in report.violations}
    assert (1, "line length", True) in found
    assert (1, "max duration", True) in found
    assert (2, "overlap", True) in found
    assert (2, "min duration", False) in found
    assert (3, "lines", True) in found
    assert (3, "gap", True) in found
    assert (1, "reading speed", False) not in found  # 109 characters in 11.5 s is slow enough
    assert not report.ok()
    assert all(str(v).startswith(f"cue {v.cue}: ") for v in report.violations)


def test_a_readable_vtt_with_karaoke_tags_and_entities_passes() -> None:
    report = check_text(GOOD_VTT)
    assert report.violations == [] and report.ok()
    cues = parse(GOOD_VTT)
    assert cues[0].lines == ("Good morning and welcome", "to the weekly project & meeting.")
    assert cues[1].lines == ("Today we start.",)


def test_reading_speed_and_soft_allowance() -> None:
    fast = "1\n00:00:00,000 --> 00:00:01,000\nThis is far too much text for a second.\n"
    report = check_text(fast)
    assert [v.rule for v in report.violations] == ["reading speed"]
    assert report.hard == [] and report.soft_share() == 1.0 and not report.ok() and report.ok(soft_allowance=1.0)


def test_a_chinese_file_is_checked_with_the_chinese_rules_by_its_script() -> None:
    text = "1\n00:00:00,000 --> 00:00:03,000\n今天我们讨论下个季度的预算和新的招聘计划\n"
    report = check_text(text)
    assert report.rules == rules_for("zh")
    assert [v.rule for v in report.violations] == ["line length"]
    assert check_text(text, rules_for("en")).violations == []
