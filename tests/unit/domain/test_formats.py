"""ytcaption.domain.formats: JSON, plain text, SubRip and WebVTT renderings of a transcript."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
import srt
import webvtt

from ytcaption.domain.formats import render_all, to_json, to_srt, to_txt, to_vtt
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
    t = make_transcript([(59.9996, 61.0, "a"), (119.9999, 121.0, "b")])
    for out in (to_srt(t), to_vtt(t)):
        for line in out.splitlines():
            if "-->" not in line:
                continue
            for stamp in line.split(" --> "):
                _hours, mm, rest = stamp.split(":")
                assert int(mm) < 60, line
                assert int(rest[:2]) < 60, line
    assert "00:01:00,000 --> 00:01:01,000" in to_srt(t)
    assert "00:02:00.000 --> 00:02:01.000" in to_vtt(t)


def test_exact_srt_and_vtt_documents() -> None:
    t = make_transcript([(0.0, 1.25, " Hello there. "), (3.25, 5.5, "General Kenobi!")])
    assert to_srt(t) == (
        "1\n00:00:00,000 --> 00:00:01,250\nHello there.\n\n2\n00:00:03,250 --> 00:00:05,500\nGeneral Kenobi!\n"
    )
    assert to_vtt(t) == (
        "WEBVTT\n\n00:00:00.000 --> 00:00:01.250\nHello there.\n\n00:00:03.250 --> 00:00:05.500\nGeneral Kenobi!\n"
    )


def test_srt_has_no_vtt_escaping_and_vtt_escapes_markup() -> None:
    t = make_transcript([(0, 3, "Tom & Jerry <b>bold</b> 1 > 0")])
    (sub,) = srt.parse(to_srt(t))
    assert sub.content == "Tom & Jerry <b>bold</b> 1 > 0"
    (caption,) = parse_vtt(to_vtt(t)).captions
    assert caption.raw_text == "Tom &amp; Jerry &lt;b&gt;bold&lt;/b&gt; 1 &gt; 0"
    # "&amp;" in the spoken text is literal text: it must show as "&amp;", so "&" is escaped again.
    assert "&amp;amp;" in to_vtt(make_transcript([(0, 1, "&amp;")]))


def test_empty_transcript_renders_empty_documents() -> None:
    t = make_transcript([(0, 1, "   "), (1, 2, "\n\t")])
    assert to_srt(t) == ""
    assert to_txt(t) == ""
    assert to_vtt(t) == "WEBVTT\n"
    assert len(parse_vtt(to_vtt(t))) == 0


@pytest.mark.parametrize(
    "text",
    ["before --> after", "-->", "a-->b-->c", "first\n\nsecond", "first\r\n\r\nsecond",
     "1\n00:00:05,000 --> 00:00:06,000\nfake cue", "00:00:05.000 --> 00:00:06.000", "NOTE this is not a comment"],
)  # fmt: skip
def test_hostile_text_never_breaks_a_cue_and_loses_no_word(text: str) -> None:
    t = make_transcript([(0.0, 1.0, "before."), (3.0, 4.0, text), (6.0, 7.0, "after.")])
    subs = list(srt.parse(to_srt(t)))
    assert [s.content for s in (subs[0], subs[-1])] == ["before.", "after."]
    assert all("-->" not in s.content and "\n\n" not in s.content and s.content.strip() for s in subs)
    assert " ".join(s.content for s in subs).split() == f"before. {text} after.".replace("-->", "\u2192").split()
    captions = parse_vtt(to_vtt(t)).captions
    assert len(captions) == len(subs) and all("-->" not in c.raw_text for c in captions)


@pytest.mark.parametrize("start", [0.0, 1.0, 12.345, 3661.5, 59.9996])
def test_zero_length_word_gets_the_minimum_duration(start: float) -> None:
    (sub,) = srt.parse(to_srt(make_transcript([(start, start, "blip")])))
    assert sub.end - sub.start == dt.timedelta(milliseconds=833)


# -- TXT and JSON -------------------------------------------------------------------


def test_txt_is_paragraphs_split_at_long_pauses() -> None:
    t = make_transcript([(0, 1, " Hello. "), (1, 2, "multi\nline"), (5, 6, "Bye & <out>")])
    assert to_txt(t) == "Hello. multi line\n\nBye & <out>\n"


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
    assert set(rendered) == {"json", "txt", "srt", "vtt"}
    assert rendered["srt"] == to_srt(t)
    assert rendered["vtt"] == to_vtt(t)
    assert rendered["txt"] == to_txt(t)
    assert rendered["json"] == to_json(t)
