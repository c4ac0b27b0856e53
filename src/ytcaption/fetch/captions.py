"""Turn a video's own subtitle track (WebVTT or SRT) into our transcript."""

from __future__ import annotations

import io
import re

from ytcaption.domain.transcript import Segment, Transcript

_TAGS = re.compile(r"<[^>]+>")


def _clean(text: str) -> str:
    # Auto-captions carry inline timing and styling tags (<00:00:01.000><c>word</c>).
    return " ".join(_TAGS.sub("", text).replace("&amp;", "&").replace("&nbsp;", " ").split())


def parse(text: str, fmt: str) -> list[tuple[float, float, str]]:
    if fmt == "srt":
        import srt

        return [(s.start.total_seconds(), s.end.total_seconds(), _clean(s.content)) for s in srt.parse(text)]
    import webvtt

    cues = webvtt.from_buffer(io.StringIO(text)).captions
    return [(c.start_in_seconds, c.end_in_seconds, _clean(c.text)) for c in cues]


def to_transcript(cues: list[tuple[float, float, str]], language: str, duration: float | None) -> Transcript:
    segments: list[Segment] = []
    previous = ""
    for start, end, text in cues:
        # Rolling auto-captions repeat the previous line: keep only what is new.
        if not text or text == previous:
            continue
        if previous and text.startswith(previous):
            text = text[len(previous) :].strip()
        previous = _clean(text) if text else previous
        if text:
            segments.append(Segment(id=len(segments), start=round(start, 3), end=round(end, 3), text=text))
    last_end = segments[-1].end if segments else 0.0
    return Transcript(
        language=language,
        language_probability=1.0,
        duration=round(duration or last_end, 3),
        model="captions",
        origin="captions",
        segments=segments,
    )
