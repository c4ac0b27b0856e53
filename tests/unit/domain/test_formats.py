"""ytcaption.domain.formats: JSON, plain text, SubRip and WebVTT renderings of a transcript."""

from __future__ import annotations

import datetime as dt
import html
import io
import json

import pytest
import srt
import webvtt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ytcaption.domain.formats import RENDERERS, render_all, to_json, to_srt, to_txt, to_vtt
from ytcaption.domain.transcript import Segment, Timings, Transcript


def make_transcript(spans: list[tuple[float, float, str]], **kwargs: object) -> Transcript:
    fields: dict[str, object] = {
        "language": "en",
        "language_probability": 0.98,
        "duration": max((end for _, end, _ in spans), default=0.0),
        "model": "tiny.en",
    }
    fields.update(kwargs)
    segments = [Segment(id=i, start=s, end=e, text=t) for i, (s, e, t) in enumerate(spans)]
    return Transcript(segments=segments, **fields)


def parse_vtt(text: str) -> webvtt.WebVTT:
    # strict: a malformed cue block raises instead of being silently dropped.
    return webvtt.from_buffer(io.StringIO(text), strict=True)


def seconds(delta: dt.timedelta) -> float:
    return delta.total_seconds()


# -- timestamps -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "srt_ts", "vtt_ts"),
    [
        (0.0, "00:00:00,000", "00:00:00.000"),
        (1.0, "00:00:01,000", "00:00:01.000"),
        (3661.5, "01:01:01,500", "01:01:01.500"),
        (59.9996, "00:01:00,000", "00:01:00.000"),
        (59.9994, "00:00:59,999", "00:00:59.999"),
        (3599.9999, "01:00:00,000", "01:00:00.000"),
        (0.0126, "00:00:00,013", "00:00:00.013"),
        (86399.999, "23:59:59,999", "23:59:59.999"),
        (-0.5, "00:00:00,000", "00:00:00.000"),
    ],
)
def test_start_timestamp(start: float, srt_ts: str, vtt_ts: str) -> None:
    t = make_transcript([(start, start + 2.0, "hello")])
    srt_timing = to_srt(t).splitlines()[1]
    vtt_timing = to_vtt(t).splitlines()[2]
    assert srt_timing.startswith(f"{srt_ts} --> ")
    assert vtt_timing.startswith(f"{vtt_ts} --> ")


def test_rounding_never_writes_sixty_seconds_or_minutes() -> None:
    t = make_transcript([(59.9996, 3599.99995, "a"), (119.9999, 7199.9999, "b")])
    for out in (to_srt(t), to_vtt(t)):
        for line in out.splitlines():
            if "-->" not in line:
                continue
            for stamp in line.split(" --> "):
                _hours, mm, rest = stamp.split(":")
                assert int(mm) < 60, line
                assert int(rest[:2]) < 60, line
    assert "00:01:00,000 --> 01:00:00,000" in to_srt(t)
    assert "00:02:00.000 --> 02:00:00.000" in to_vtt(t)


def test_exact_srt_document() -> None:
    t = make_transcript([(0.0, 1.25, " Hello there. "), (1.25, 3661.5, "General Kenobi!")])
    assert to_srt(t) == (
        "1\n00:00:00,000 --> 00:00:01,250\nHello there.\n\n2\n00:00:01,250 --> 01:01:01,500\nGeneral Kenobi!\n"
    )


def test_exact_vtt_document() -> None:
    t = make_transcript([(0.0, 1.25, " Hello there. "), (1.25, 3661.5, "General Kenobi!")])
    assert to_vtt(t) == (
        "WEBVTT\n\n00:00:00.000 --> 00:00:01.250\nHello there.\n\n00:00:01.250 --> 01:01:01.500\nGeneral Kenobi!\n"
    )


# -- SRT --------------------------------------------------------------------------


