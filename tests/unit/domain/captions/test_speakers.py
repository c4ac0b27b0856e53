"""Shaped subtitles with speaker labels: a cue never mixes speakers; SRT names who speaks at the start
of a turn, WebVTT puts each cue in a voice span, TXT has a paragraph per turn; names replace labels."""

from __future__ import annotations

import io

import srt
import webvtt

from ytcaption.domain.captions import SubtitleSettings, rules_for
from ytcaption.domain.captions.check import check, check_words, parse
from ytcaption.domain.formats import cues, render_all, shown_words, to_srt, to_txt, to_vtt
from ytcaption.domain.transcript import Segment, Transcript, Word

# (speaker, words): turns of mixed length, with no pause between the first two.
TURNS = [
    ("Speaker 1", "Good morning everyone and welcome to the weekly meeting of the project team."),
    ("Speaker 2", "Thanks."),
    ("Speaker 3", "Before we start, could we look at the budget for the next quarter and the hiring plan?"),
    ("Speaker 1", "Yes, of course. Let us start with the budget, then the plan."),
]


def conversation(names: dict[str, str] | None = None) -> Transcript:
    segments, at = [], 0.0
    for n, (speaker, text) in enumerate(TURNS):
        words = []
        for word in text.split():
            length = 0.06 * len(word) + 0.1
            words.append(Word(start=round(at, 3), end=round(at + length, 3), word=" " + word, probability=0.9,
                              speaker=speaker))  # fmt: skip
            at += length + 0.05
        segments.append(Segment(id=n, start=words[0].start, end=words[-1].end, text=text, words=words,
                                speaker=speaker))  # fmt: skip
        at += 0.1 if n == 0 else 0.8
    return Transcript(
        language="en", language_probability=1.0, model="base", duration=at, segments=segments, speaker_names=names
    )


def _speakers_of(cue_tokens: list[object]) -> set[object]:
    return {getattr(t, "speaker", None) for t in cue_tokens}


def test_no_cue_holds_two_speakers_even_without_a_pause() -> None:
    shaped = cues(conversation())
    assert all(len(_speakers_of(c.tokens)) == 1 for c in shaped)
    turns = [c.speaker for n, c in enumerate(shaped) if n == 0 or c.speaker != shaped[n - 1].speaker]
    assert turns == [speaker for speaker, _ in TURNS]


def test_srt_names_who_speaks_at_each_turn_and_stays_readable() -> None:
    transcript = conversation()
    text = to_srt(transcript)
    parsed = list(srt.parse(text))
    starts = [c.content for c in parsed if c.content.split(":")[0].startswith("Speaker")]
    assert [s.split(":")[0] for s in starts] == [speaker for speaker, _ in TURNS]
    assert sum(c.content.count("Speaker") for c in parsed) == len(TURNS)  # once per turn, not per cue
    rules = rules_for("en")
    report = check(parse(text), rules)
    assert report.hard == [], report.hard
    assert check_words(parse(text), shown_words(transcript, named=True), rules) == []


def test_vtt_voice_spans_do_not_count_toward_the_lines() -> None:
    transcript = conversation()
    text = to_vtt(transcript)
    captions = webvtt.from_buffer(io.StringIO(text)).captions
    assert all(c.raw_text.startswith("<v Speaker ") and c.raw_text.endswith("</v>") for c in captions)
    assert captions[0].voice == "Speaker 1"
    rules = rules_for("en")
    assert check(parse(text), rules).hard == []
    assert check_words(parse(text), shown_words(transcript), rules) == []
    karaoke = to_vtt(transcript, SubtitleSettings(karaoke=True))
    assert check(parse(karaoke), rules).hard == [] and "<v Speaker 2>" in karaoke


def test_txt_is_a_paragraph_per_turn() -> None:
    paragraphs = to_txt(conversation()).strip().split("\n\n")
    assert [p.split(": ", 1)[0] for p in paragraphs] == [speaker for speaker, _ in TURNS]
    assert paragraphs[1] == "Speaker 2: Thanks."


def test_names_replace_labels_in_every_format_and_change_nothing_else() -> None:
    names = {"Speaker 1": "Alice", "Speaker 2": "Bob"}
    plain, named = render_all(conversation()), render_all(conversation(names))
    for fmt in ("txt", "vtt"):
        assert named[fmt] == plain[fmt].replace("Speaker 1", "Alice").replace("Speaker 2", "Bob"), fmt
    # SRT fits the names into the lines, so the breaks may move; the words and the turns stay.
    assert next(c.content.replace("\n", " ") for c in srt.parse(named["srt"])).startswith("Alice: Good morning")
    assert "Bob: Thanks." in named["srt"] and "Speaker 3:" in named["srt"] and "Speaker 1" not in named["srt"]
    assert '"speaker_names"' in named["json"]


def test_a_transcript_without_speakers_renders_as_before() -> None:
    transcript = conversation()
    bare = transcript.model_copy(
        update={
            "segments": [
                s.model_copy(
                    update={"speaker": None, "words": [w.model_copy(update={"speaker": None}) for w in s.words or []]}
                )
                for s in transcript.segments
            ]
        }
    )
    rendered = render_all(bare)
    assert "Speaker" not in rendered["srt"] + rendered["vtt"] + rendered["txt"]
    assert "<v " not in rendered["vtt"]
