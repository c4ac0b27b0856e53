"""Run faster-whisper on a file and build our transcript, reporting progress."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ytcaption.domain.errors import ErrorCode, YtcError
from ytcaption.domain.job import JobOptions
from ytcaption.domain.transcript import Segment, Timings, Transcript, Word
from ytcaption.domain.vocabulary import whisper_language
from ytcaption.worker import models as whisper_models

# Called with the fraction done (0..1); returning False stops the work.
ProgressCallback = Callable[[float], bool]


class Interrupted(Exception):
    """The progress callback asked to stop (shutdown or cancellation)."""


@dataclass(frozen=True)
class Device:
    device: str
    compute_type: str
    cpu_threads: int


def choose_device(threads: int = 0) -> Device:
    """float16 on a GPU, int8 on the CPU, with as many threads as cores we may use."""
    import ctranslate2

    cores = threads or len(os.sched_getaffinity(0))
    if ctranslate2.get_cuda_device_count() > 0:
        return Device("cuda", "float16", cores)
    return Device("cpu", "int8", cores)


class ModelCache:
    """Loads each model once per process and keeps it."""

    def __init__(self, cache_dir: Path, threads: int = 0, cuda_batch_size: int = 0, cpu_batch_size: int = 0) -> None:
        self.cache_dir = cache_dir
        self.device = choose_device(threads)
        # Batched decoding: the batch size for the device this process found, 0 for none.
        self.batch_size = cuda_batch_size if self.device.device == "cuda" else cpu_batch_size
        self._models: dict[str, Any] = {}
        self._batched: dict[str, Any] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> tuple[Any, float]:
        """The loaded model and the seconds spent loading it now (0 if cached)."""
        with self._lock:
            if name in self._models:
                return self._models[name], 0.0
            started = time.perf_counter()
            folder = whisper_models.resolve(name, self.cache_dir)
            from faster_whisper import WhisperModel

            try:
                model = WhisperModel(
                    folder,
                    device=self.device.device,
                    compute_type=self.device.compute_type,
                    cpu_threads=self.device.cpu_threads,
                )
            except Exception as exc:
                raise YtcError(ErrorCode.MODEL_UNAVAILABLE, f"Model '{name}' could not be loaded: {exc}") from exc
            self._models[name] = model
            return model, time.perf_counter() - started

    def batched(self, name: str) -> Any:
        """faster-whisper's BatchedInferencePipeline over the loaded model (made once)."""
        model, _ = self.get(name)
        with self._lock:
            if name not in self._batched:
                from faster_whisper import BatchedInferencePipeline

                self._batched[name] = BatchedInferencePipeline(model)
            return self._batched[name]


def decode_range(path: Path, start: float, end: float, rate: int = 16000) -> Any:
    """The audio of [start, end) seconds as 16 kHz mono float32, decoding only from a seek near `start`."""
    import av
    import numpy as np

    pieces: list[Any] = []
    first: float | None = None
    resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
    with av.open(str(path), metadata_errors="ignore") as container:
        stream = container.streams.audio[0]
        if start > 0 and stream.time_base:
            container.seek(int(start / stream.time_base), stream=stream, backward=True, any_frame=False)
        for frame in container.decode(stream):
            when = float(frame.time) if frame.time is not None else 0.0
            if first is None:
                first = min(when, start)
            if when > end:
                break
            for out in resampler.resample(frame):
                pieces.append(out.to_ndarray().reshape(-1))
    if not pieces:
        return np.zeros(0, dtype=np.float32)
    samples = np.concatenate(pieces).astype(np.float32) / 32768.0
    skip = max(0, round((start - (first or 0.0)) * rate))
    return samples[skip : skip + round((end - start) * rate)]


def detect_language(models: ModelCache, model_name: str, audio: Any) -> str:
    """The language of the first speech in `audio` (English for an English-only model)."""
    model, _ = models.get(model_name)
    if not model.model.is_multilingual:
        return "en"
    language, _, _ = model.detect_language(audio, vad_filter=True)
    return str(language)


def transcribe(
    models: ModelCache,
    audio: Path | Any,
    options: JobOptions,
    progress: ProgressCallback | None = None,
) -> Transcript:
    model, load_seconds = models.get(options.model)
    started = time.perf_counter()
    language = whisper_language(options.language) if options.language else None
    if language and not model.model.is_multilingual and language != "en":
        raise YtcError(
            ErrorCode.TRANSCRIPTION_FAILED,
            f"Model '{options.model}' only understands English; choose a multilingual model for '{options.language}'.",
        )
    runner, extra = model, {}
    batch_size = int(getattr(models, "batch_size", 0) or 0)
    if batch_size and options.vad:
        # VAD segments decoded in batches (vad_filter is what cuts them): on a GPU, or a CPU set to.
        runner, extra = models.batched(options.model), {"batch_size": batch_size}
    try:
        segments, info = runner.transcribe(
            str(audio) if isinstance(audio, Path) else audio,
            language=language,
            task=options.task,
            beam_size=options.beam_size,
            vad_filter=options.vad,
            # Subtitles are shaped from word timings (domain.captions): always kept; the option only
            # says whether the JSON shows them (domain.formats.render_all).
            word_timestamps=True,
            # Vocabulary hints: the first window's prompt, and hotwords that stay in every window's prompt.
            initial_prompt=options.prompt,
            hotwords=options.prompt,
            **extra,
        )
        result: list[Segment] = []
        for segment in segments:
            result.append(_segment(len(result), segment))
            if progress and info.duration and not progress(min(1.0, float(segment.end) / float(info.duration))):
                raise Interrupted()
        # All of it is decoded: the last word may end well before the file does (trailing silence, and
        # word timings end at the word, not at the window's last timestamp), so say so.
        if progress and not progress(1.0):
            raise Interrupted()
    except (Interrupted, YtcError):
        raise
    except Exception as exc:
        raise YtcError(ErrorCode.TRANSCRIPTION_FAILED, f"The audio could not be transcribed: {exc}") from exc
    return Transcript(
        language=info.language,
        language_probability=round(float(info.language_probability), 4),
        duration=round(float(info.duration), 3),
        model=options.model,
        task=options.task,
        segments=result,
        timings=Timings(
            audio_seconds=round(float(info.duration), 3),
            processing_seconds=round(time.perf_counter() - started, 3),
            model_load_seconds=round(load_seconds, 3),
        ),
    )


def _segment(index: int, segment: Any) -> Segment:
    words = None
    if segment.words:
        words = [
            Word(
                start=round(float(w.start), 3),
                end=round(float(w.end), 3),
                word=w.word,
                probability=round(float(w.probability), 4),
            )
            for w in segment.words
        ]
    return Segment(
        id=index,
        start=round(float(segment.start), 3),
        end=round(float(segment.end), 3),
        text=segment.text.strip(),
        words=words,
        avg_logprob=round(float(segment.avg_logprob), 4),
        no_speech_prob=round(float(segment.no_speech_prob), 4),
    )
