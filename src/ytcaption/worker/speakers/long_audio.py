"""Speakers of a chunked (long) job: the same person keeps one label across every chunk cut.

Each chunk's worker hears the voices of the audio it already decoded (`hear_chunk`: speech windows
and their embeddings, in the file's time) and stores them beside the chunk's transcript. The worker
that merges the chunks clusters the whole job's voices once (`label_merged`), each chunk keeping the
windows it owns as it keeps its words, and labels every word of the merged transcript.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ytcaption.domain.chunks import Chunk
from ytcaption.domain.speakers import SpeakerSetting
from ytcaption.domain.transcript import Transcript
from ytcaption.worker.speakers.features import HOP, SAMPLE_RATE
from ytcaption.worker.speakers.regions import WINDOW_FRAMES
from ytcaption.worker.speakers.voices import Voices


def hear_chunk(samples: Any, chunk: Chunk) -> tuple[Voices, float]:
    """The voices of a chunk's samples (decoded from chunk.start), in the file's time; and the seconds spent.

    Only what the chunk owns, [cut_start, cut_end), and a window either side is heard: the merge keeps
    the windows whose middle lies in what the chunk owns (Voices.within), and the overlap with the
    neighbours is theirs; embedding it too was work thrown away."""
    from threadpoolctl import threadpool_limits

    from ytcaption.worker.speakers.diarize import hear

    started = time.perf_counter()
    margin = WINDOW_FRAMES * HOP / SAMPLE_RATE
    first = max(0, int((chunk.cut_start - margin - chunk.start) * SAMPLE_RATE))
    last = max(first, int((chunk.cut_end + margin - chunk.start) * SAMPLE_RATE))
    # One BLAS thread, as for a whole file (worker.speakers.apply).
    with threadpool_limits(limits=1, user_api="blas"):
        voices = hear(samples[first:last]).shifted(chunk.start + first / SAMPLE_RATE)
    return voices, time.perf_counter() - started


def label_merged(
    transcript: Transcript, plan: Sequence[Chunk], voices: Sequence[Voices], setting: SpeakerSetting,
    heard_seconds: float = 0.0,
) -> Transcript:  # fmt: skip
    """The merged transcript labelled from every chunk's voices, clustered as one job.
    `heard_seconds`: what the chunks spent hearing their voices, added to the diarization's time."""
    from ytcaption.worker.speakers.apply import timed
    from ytcaption.worker.speakers.assign import label_transcript
    from ytcaption.worker.speakers.diarize import cluster

    started = time.perf_counter()
    last = max(c.index for c in plan)
    owned = [v.within(c.cut_start, c.cut_end, c.index == last) for c, v in zip(plan, voices, strict=True)]
    joined = Voices.joined(owned)
    offsets = np.cumsum([0] + [len(v) for v in owned])
    groups = [np.arange(offsets[i], offsets[i + 1]) for i in range(len(owned))]
    diarization = cluster(joined, setting, groups)
    labelled = label_transcript(transcript, diarization)
    return timed(labelled, heard_seconds + time.perf_counter() - started)