def test_srt_round_trips_through_the_srt_library() -> None:
    spans = [(0.0, 2.5, "First line."), (2.5, 4.0, "Second\nsplit line."), (3661.5, 3662.75, "Late.")]
    subs = list(srt.parse(to_srt(make_transcript(spans))))
    assert [s.index for s in subs] == [1, 2, 3]
    assert [seconds(s.start) for s in subs] == [0.0, 2.5, 3661.5]
    assert [seconds(s.end) for s in subs] == [2.5, 4.0, 3662.75]
    assert [s.content for s in subs] == ["First line.", "Second\nsplit line.", "Late."]


def test_srt_indexes_are_consecutive_after_skipping_empty_segments() -> None:
    t = make_transcript([(0, 1, "a"), (1, 2, "   "), (2, 3, ""), (3, 4, "\n\n"), (4, 5, "b")])
    subs = list(srt.parse(to_srt(t)))
    assert [(s.index, s.content) for s in subs] == [(1, "a"), (2, "b")]
    assert [seconds(s.start) for s in subs] == [0.0, 4.0]


def test_srt_has_no_vtt_escaping() -> None:
    t = make_transcript([(0, 1, "Tom & Jerry <b>bold</b> 1 > 0")])
    (sub,) = srt.parse(to_srt(t))
    assert sub.content == "Tom & Jerry <b>bold</b> 1 > 0"
    assert "&amp;" not in to_srt(t)


def test_empty_transcript_renders_empty_documents() -> None:
    t = make_transcript([])
    assert to_srt(t) == ""
    assert to_txt(t) == ""
    assert to_vtt(t) == "WEBVTT\n"
    assert list(srt.parse(to_srt(t))) == []
    assert len(parse_vtt(to_vtt(t))) == 0


# -- VTT --------------------------------------------------------------------------


def test_vtt_starts_with_header_and_parses() -> None:
    spans = [(0.0, 2.5, "First line."), (2.5, 4.0, "Second\nsplit line."), (3661.5, 3662.75, "Late.")]
    out = to_vtt(make_transcript(spans))
    assert out.startswith("WEBVTT\n")
    captions = parse_vtt(out).captions
    assert [c.start for c in captions] == ["00:00:00.000", "00:00:02.500", "01:01:01.500"]
    assert [c.end for c in captions] == ["00:00:02.500", "00:00:04.000", "01:01:02.750"]
    assert [c.text for c in captions] == ["First line.", "Second\nsplit line.", "Late."]


def test_vtt_can_be_read_from_a_file(tmp_path) -> None:
    path = tmp_path / "t.vtt"
    path.write_text(to_vtt(make_transcript([(1.0, 2.0, "one"), (2.0, 3.0, "two")])), encoding="utf-8")
    captions = webvtt.read(str(path)).captions
    assert [(c.start_in_seconds, c.text) for c in captions] == [(1, "one"), (2, "two")]


def test_vtt_escapes_markup_characters() -> None:
    t = make_transcript([(0, 1, "Tom & Jerry <b>bold</b> 1 > 0")])
    out = to_vtt(t)
    assert "Tom &amp; Jerry &lt;b&gt;bold&lt;/b&gt; 1 &gt; 0" in out
    assert "<b>" not in out
    (caption,) = parse_vtt(out).captions
    assert caption.raw_text == "Tom &amp; Jerry &lt;b&gt;bold&lt;/b&gt; 1 &gt; 0"


def test_vtt_escapes_an_existing_entity_again() -> None:
    # "&amp;" in the spoken text is literal text: it must show as "&amp;", so "&" is escaped.
    out = to_vtt(make_transcript([(0, 1, "&amp;")]))
    assert "&amp;amp;" in out


