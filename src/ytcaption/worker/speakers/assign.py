"""Speakers onto a transcript: each word gets the speaker heard at its midpoint,
and a segment is split wherever its words change speaker."""

from __future__ import annotations

from ytcaption.domain.speakers import label
from ytcaption.domain.transcript import Segment, Transcript, Word
from ytcaption.worker.speakers.diarize import Diarization


def _renumber(speakers: list[int | None]) -> dict[int, str]:
    """Labels by first appearance in the transcript: "Speaker 1" speaks first."""
    names: dict[int, str] = {}
    for speaker in speakers:
        if speaker is not None and speaker not in names:
            names[speaker] = label(len(names))
    return names


def _fill(speakers: list[int | None]) -> list[int | None]:
    """A word the diarization could not place takes its neighbour's speaker (the one before, else after)."""
    out = list(speakers)
    for i in range(1, len(out)):
        if out[i] is None:
            out[i] = out[i - 1]
    for i in range(len(out) - 2, -1, -1):
        if out[i] is None:
            out[i] = out[i + 1]
    return out


def _split(segment: Segment, words: list[Word], speakers: list[int | None], names: dict[int, str]) -> list[Segment]:
    runs: list[tuple[int | None, list[Word]]] = []
    for word, speaker in zip(words, _fill(speakers), strict=True):
        if runs and runs[-1][0] == speaker:
            runs[-1][1].append(word)
        else:
            runs.append((speaker, [word]))
    out = []
    for speaker, run in runs:
        name = names.get(speaker) if speaker is not None else None
        out.append(
            segment.model_copy(
                update={
                    "start": run[0].start,
                    "end": run[-1].end,
                    "text": "".join(w.word for w in run).strip(),
                    "words": [w.model_copy(update={"speaker": name}) for w in run],
                    "speaker": name,
                }
            )
        )
    return out


def label_transcript(transcript: Transcript, diarization: Diarization) -> Transcript:
    """Words labelled, segments split at changes; a segment without words is labelled at its midpoint."""
    spans = [
        [(w.start, w.end) for w in segment.words] if segment.words else [(segment.start, segment.end)]
        for segment in transcript.segments
    ]
    # One look-up for every word's midpoint (windows found by bisection, not scanned per word).
    found = iter(diarization.speakers_at([(a + b) / 2 for each in spans for a, b in each]))
    placed = [(segment, [next(found) for _ in each]) for segment, each in zip(transcript.segments, spans, strict=True)]
    names = _renumber([s for _, speakers in placed for s in speakers])
    segments: list[Segment] = []
    for segment, speakers in placed:
        if segment.words:
            segments += _split(segment, segment.words, speakers, names)
        else:
            name = names.get(speakers[0]) if speakers[0] is not None else None
            segments.append(segment.model_copy(update={"speaker": name}))
    segments = [s.model_copy(update={"id": i}) for i, s in enumerate(segments)]
    return transcript.model_copy(update={"segments": segments})
