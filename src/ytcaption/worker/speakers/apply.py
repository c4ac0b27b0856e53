"""The worker's one call: label a finished transcript with its speakers, when the job asked."""

from __future__ import annotations

import time
from pathlib import Path

from ytcaption.domain.options import JobOptions
from ytcaption.domain.transcript import Transcript


def with_speakers(transcript: Transcript, audio: Path, options: JobOptions) -> Transcript:
    """The transcript with `speaker` on segments and words (split at changes); unchanged when
    `speakers` is off. The words stay (subtitles are shaped from them; the JSON shows them only if
    the job asked: domain.formats.render_all)."""
    if options.speakers is None or not transcript.segments:
        return transcript
    from threadpoolctl import threadpool_limits

    from ytcaption.worker.speakers.assign import label_transcript
    from ytcaption.worker.speakers.diarize import diarize
    from ytcaption.worker.transcribe import decode_range

    started = time.perf_counter()
    samples = decode_range(audio, 0.0, transcript.duration + 1.0)
    # One BLAS thread: the LSTM's matrices are small, and threads contending for cores made it 10x slower.
    with threadpool_limits(limits=1, user_api="blas"):
        diarization = diarize(samples, options.speakers)
    labelled = label_transcript(transcript, diarization)
    if labelled.timings:
        spent = time.perf_counter() - started
        timings = labelled.timings.model_copy(update={"diarization_seconds": round(spent, 3)})
        labelled = labelled.model_copy(update={"timings": timings})
    return labelled
