"""Shaped cues as SubRip (SRT), WebVTT (optionally with a timestamp tag before each word: karaoke)
and plain text in paragraphs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ytcaption.domain.captions.lines import ends_sentence, text_of
from ytcaption.domain.captions.shape import Cue
from ytcaption.domain.captions.words import Names, Token

# A new paragraph of the plain text after a silence this long, or at the first sentence end once a
# paragraph is this long.
PARAGRAPH_PAUSE_SECONDS = 2.0
PARAGRAPH_CHARS = 600


def timestamp(seconds: float, separator: str) -> str:
    # Whole milliseconds, so rounding never yields "60.000" seconds.
    total_ms = max(0, round(seconds * 1000))
    hours, rest = divmod(total_ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{ms:03d}"


def _safe(text: str) -> str:
    # "-->" starts a timing line in both formats: never inside cue text.
    return text.replace("-->", "\u2192")


def vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_srt(cues: Sequence[Cue]) -> str:
    blocks = [
        f"{n}\n{timestamp(c.start, ',')} --> {timestamp(c.end, ',')}\n{_safe(c.text)}\n" for n, c in enumerate(cues, 1)
    ]
    return "\n".join(blocks)


def _karaoke_line(line: Sequence[Token], cue: Cue, first_line: bool) -> str:
    out = []
    for n, token in enumerate(line):
        text = vtt_escape(_safe(token.text))
        sep = " " if token.space and n else ""
        # A tag marks when the word is spoken; it must lie inside the cue and after the previous tag.
        if first_line and n == 0:
            out.append(text)
            continue
        at = min(max(token.start, cue.start + 0.001), cue.end - 0.001)
        out.append(f"{sep}<{timestamp(at, '.')}>{text}")
    return "".join(out)


def render_vtt(cues: Sequence[Cue], karaoke: bool = False, name: Names | None = None) -> str:
    """WebVTT; a cue of a labelled speaker in a voice span, `<v Name>...</v>` (cues never mix speakers)."""
    blocks = ["WEBVTT\n"]
    for cue in cues:
        if karaoke:
            text = "\n".join(_karaoke_line(line, cue, n == 0) for n, line in enumerate(cue.lines))
        else:
            text = vtt_escape(_safe(cue.text))
        if cue.speaker is not None and name is not None:
            # The voice's annotation ends at '>' and cannot span lines.
            voice = vtt_escape(" ".join(_safe(name(cue.speaker)).split()))
            text = f"<v {voice}>{text}</v>"
        blocks.append(f"{timestamp(cue.start, '.')} --> {timestamp(cue.end, '.')}\n{text}\n")
    return "\n".join(blocks)


def render_txt(tokens: Sequence[Token], name: Names | None = None) -> str:
    """The words as paragraphs: a new one after a long silence, or at a sentence end once one is long;
    with speakers, one (or more) per turn, each led by who speaks ("Speaker 1: ...")."""
    paragraphs: list[list[Token]] = []
    for n, token in enumerate(tokens):
        if not paragraphs:
            paragraphs.append([replace(token, space=False)])
            continue
        current = paragraphs[-1]
        previous = tokens[n - 1]
        pause = token.start - previous.end >= PARAGRAPH_PAUSE_SECONDS
        full = ends_sentence(previous) and sum(len(t.text) + 1 for t in current) >= PARAGRAPH_CHARS
        if pause or full or token.speaker != previous.speaker:
            paragraphs.append([replace(token, space=False)])
        else:
            current.append(token)
    texts = [
        f"{name(p[0].speaker)}: {text_of(p)}" if name is not None and p[0].speaker is not None else text_of(p)
        for p in paragraphs
    ]
    return "".join(text + "\n\n" for text in texts).rstrip("\n") + ("\n" if paragraphs else "")
