"""`ytcaption subtitles check` and `ytcaption subtitles render`, run as a user runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ytcaption.domain.transcript import Segment, Transcript, Word

WHISPER_STYLE = """1
00:00:00,000 --> 00:00:11,500
Good morning and welcome to the weekly project meeting. Today we will review the budget for the next quarter.

2
00:00:11,000 --> 00:00:11,400
Okay.
"""

TEXT = (
    "Good morning and welcome to the weekly project meeting. Today we will review the budget for the next quarter, "
    "discuss the new hiring plan, and agree on the release date for the mobile application."
)


def ytcaption(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ytcaption.cli", *args], capture_output=True, text=True, timeout=120)


def _transcript(path: Path) -> Path:
    words, at = [], 0.0
    for word in TEXT.split():
        length = 0.06 * len(word) + 0.08
        words.append(Word(start=round(at, 3), end=round(at + length, 3), word=" " + word, probability=0.9))
        at += length + 0.06
    segment = Segment(id=0, start=0.0, end=words[-1].end, text=TEXT, words=words)
    transcript = Transcript(language="en", language_probability=1, duration=at, model="base", segments=[segment])
    path.write_text(transcript.model_dump_json(), encoding="utf-8")
    return path


def test_check_lists_every_violation_and_fails(tmp_path: Path) -> None:
    bad = tmp_path / "whisper.srt"
    bad.write_text(WHISPER_STYLE, encoding="utf-8")
    done = ytcaption("subtitles", "check", str(bad))
    assert done.returncode == 1, done.stderr
    assert f"{bad}: cue 1: line length: 109 characters (at most 42)" in done.stdout
    assert f"{bad}: cue 2: overlap" in done.stdout
    assert "FAILED: 2 cues; 3 hard violation(s)" in done.stdout


def test_render_with_other_settings_then_check_passes(tmp_path: Path) -> None:
    transcript = _transcript(tmp_path / "talk.json")
    out = tmp_path / "talk.vtt"
    made = ytcaption("subtitles", "render", str(transcript), "--format", "vtt", "--max-line-chars", "24",
                     "--karaoke", "--output", str(out))  # fmt: skip
    assert made.returncode == 0, made.stderr
    text = out.read_text(encoding="utf-8")
    assert text.startswith("WEBVTT") and "<00:00:0" in text
    done = ytcaption("subtitles", "check", str(out), "--max-line-chars", "24", "--strict")
    assert done.returncode == 0, done.stdout
    assert done.stdout.strip().endswith("(allowed 0%)") and ": ok: " in done.stdout
    # The default 42 characters a line, checked with 24: the checker finds the longer lines.
    wide = tmp_path / "wide.srt"
    wide.write_text(ytcaption("subtitles", "render", str(transcript)).stdout, encoding="utf-8")
    assert ytcaption("subtitles", "check", str(wide)).returncode == 0
    narrow = ytcaption("subtitles", "check", str(wide), "--max-line-chars", "24")
    assert narrow.returncode == 1 and "line length" in narrow.stdout


def test_bad_input_is_one_line_and_an_exit_code(tmp_path: Path) -> None:
    missing = ytcaption("subtitles", "check", str(tmp_path / "nope.srt"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr and "Traceback" not in missing.stderr
    garbage = tmp_path / "notes.srt"
    garbage.write_text("1\nthis is not a timing line\nhello\n", encoding="utf-8")
    broken = ytcaption("subtitles", "check", str(garbage))
    assert broken.returncode == 1 and "not a valid SRT or WebVTT file" in broken.stderr
    settings = ytcaption("subtitles", "check", str(garbage), "--max-lines", "9")
    assert settings.returncode == 2 and "--max-lines" in settings.stderr
    not_json = ytcaption("subtitles", "render", str(garbage))
    assert not_json.returncode == 2 and "not a ytcaption transcript" in not_json.stderr
