"""The timed words subtitles are shaped from: the transcript's words as one stream in time.

A long file's chunks are merged into one list of segments, whose words (each owned by one chunk)
are flattened and ordered here, so a cue never breaks or doubles where a chunk was cut. Segments
without word timings (a video's own captions, an old result) get words spread over their time by
length.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from ytcaption.domain.transcript import Transcript


@dataclass(frozen=True)
class Token:
    """One word as shown: its text without spaces, its time, and whether a space comes before it."""

    text: str
    start: float
    end: float
    space: bool
    # The last word of a Whisper segment: a phrase boundary even where no punctuation shows it
    # (Whisper's Chinese often has none).
    closes: bool = False
    # Who said it (diarization's label, "Speaker 1"...): a cue never holds two speakers' words.
    speaker: str | None = None


def is_no_space_char(ch: str) -> bool:
    """A character of a script written without spaces between words (CJK, kana, Thai, Lao...)."""
    code = ord(ch)
    return (
        0x3040 <= code <= 0x30FF  # kana
        or 0x3400 <= code <= 0x4DBF
        or 0x4E00 <= code <= 0x9FFF  # CJK ideographs
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x2FA1F
        or 0x0E00 <= code <= 0x0EFF  # Thai, Lao
        or 0x1000 <= code <= 0x109F  # Myanmar
        or 0x1780 <= code <= 0x17FF  # Khmer
        or 0x3000 <= code <= 0x303F  # CJK punctuation
        or 0xFF00 <= code <= 0xFFEF  # full-width forms
    )


def mostly_no_space(text: str) -> bool:
    letters = [ch for ch in text if not ch.isspace() and unicodedata.category(ch)[0] in "LP"]
    return bool(letters) and sum(is_no_space_char(ch) for ch in letters) * 2 > len(letters)


def _pieces(chunk: str) -> list[str]:
    pieces: list[str] = []
    piece = ""
    for ch in chunk:
        if is_no_space_char(ch) and unicodedata.category(ch)[0] == "L":
            if piece:
                pieces.append(piece)
            piece = ""
            pieces.append(ch)
        else:
            piece += ch
    if piece:
        pieces.append(piece)
    return pieces


def tokens(transcript: Transcript) -> list[Token]:
    """Every word of the transcript in time order, with monotone times."""
    raw: list[tuple[str, float, float, bool, bool, str | None]] = []
    for segment in transcript.segments:
        first = len(raw)
        if segment.words:
            for word in segment.words:
                text = " ".join(word.word.split())
                if text:
                    speaker = word.speaker or segment.speaker
                    raw.append((text, word.start, word.end, word.word[:1].isspace(), False, speaker))
        else:
            words = [(p, n > 0 and i == 0) for n, chunk in enumerate(segment.text.split())
                     for i, p in enumerate(_pieces(chunk))]  # fmt: skip
            if words:
                words[0] = (words[0][0], True)
            total = sum(len(w) for w, _ in words) or 1
            span = max(0.0, segment.end - segment.start)
            at = segment.start
            for text, space in words:
                length = span * len(text) / total
                raw.append((text, at, at + length, space, False, segment.speaker))
                at += length
        if len(raw) > first:
            raw[-1] = (*raw[-1][:4], True, raw[-1][5])
    # Stable by start: segments of merged chunks may overlap by a little in time.
    raw.sort(key=lambda item: item[1])
    out: list[Token] = []
    last_start = 0.0
    for n, (text, start, end, space, closes, speaker) in enumerate(raw):
        start = max(start, last_start)
        end = max(end, start)
        last_start = start
        out.append(Token(text, start, end, space and n > 0, closes, speaker))
    return out


# What a speaker label is shown as: its name, or the label itself.
Names = Callable[[str], str]


def named_turns(tokens: Sequence[Token], name: Names) -> list[Token]:
    """The words with each speaker's name before their turn ("Alice:"), as a word of that turn: the
    shaper then fits the name into the cue's lines like any other word (SRT names who speaks so)."""
    out: list[Token] = []
    previous: str | None = None
    for token in tokens:
        if token.speaker is not None and token.speaker != previous:
            out.append(Token(f"{name(token.speaker)}:", token.start, token.start, bool(out), False, token.speaker))
            token = replace(token, space=True)
        previous = token.speaker
        out.append(token)
    return out