# -- cue structure ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "before --> after",
        "-->",
        "a-->b-->c",
        "first\n\nsecond",
        "first\n \t\nsecond",
        "first\r\n\r\nsecond",
        "1\n00:00:05,000 --> 00:00:06,000\nfake cue",
        "00:00:05.000 --> 00:00:06.000",
        "NOTE this is not a comment",
        "\n\nleading and trailing blank lines\n\n",
    ],
)
def test_hostile_text_keeps_one_cue_per_segment(text: str) -> None:
    t = make_transcript([(0.0, 1.0, "before"), (1.0, 2.0, text), (2.0, 3.0, "after")])

    subs = list(srt.parse(to_srt(t)))
    assert len(subs) == 3
    assert [seconds(s.start) for s in subs] == [0.0, 1.0, 2.0]
    assert subs[0].content == "before"
    assert subs[2].content == "after"
    assert "-->" not in subs[1].content
    assert "\n\n" not in subs[1].content
    assert subs[1].content.strip()

    captions = parse_vtt(to_vtt(t)).captions
    assert len(captions) == 3
    assert [c.start for c in captions] == ["00:00:00.000", "00:00:01.000", "00:00:02.000"]
    assert captions[0].text == "before"
    assert captions[2].text == "after"
    assert "-->" not in captions[1].raw_text


def test_arrow_is_replaced_not_dropped() -> None:
    t = make_transcript([(0, 1, "a --> b")])
    (sub,) = srt.parse(to_srt(t))
    assert sub.content == "a \u2192 b"
    assert "a \u2192 b" in to_vtt(t)
    assert to_txt(t) == "a \u2192 b\n"


def test_blank_lines_inside_a_segment_are_collapsed() -> None:
    t = make_transcript([(0, 1, "  one  \n\n\n  two  ")])
    (sub,) = srt.parse(to_srt(t))
    assert sub.content == "one\ntwo"
    assert to_txt(t) == "one two\n"


def test_empty_text_segments_are_skipped_everywhere() -> None:
    t = make_transcript([(0, 1, ""), (1, 2, " \n\t "), (2, 3, "kept")])
    assert to_txt(t) == "kept\n"
    assert [s.content for s in srt.parse(to_srt(t))] == ["kept"]
    assert [c.text for c in parse_vtt(to_vtt(t)).captions] == ["kept"]
    assert json.loads(to_json(t))["text"] == "kept"


@pytest.mark.parametrize("start", [0.0, 1.0, 12.345, 3661.5, 59.9996])
def test_zero_length_segment_gets_a_positive_duration(start: float) -> None:
    t = make_transcript([(start, start, "blip")])
    (sub,) = srt.parse(to_srt(t))
    assert sub.end > sub.start
    (caption,) = parse_vtt(to_vtt(t)).captions
    assert caption.end_time.in_milliseconds() > caption.start_time.in_milliseconds()


def test_end_before_start_is_clamped_to_after_start() -> None:
    (sub,) = srt.parse(to_srt(make_transcript([(5.0, 4.0, "backwards")])))
    assert seconds(sub.start) == 5.0
    assert seconds(sub.end) == 5.001


@pytest.mark.parametrize(("start", "end"), [(0.0015, 0.0015), (0.0055, 0.0055), (10.0015, 10.0015), (0.0015, 0.0025)])
def test_zero_length_segment_at_half_millisecond(start: float, end: float) -> None:
    (sub,) = srt.parse(to_srt(make_transcript([(start, end, "blip")])))
    assert sub.end > sub.start


# -- TXT and JSON -------------------------------------------------------------------


def test_txt_one_line_per_segment() -> None:
    t = make_transcript([(0, 1, " Hello. "), (1, 2, "multi\nline"), (2, 3, "Bye & <out>")])
    assert to_txt(t) == "Hello.\nmulti line\nBye & <out>\n"


def test_json_contains_the_transcript_and_real_time_factor() -> None:
    t = make_transcript(
        [(0.0, 1.5, " Hello. "), (1.5, 3.0, ""), (3.0, 4.0, "World")],
        language="de",
        duration=4.0,
        model="small",
        timings=Timings(audio_seconds=4.0, processing_seconds=1.0, model_load_seconds=0.5),
    )
    data = json.loads(to_json(t))
    assert data["text"] == "Hello. World"
    assert data["language"] == "de"
    assert data["duration"] == 4.0
    assert data["model"] == "small"
    assert data["task"] == "transcribe"
    assert [s["start"] for s in data["segments"]] == [0.0, 1.5, 3.0]
    assert [s["text"] for s in data["segments"]] == [" Hello. ", "", "World"]
    # None fields are left out.
    assert "words" not in data["segments"][0]
    assert data["timings"] == {
        "audio_seconds": 4.0,
        "processing_seconds": 1.0,
        "model_load_seconds": 0.5,
        "real_time_factor": 0.25,
    }
    assert to_json(t).endswith("}\n")


