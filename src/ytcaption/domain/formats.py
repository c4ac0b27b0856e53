"""Render a transcript as JSON, plain text, SubRip (SRT) or WebVTT.

Subtitles and text are shaped from the transcript's words (ytcaption.domain.captions), not copied
from Whisper's segments: cues follow the reading rules, with a job's or a download's settings. With
speaker labels a cue never mixes speakers: SRT names who speaks at the start of each turn, WebVTT puts
each cue in a voice span, TXT has paragraphs per turn; a label shows as the name given to it.
"""

from __future__ import annotations

import json

from ytcaption.domain.captions import SubtitleSettings, render_srt, render_txt, render_vtt, rules_for, shape
from ytcaption.domain.captions.shape import Cue
from ytcaption.domain.captions.words import Names, Token, named_turns, tokens
from ytcaption.domain.options import JobOptions
from ytcaption.domain.transcript import Transcript

# The stored transcript with its word timings, where the JSON the client asked for leaves them out:
# subtitles are re-rendered from it on download (results/{job}/transcript.words.json).
WORDS = "words.json"


def to_json(transcript: Transcript, words: bool = True) -> str:
    data = transcript.model_dump(mode="json", exclude_none=True)
    data["text"] = transcript.text
    if not words:
        for segment in data["segments"]:
            segment.pop("words", None)
    if transcript.timings:
        data["timings"]["real_time_factor"] = round(transcript.timings.real_time_factor, 4)
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _names(transcript: Transcript) -> Names:
    return lambda label: transcript.speaker_name(label) or label


def shown_words(transcript: Transcript, named: bool = False) -> list[Token]:
    """The words subtitles show; `named`: each speaker's turn led by their name, as SRT shows it."""
    words = tokens(transcript)
    return named_turns(words, _names(transcript)) if named else words


def cues(transcript: Transcript, settings: SubtitleSettings | None = None, named: bool = False) -> list[Cue]:
    """The shaped cues; `named`: each speaker's turn starts with their name, fitted into its lines."""
    return shape(shown_words(transcript, named), rules_for(transcript.language, settings))


def to_txt(transcript: Transcript) -> str:
    return render_txt(tokens(transcript), _names(transcript))


def to_srt(transcript: Transcript, settings: SubtitleSettings | None = None) -> str:
    return render_srt(cues(transcript, settings, named=True))


def to_vtt(transcript: Transcript, settings: SubtitleSettings | None = None) -> str:
    return _vtt(transcript, cues(transcript, settings), settings)


def _vtt(transcript: Transcript, shaped: list[Cue], settings: SubtitleSettings | None) -> str:
    return render_vtt(shaped, karaoke=bool(settings and settings.karaoke), name=_names(transcript))


def render(transcript: Transcript, fmt: str, settings: SubtitleSettings | None = None) -> str:
    """One format; subtitles with `settings` over the language's defaults."""
    if fmt == "json":
        return to_json(transcript)
    if fmt == "txt":
        return to_txt(transcript)
    if fmt == "srt":
        return to_srt(transcript, settings)
    if fmt == "vtt":
        return to_vtt(transcript, settings)
    raise ValueError(f"unknown format {fmt!r}")


def render_all(transcript: Transcript, options: JobOptions | None = None) -> dict[str, str]:
    """Every format with the job's subtitle settings; the JSON shows words only if the job asked for
    them, and then the words are kept beside it for later downloads with other settings."""
    settings = options.subtitles if options else None
    shown = options.word_timestamps if options else True
    words = tokens(transcript)
    named = named_turns(words, _names(transcript))
    rules = rules_for(transcript.language, settings)
    srt = shape(named, rules)
    # Shaping is most of the rendering time; without speakers SRT and WebVTT show the same words.
    vtt = srt if named == words else shape(words, rules)
    rendered = {
        "json": to_json(transcript, words=shown),
        "txt": render_txt(words, _names(transcript)),
        "srt": render_srt(srt),
        "vtt": _vtt(transcript, vtt, settings),
    }
    if not shown and any(s.words for s in transcript.segments):
        rendered[WORDS] = to_json(transcript)
    return rendered
