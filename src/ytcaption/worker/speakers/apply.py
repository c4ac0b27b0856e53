"""The worker's one call for a whole file: label a finished transcript with its speakers, when the job asked."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ytcaption.domain.options import JobOptions
from ytcaption.domain.transcript import Transcript


def decoded(audio: Path) -> Any:
    """The whole file as 16 kHz mono float32, decoded as faster-whisper decodes a path itself: the
    runner decodes once and hands the samples to both Whisper and the speaker engine."""
    from faster_whisper.audio import decode_audio

    return decode_audio(str(audio), sampling_rate=16000)


def with_speakers(transcript: Transcript, audio: Path | Any, options: JobOptions) -> Transcript:
    """The transcript with `speaker` on segments and words (split at changes); unchanged when
    `speakers` is off. `audio`: the samples Whisper heard (or their file, decoded here). The words
    stay (subtitles are shaped from them; the JSON shows them only if the job asked:
    domain.formats.render_all)."""
    if options.speakers is None or not transcript.segments:
        return transcript
    from threadpoolctl import threadpool_limits

    from ytcaption.worker.speakers.assign import label_transcript
    from ytcaption.worker.speakers.diarize import diarize

    started = time.perf_counter()
    samples = decoded(audio) if isinstance(audio, Path) else audio
    # One BLAS thread: the LSTM's matrices are small, and threads contending for cores made it 10x slower.
    with threadpool_limits(limits=1, user_api="blas"):
        diarization = diarize(samples, options.speakers)
    labelled = label_transcript(transcript, diarization)
    return timed(labelled, time.perf_counter() - started)


def timed(transcript: Transcript, seconds: float) -> Transcript:
    """The transcript with the diarization's seconds in its timings."""
    if not transcript.timings:
        return transcript
    timings = transcript.timings.model_copy(update={"diarization_seconds": round(seconds, 3)})
    return transcript.model_copy(update={"timings": timings})
