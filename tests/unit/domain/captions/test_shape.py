# ruff: noqa: RUF001  (Chinese punctuation is meant)
"""ytcaption.domain.captions.shape: cues from synthetic streams of timed words."""

from __future__ import annotations

import io
import itertools

import srt
import webvtt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ytcaption.domain.captions import SubtitleSettings, render_srt, render_vtt, rules_for, shape
from ytcaption.domain.captions.check import check, check_words, parse
from ytcaption.domain.captions.rules import Rules
from ytcaption.domain.captions.words import Token, tokens
from ytcaption.domain.transcript import Segment, Transcript, Word


def stream(words: list[str], rate: float = 0.07, gap: float = 0.05, pauses: dict[int, float] | None = None,
           space: bool = True) -> list[Token]:  # fmt: skip
    out, at = [], 0.0
    for n, word in enumerate(words):
        at += (pauses or {}).get(n, 0.0)
        length = max(0.05, rate * len(word))
        out.append(Token(word, round(at, 3), round(at + length, 3), space and n > 0))
        at += length + gap
    return out


def assert_readable(toks: list[Token], rules: Rules, soft_share: float = 1.0) -> None:
    cues = shape(toks, rules)
    for text in (render_srt(cues), render_vtt(cues), render_vtt(cues, karaoke=True)):
        parsed = parse(text)
        report = check(parsed, rules)
        assert report.hard == [], report.hard
        assert check_words(parsed, toks, rules) == []
        assert report.soft_share() <= soft_share, report.violations
    # A soft rule is broken only where the cue could not stay longer: it already lingers as long as
    # allowed, or the next cue follows at once.
    ms = 1000
    for n, cue in enumerate(cues):
        short = cue.end - cue.start < rules.min_cue_seconds - 0.0015
        fast = cue.characters / (cue.end - cue.start) > rules.max_chars_per_second + 0.05
        if short or fast:
            limits = [round(cue.tokens[-1].end * ms) + round(rules.linger_seconds * ms)]
            if n + 1 < len(cues):
                limits.append(round(cues[n + 1].start * ms) - round(rules.min_gap_seconds * ms))
            assert round(cue.end * ms) >= min(limits), (cue, limits)


def test_a_sentence_stream_becomes_balanced_two_line_cues_broken_at_punctuation() -> None:
    text = (
        "Good morning and welcome to the weekly project meeting. Today we will review the budget for the next "
        "quarter, discuss the new hiring plan, and agree on the release date for the mobile application."
    )
    cues = shape(stream(text.split()), rules_for("en"))
    assert [c.text for c in cues][:2] == [
        "Good morning and welcome\nto the weekly project meeting.",
        "Today we will review the budget for the\nnext quarter, discuss the new hiring plan,",
    ]
    assert_readable(stream(text.split()), rules_for("en"), 0.0)


def test_a_long_pause_always_starts_a_new_cue_and_a_short_cue_borrows_from_the_silence() -> None:
    toks = stream(["Yes.", "And", "then", "we", "left."], pauses={1: 3.0})
    cues = shape(toks, rules_for("en"))
    assert [c.text for c in cues] == ["Yes.", "And then we left."]
    # "Yes." is spoken in 0.28 s: it stays the minimum 5/6 s, borrowed from the pause after it.
    assert cues[0].start == toks[0].start and cues[0].end == round(toks[0].start + 5 / 6, 3)


def test_cues_keep_the_gap_and_never_overlap_when_speech_is_continuous() -> None:
    words = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen " * 8).split()
    toks = stream(words, rate=0.05, gap=0.0)
    cues = shape(toks, rules_for("en"))
    assert len(cues) > 3
    assert all(b.start - a.end >= 0.083 - 1e-9 for a, b in itertools.pairwise(cues))
    assert_readable(toks, rules_for("en"))


def test_no_single_short_word_alone_on_a_line_and_names_stay_together() -> None:
    words = [
        "We",
        "met",
        "with",
        "Professor",
        "Anna",
        "Maria",
        "Schmidt",
        "from",
        "the",
        "university",
        "of",
        "Heidelberg",
        "about",
        "it",
    ]
    cues = shape(stream(words), rules_for("en", SubtitleSettings(max_line_chars=30)))
    lines = [line for c in cues for line in c.text.split("\n")]
    assert all(len(line.split()) > 1 or len(line) > 3 for line in lines), lines
    assert not any(line.endswith(("Anna", "Maria", "Professor")) for line in lines), lines


def test_a_word_longer_than_a_line_is_cut_into_pieces_and_nothing_is_lost() -> None:
    toks = stream(["see", "https://example.com/a/very/long/path/that/never/ends/at/all", "now"])
    rules = rules_for("en")
    cues = shape(toks, rules)
    assert "".join("".join(c.text.split()) for c in cues) == "".join(t.text for t in toks)
    assert all(len(line) <= 42 for c in cues for line in c.text.split("\n"))


