"""Render a transcript as JSON, plain text, SubRip (SRT) or WebVTT."""

from __future__ import annotations

import json
from collections.abc import Callable

from ytcaption.domain.transcript import Segment, Transcript


def _timestamp(total_ms: int, separator: str) -> str:
    # Whole milliseconds in, so rounding never yields "60.000" seconds.
    hours, rest = divmod(total_ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{ms:03d}"


def _cue_text(text: str) -> str:
    # A blank line ends a cue and "-->" starts a timing line: neither may appear
    # inside cue text in SRT or WebVTT.
    lines = [line.strip() for line in text.strip().splitlines()]
    return "\n".join(line for line in lines if line).replace("-->", "\u2192")


def _cues(transcript: Transcript) -> list[tuple[Segment, str]]:
    return [(s, _cue_text(s.text)) for s in transcript.segments if _cue_text(s.text)]


def _span(segment: Segment) -> tuple[int, int]:
    """Cue start and end in whole milliseconds."""
    start = max(0, round(segment.start * 1000))
    # Players drop zero-length cues; give each at least one millisecond.
    return start, max(round(segment.end * 1000), start + 1)


def to_json(transcript: Transcript) -> str:
    data = transcript.model_dump(mode="json", exclude_none=True)
    data["text"] = transcript.text
    if transcript.timings:
        data["timings"]["real_time_factor"] = round(transcript.timings.real_time_factor, 4)
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def to_txt(transcript: Transcript) -> str:
    if any(s.speaker for s in transcript.segments):
        return _txt_turns(transcript)
    lines = [text.replace("\n", " ") for _, text in _cues(transcript)]
    return "\n".join(lines) + ("\n" if lines else "")


def _txt_turns(transcript: Transcript) -> str:
    """One paragraph per speaker turn: "Speaker 1: ..." (or the name given to that label)."""
    turns: list[tuple[str | None, list[str]]] = []
    for segment, text in _cues(transcript):
        if turns and turns[-1][0] == segment.speaker:
            turns[-1][1].append(text.replace("\n", " "))
        else:
            turns.append((segment.speaker, [text.replace("\n", " ")]))
    paragraphs = [
        f"{transcript.speaker_name(speaker)}: {' '.join(texts)}" if speaker else " ".join(texts)
        for speaker, texts in turns
    ]
    return "\n\n".join(paragraphs) + ("\n" if paragraphs else "")


def _turn_starts(transcript: Transcript) -> list[tuple[Segment, str, bool]]:
    """Cues, and whether each starts a new speaker's turn (segments never mix speakers:
    the diarization splits them at each change)."""
    out, previous = [], None
    for segment, text in _cues(transcript):
        out.append((segment, text, segment.speaker is not None and segment.speaker != previous))
        previous = segment.speaker
    return out


def to_srt(transcript: Transcript) -> str:
    blocks = []
    for index, (segment, text, new_turn) in enumerate(_turn_starts(transcript), start=1):
        start, end = _span(segment)
        if new_turn:
            # A new speaker starts a new cue; the first cue of a turn names who speaks (as SDH subtitles do).
            text = f"{_cue_text(transcript.speaker_name(segment.speaker) or '')}: {text}"
        blocks.append(f"{index}\n{_timestamp(start, ',')} --> {_timestamp(end, ',')}\n{text}\n")
    return "\n".join(blocks)


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(transcript: Transcript) -> str:
    blocks = ["WEBVTT\n"]
    for segment, text in _cues(transcript):
        start, end = _span(segment)
        body = _vtt_escape(text)
        if segment.speaker:
            # A voice span per cue: <v Name>...</v>; the name is annotation text (no '>' or line breaks).
            name = _vtt_escape(" ".join((transcript.speaker_name(segment.speaker) or "").split()))
            body = f"<v {name}>{body}</v>"
        blocks.append(f"{_timestamp(start, '.')} --> {_timestamp(end, '.')}\n{body}\n")
    return "\n".join(blocks)


RENDERERS: dict[str, Callable[[Transcript], str]] = {
    "json": to_json,
    "txt": to_txt,
    "srt": to_srt,
    "vtt": to_vtt,
}


def render_all(transcript: Transcript) -> dict[str, str]:
    return {fmt: render(transcript) for fmt, render in RENDERERS.items()}