def test_json_real_time_factor_is_rounded_and_zero_for_no_audio() -> None:
    t = make_transcript([(0, 1, "x")], timings=Timings(audio_seconds=3.0, processing_seconds=1.0))
    assert json.loads(to_json(t))["timings"]["real_time_factor"] == 0.3333
    t0 = make_transcript([(0, 1, "x")], timings=Timings(audio_seconds=0.0, processing_seconds=1.0))
    assert json.loads(to_json(t0))["timings"]["real_time_factor"] == 0.0


def test_json_without_timings_has_no_timings_key() -> None:
    data = json.loads(to_json(make_transcript([(0, 1, "x")])))
    assert "timings" not in data


def test_json_keeps_unicode_unescaped() -> None:
    out = to_json(make_transcript([(0, 1, "Grüße, 世界")]))
    assert "Grüße, 世界" in out
    assert json.loads(out)["text"] == "Grüße, 世界"


def test_render_all_gives_every_format() -> None:
    t = make_transcript([(0, 1, "x")])
    rendered = render_all(t)
    assert set(rendered) == {"json", "txt", "srt", "vtt"} == set(RENDERERS)
    assert rendered["srt"] == to_srt(t)
    assert rendered["vtt"] == to_vtt(t)
    assert rendered["txt"] == to_txt(t)
    assert rendered["json"] == to_json(t)


# -- property -----------------------------------------------------------------

HOSTILE = st.sampled_from(["-->", "<b>", "</b>", "&", "\n", "\n\n", "\r\n", " ", "\t", "1", "NOTE", "\u2028"])
TEXTS = st.lists(st.one_of(st.text(max_size=8), HOSTILE), max_size=6).map("".join)
SEGMENTS = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=300_000, allow_nan=False, allow_infinity=False),
        st.floats(min_value=0, max_value=3_600, allow_nan=False, allow_infinity=False),
        TEXTS,
    ),
    max_size=8,
)
HALF_MS = 0.0005 + 1e-6  # a rendered time is within half a millisecond of the true time


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(SEGMENTS)
def test_property_srt_and_vtt_have_one_cue_per_nonempty_segment(raw: list[tuple[float, float, str]]) -> None:
    t = make_transcript([(start, start + length, text) for start, length, text in raw])
    kept = [s for s in t.segments if s.text.strip()]

    subs = list(srt.parse(to_srt(t)))
    assert len(subs) == len(kept)
    for sub, seg in zip(subs, kept, strict=True):
        assert abs(seconds(sub.start) - seg.start) <= HALF_MS
        assert abs(seconds(sub.end) - max(seg.end, seg.start + 0.001)) <= HALF_MS
        assert sub.end >= sub.start
        assert sub.content.strip()
        assert "-->" not in sub.content
        # A blank line would end the cue for most players (the srt library itself is lenient).
        assert all(line.strip() for line in sub.content.split("\n"))
        assert sub.content.split() == seg.text.replace("-->", "\u2192").split()

    out = to_vtt(t)
    assert out.startswith("WEBVTT")
    captions = parse_vtt(out).captions
    assert len(captions) == len(kept)
    for caption, sub in zip(captions, subs, strict=True):
        assert caption.start_time.in_milliseconds() == sub.start // dt.timedelta(milliseconds=1)
        assert caption.end_time.in_milliseconds() == sub.end // dt.timedelta(milliseconds=1)
        assert "<" not in caption.raw_text
        assert ">" not in caption.raw_text
        assert html.unescape(caption.raw_text) == sub.content
