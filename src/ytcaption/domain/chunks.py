"""Long audio: the plan of a job's chunks, and the merge of their transcripts.

A file longer than a threshold is cut into chunks of about a target length.
Each cut falls in a silence found near the target (never inside a word); where
no silence is near, the chunks overlap a little around the cut and the merge
decides by time: what starts before the cut belongs to the chunk before it.

Every chunk owns the span [cut_start, cut_end) of the file; it decodes
[start, end), which is wider only where it overlaps a neighbour.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from ytcaption.domain.transcript import Segment, Timings, Transcript, Word

Silence = tuple[float, float]  # start, end in seconds


class Chunk(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    index: int
    start: float  # what the worker decodes
    end: float
    cut_start: float  # what this chunk owns in the merged transcript
    cut_end: float
    timeout_seconds: int  # the chunk's own time limit, from its length
    # The chunk task's backstop in the state machine: the queue wait plus its time limit.
    wait_seconds: int

    @property
    def seconds(self) -> float:
        return self.end - self.start


def find_cut(silences: Sequence[Silence], target: float, search: float, min_silence: float) -> float | None:
    """The middle of the silence nearest `target` (within `search` either side), or None."""
    best: tuple[float, float] | None = None
    for start, end in silences:
        if end - start < min_silence or end < target - search or start > target + search:
            continue
        middle = (start + end) / 2
        middle = min(max(middle, target - search), target + search)
        distance = abs(middle - target)
        if best is None or distance < best[0]:
            best = (distance, middle)
    return None if best is None else best[1]


def plan_chunks(
    duration: float,
    silences: Sequence[Silence],
    *,
    target: float,
    search: float,
    overlap: float,
    min_silence: float,
    timeout_floor: int,
    timeout_per_second: float,
    queue_wait: int,
) -> list[Chunk]:
    """Cut [0, duration) into chunks of about `target` seconds at silences."""
    cuts: list[tuple[float, bool]] = []  # the cut, and whether it fell in a silence
    position = 0.0
    while duration - position > target * 1.5:
        wanted = position + target
        cut = find_cut(silences, wanted, search, min_silence)
        cuts.append((round(cut, 3), True) if cut is not None else (round(wanted, 3), False))
        position = cuts[-1][0]
    bounds = [(0.0, True), *cuts, (round(duration, 3), True)]
    chunks = []
    for index in range(len(bounds) - 1):
        (left, left_silent), (right, right_silent) = bounds[index], bounds[index + 1]
        start = left if left_silent else max(0.0, left - overlap / 2)
        end = right if right_silent else min(duration, right + overlap / 2)
        timeout = timeout_floor + int((end - start) * timeout_per_second)
        chunks.append(
            Chunk(index=index, start=round(start, 3), end=round(end, 3), cut_start=left, cut_end=right,
                  timeout_seconds=timeout, wait_seconds=timeout + queue_wait)
        )  # fmt: skip
    return chunks


def _owned(chunk: Chunk, start: float, end: float, last: bool) -> bool:
    middle = (start + end) / 2
    return chunk.cut_start <= middle and (middle < chunk.cut_end or last)


def merge(chunks: Sequence[Chunk], parts: Sequence[Transcript], duration: float) -> Transcript:
    """One transcript from the chunks' (times already in the file's time): each chunk keeps
    what lies in its own span (words by their middle), segments are renumbered."""
    if not parts:
        raise ValueError("nothing to merge")
    segments: list[Segment] = []
    processing = 0.0
    for chunk, part in sorted(zip(chunks, parts, strict=True), key=lambda pair: pair[0].index):
        last = chunk.index == len(chunks) - 1
        for segment in part.segments:
            if segment.words:
                words: list[Word] = [w for w in segment.words if _owned(chunk, w.start, w.end, last)]
                if not words:
                    continue
                if len(words) != len(segment.words):
                    segment = segment.model_copy(
                        update={"words": words, "start": words[0].start, "end": words[-1].end,
                                "text": "".join(w.word for w in words).strip()}
                    )  # fmt: skip
            elif not _owned(chunk, segment.start, segment.end, last):
                continue
            segments.append(segment.model_copy(update={"id": len(segments)}))
        if part.timings:
            processing += part.timings.processing_seconds
    first = parts[0]
    segments.sort(key=lambda s: (s.start, s.end))
    segments = [s.model_copy(update={"id": i}) for i, s in enumerate(segments)]
    return Transcript(
        language=first.language,
        language_probability=first.language_probability,
        duration=round(duration, 3),
        model=first.model,
        task=first.task,
        segments=segments,
        timings=Timings(audio_seconds=round(duration, 3), processing_seconds=round(processing, 3)),
    )


def shifted(transcript: Transcript, offset: float) -> Transcript:
    """The transcript of a chunk decoded from `offset`, in the file's time."""

    def at(t: float) -> float:
        return round(t + offset, 3)

    segments = [
        s.model_copy(
            update={
                "start": at(s.start),
                "end": at(s.end),
                "words": [w.model_copy(update={"start": at(w.start), "end": at(w.end)}) for w in s.words]
                if s.words
                else s.words,
            }
        )
        for s in transcript.segments
    ]
    return transcript.model_copy(update={"segments": segments})