def test_chinese_is_measured_in_characters_without_spaces() -> None:
    sentence = "今天我们讨论下个季度的预算，新的招聘计划，以及移动应用程序的发布日期。请在星期五之前把问题发给团队。"
    toks = stream(list(sentence), rate=0.2, gap=0.02, space=False)
    rules = rules_for("zh")
    assert rules.max_line_chars == 16 and rules.no_space_script
    cues = shape(toks, rules)
    assert "".join(c.text.replace("\n", "") for c in cues) == sentence
    assert all(" " not in c.text for c in cues)
    assert all(len(line) <= 16 for c in cues for line in c.text.split("\n"))
    assert_readable(toks, rules, 0.0)


def test_karaoke_tags_every_word_but_the_first_inside_its_cue() -> None:
    toks = stream(["Hello", "there", "my", "friend."])
    cues = shape(toks, rules_for("en"))
    text = render_vtt(cues, karaoke=True)
    assert "Hello <00:00:00.400>there <00:00:00.800>my <00:00:00.990>friend." in text
    (caption,) = webvtt.from_buffer(io.StringIO(text)).captions
    assert caption.text == "Hello there my friend."


def test_words_without_timings_are_spread_over_their_segment() -> None:
    transcript = Transcript(language="en", language_probability=1, duration=4, model="captions",
                            segments=[Segment(id=0, start=1.0, end=3.0, text="ab cd efgh")])  # fmt: skip
    toks = tokens(transcript)
    assert [(t.text, t.start, t.end, t.space) for t in toks] == [
        ("ab", 1.0, 1.5, False), ("cd", 1.5, 2.0, True), ("efgh", 2.0, 3.0, True)]  # fmt: skip


def test_merged_chunks_give_one_stream_in_time() -> None:
    """Segments of two chunks overlapping in time: words are one ordered stream, none doubled."""

    def word(start: float, end: float, text: str) -> Word:
        return Word(start=start, end=end, word=text, probability=1.0)

    first = Segment(id=0, start=0.0, end=2.0, text="a b", words=[word(0.0, 0.5, " a"), word(1.5, 2.0, " b")])
    second = Segment(id=1, start=1.0, end=3.0, text="c d", words=[word(1.0, 1.4, " c"), word(2.5, 3.0, " d")])
    transcript = Transcript(language="en", language_probability=1, duration=3, model="m", segments=[first, second])
    assert [t.text for t in tokens(transcript)] == ["a", "c", "b", "d"]


# -- properties ---------------------------------------------------------------

LATIN_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFG", min_size=1, max_size=14)
ENDINGS = st.sampled_from(["", "", "", "", ",", ".", "?", "!"])
STREAM = st.lists(
    st.tuples(
        st.builds(lambda w, e: w + e, LATIN_WORD, ENDINGS),
        st.floats(min_value=0.03, max_value=0.12),  # seconds a character
        st.sampled_from([0.0, 0.0, 0.05, 0.1, 0.3, 0.8, 1.2, 4.0]),  # silence before the word
    ),
    min_size=1,
    max_size=120,
)
SETTINGS = st.builds(
    SubtitleSettings,
    max_lines=st.sampled_from([None, 1, 2, 3]),
    max_line_chars=st.sampled_from([None, 16, 32, 42, 60]),
    max_cue_seconds=st.sampled_from([None, 4.0, 7.0]),
    max_chars_per_second=st.sampled_from([None, 15.0, 20.0]),
)


def _tokens(raw: list[tuple[str, float, float]], space: bool = True) -> list[Token]:
    out, at = [], 0.0
    for n, (word, per_char, silence) in enumerate(raw):
        at += silence
        length = round(per_char * len(word), 3)
        out.append(Token(word, round(at, 3), round(at + length, 3), space and n > 0))
        at += length
    return out


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(STREAM, SETTINGS)
def test_property_every_cue_keeps_the_hard_rules_and_every_word(raw: list[tuple[str, float, float]],
                                                                 chosen: SubtitleSettings) -> None:  # fmt: skip
    assert_readable(_tokens(raw), rules_for("en", chosen))


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(list("我们今天讨论预算计划，。的了是在")), st.floats(0.1, 0.4),
                          st.sampled_from([0.0, 0.0, 0.1, 1.5])), min_size=1, max_size=150))  # fmt: skip
def test_property_chinese_streams_keep_the_hard_rules(raw: list[tuple[str, float, float]]) -> None:
    assert_readable(_tokens(raw, space=False), rules_for("zh"))


def test_srt_and_vtt_of_shaped_cues_parse_with_the_libraries() -> None:
    toks = stream(("lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 20).split())
    cues = shape(toks, rules_for("en"))
    assert len(list(srt.parse(render_srt(cues)))) == len(cues)
    assert len(webvtt.from_buffer(io.StringIO(render_vtt(cues, karaoke=True))).captions) == len(cues)
