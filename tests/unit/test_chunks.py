"""Long audio: the chunk plan (cuts in silences, overlap where none) and the merge (by time)."""

from __future__ import annotations

import itertools
import math
import wave
from pathlib import Path

import numpy as np
import pytest

from ytcaption.domain.chunks import Chunk, merge, plan_chunks, shifted
from ytcaption.domain.transcript import Segment, Transcript, Word
from ytcaption.fetch.silence import find_silences

PLAN = {"target": 150.0, "search": 20.0, "overlap": 2.0, "min_silence": 0.3, "timeout_floor": 900,
        "timeout_per_second": 3.0, "queue_wait": 86400}  # fmt: skip


def test_cuts_fall_in_the_silence_nearest_the_target() -> None:
    silences = [(100.0, 101.0), (155.0, 156.0), (290.0, 292.0), (305.0, 306.0)]
    chunks = plan_chunks(620, silences, **PLAN)  # type: ignore[arg-type]
    cuts = [c.cut_end for c in chunks[:-1]]
    assert cuts[0] == 155.5 and cuts[1] == 305.5
    assert chunks[0].start == 0 and chunks[-1].end == 620
    for a, b in itertools.pairwise(chunks):
        assert a.cut_end == b.cut_start
    assert all(c.timeout_seconds == 900 + int(c.seconds * 3) for c in chunks)
    assert all(c.wait_seconds == c.timeout_seconds + 86400 for c in chunks)
    assert [c.index for c in chunks] == list(range(len(chunks)))


def test_without_silence_near_a_cut_the_chunks_overlap() -> None:
    chunks = plan_chunks(350, [], **PLAN)  # type: ignore[arg-type]
    assert len(chunks) == 2
    first, second = chunks
    assert first.cut_end == 150 and first.end == 151 and second.start == 149 and second.cut_start == 150


def test_short_silences_and_the_tail_are_not_chunked_apart() -> None:
    chunks = plan_chunks(200, [(150.0, 150.1)], **PLAN)  # type: ignore[arg-type]
    assert len(chunks) == 1 and chunks[0].end == 200


def _segment(start: float, words: list[tuple[float, float, str]]) -> Segment:
    ws = [Word(start=a, end=b, word=" " + w, probability=0.9) for a, b, w in words]
    return Segment(id=0, start=start, end=ws[-1].end, text=" ".join(w for _, _, w in words), words=ws)


def _part(segments: list[Segment]) -> Transcript:
    return Transcript(language="en", language_probability=1.0, duration=0, model="tiny.en", segments=segments)


def test_merge_keeps_each_word_once_across_an_overlapped_cut() -> None:
    first = Chunk(index=0, start=0, end=11, cut_start=0, cut_end=10, timeout_seconds=1, wait_seconds=1)
    second = Chunk(index=1, start=9, end=20, cut_start=10, cut_end=20, timeout_seconds=1, wait_seconds=1)
    # Both chunks heard the words around the cut at 10 s.
    a = _part([_segment(0, [(1, 2, "one"), (8.5, 9.5, "two"), (9.8, 10.4, "three"), (10.5, 10.9, "four")])])
    b = _part([_segment(9, [(9.2, 9.5, "two"), (9.8, 10.4, "three"), (10.5, 10.9, "four"), (15, 16, "five")])])
    merged = merge([first, second], [a, b], 20)
    assert merged.text.split() == ["one", "two", "three", "four", "five"]
    assert [s.id for s in merged.segments] == [0, 1]
    starts = [s.start for s in merged.segments]
    assert starts == sorted(starts)
    assert merged.duration == 20


def test_shifted_moves_a_chunk_into_the_files_time() -> None:
    part = _part([_segment(1, [(1, 2, "hello")])])
    moved = shifted(part, 300)
    assert moved.segments[0].start == 301 and moved.segments[0].words
    assert moved.segments[0].words[0].end == 302


def _tone_with_pauses(path: Path, pattern: list[tuple[float, bool]]) -> Path:
    rate = 16000
    parts = []
    for seconds, loud in pattern:
        n = int(seconds * rate)
        t = np.arange(n) / rate
        signal = 0.3 * np.sin(2 * math.pi * 220 * t) if loud else 0.0005 * np.random.default_rng(0).standard_normal(n)
        parts.append(signal)
    samples = (np.concatenate(parts) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return path


def test_silences_are_found_by_energy(tmp_path: Path) -> None:
    wav = _tone_with_pauses(tmp_path / "a.wav", [(3, True), (1, False), (2, True), (0.1, False), (2, True)])
    found = find_silences(wav, 0.3)
    assert len(found) == 1
    start, end = found[0]
    assert start == pytest.approx(3, abs=0.05) and end == pytest.approx(4, abs=0.05)
