"""Where people speak, and the windows the encoder hears.

Silero VAD (shipped inside faster-whisper) finds speech regions, split at short
pauses so a region rarely spans two speakers. Long regions are cut into
overlapping windows of the encoder's 1.6 s; a short region is one window of its
own length (the LSTM takes any length), so a 1 s turn is heard on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ytcaption.worker.speakers.features import HOP, SAMPLE_RATE

WINDOW_FRAMES = 160  # 1.6 s: the encoder's training length
STEP_FRAMES = 160  # windows do not overlap: every speech frame is heard once (the LSTM costs ~3 MFLOP a frame)
MIN_FRAMES = 30  # shorter speech says too little about a voice


@dataclass(frozen=True)
class Window:
    region: int
    start: int  # mel frame
    end: int

    @property
    def seconds(self) -> tuple[float, float]:
        return self.start * HOP / SAMPLE_RATE, self.end * HOP / SAMPLE_RATE


def speech_regions(audio: np.ndarray, min_silence_ms: int = 250) -> list[tuple[float, float]]:
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_silence_duration_ms=min_silence_ms, speech_pad_ms=30)
    return [(s["start"] / SAMPLE_RATE, s["end"] / SAMPLE_RATE) for s in get_speech_timestamps(audio, options)]


def windows(regions: list[tuple[float, float]]) -> list[Window]:
    out: list[Window] = []
    for index, (start_s, end_s) in enumerate(regions):
        start, end = round(start_s * SAMPLE_RATE / HOP), round(end_s * SAMPLE_RATE / HOP)
        length = end - start
        if length < MIN_FRAMES:
            continue
        if length <= WINDOW_FRAMES + STEP_FRAMES // 2:
            out.append(Window(index, start, end))
            continue
        starts = list(range(start, end - WINDOW_FRAMES + 1, STEP_FRAMES))
        if starts[-1] + WINDOW_FRAMES < end:
            starts.append(end - WINDOW_FRAMES)
        out += [Window(index, s, s + WINDOW_FRAMES) for s in starts]
    return out
