"""Real speech for tests: espeak-ng speaks a known text, PyAV encodes it."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import av

MEETING = (
    "Good morning and welcome to the weekly project meeting. Today we will review the budget for the "
    "next quarter, discuss the new hiring plan, and agree on the release date for the mobile application. "
    "Please send your questions to the team before Friday. Thank you all for joining us today."
)

STORY = (
    "The library opens at nine in the morning and closes at six in the evening. Students can borrow up to "
    "five books at a time for two weeks. Late returns cost ten cents per day. The reading room on the second "
    "floor is quiet and has power outlets at every desk. Ask the front desk for a visitor card if you are "
    "new here. The coffee shop next door offers a discount to library members on weekdays. "
)


def espeak(text: str, path: Path, speed: int = 140) -> Path:
    if shutil.which("espeak-ng") is None:
        raise RuntimeError("espeak-ng is not installed (make test installs it: apt-get install espeak-ng)")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", str(speed), "-w", str(path), text], check=True)
    return path


def _mux(out: Any, stream: Any, frames: Iterable[Any]) -> None:
    """Encode the frames into the stream, flush it, and mux every packet."""
    for frame in frames:
        frame.pts = None
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode(None):
        out.mux(packet)


def encode(src: Path, dst: Path, codec: str, container: str | None = None, rate: int | None = None) -> Path:
    """Re-encode audio with PyAV (libmp3lame, aac, libopus...)."""
    with av.open(str(src)) as inp, av.open(str(dst), "w", format=container) as out:
        in_stream = inp.streams.audio[0]
        _mux(out, out.add_stream(codec, rate=rate or in_stream.rate), inp.decode(in_stream))
    return dst


def video_with_audio(src: Path, dst: Path) -> Path:
    """An mp4 with a small video track and the speech as AAC."""
    import numpy as np

    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        in_audio = inp.streams.audio[0]
        duration = float(in_audio.duration * in_audio.time_base)
        video = out.add_stream("mpeg4", rate=5)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        audio = out.add_stream("aac", rate=in_audio.rate)
        pictures = (
            av.VideoFrame.from_ndarray(np.full((48, 64, 3), i % 255, dtype=np.uint8), format="rgb24")
            for i in range(int(duration * 5) + 1)
        )
        _mux(out, video, pictures)
        _mux(out, audio, inp.decode(in_audio))
    return dst


def normalise(text: str) -> list[str]:
    """Lower case, punctuation removed: what a word error rate should compare."""
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " ")).split()


def word_error_rate(reference: str, hypothesis: str) -> float:
    import jiwer

    return float(jiwer.wer(" ".join(normalise(reference)), " ".join(normalise(hypothesis))))


def long_recording(folder: Path, seconds: float, pause: float = 1.2, speed: int = 175) -> tuple[Path, str]:
    """espeak-ng passages ("Part <n>. " + a known text) joined with pauses, at least `seconds` long
    (a 16-bit mono WAV); and the text spoken."""
    import wave

    import numpy as np

    pieces: list[Any] = []
    texts: list[str] = []
    rate, total, number = 22050, 0.0, 0
    while total < seconds:
        number += 1
        text = f"Part {number}. " + (STORY if number % 2 else MEETING)
        wav = espeak(text, folder / f"passage-{number}.wav", speed=speed)
        with av.open(str(wav)) as container:
            stream = container.streams.audio[0]
            rate = stream.rate
            audio = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(stream)])
        pieces += [audio.astype(np.int16), np.zeros(int(rate * pause), dtype=np.int16)]
        texts.append(text)
        total += len(audio) / rate + pause
    path = folder / "long.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.concatenate(pieces).tobytes())
    return path, " ".join(texts)
