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

# Prose that never repeats itself (STORY * 3 does): a benchmark on repeated text measures Whisper's
# repetition loops, not the cost being compared.
HARBOUR = (
    "The harbour town woke slowly under a grey sky. Fishermen checked their nets while the baker opened his "
    "shutters and the smell of fresh bread drifted along the quay. A delivery van, late as usual, rattled over "
    "the cobbles towards the market square. Later that morning the council met to discuss the new bridge. Some "
    "members worried about the cost, which had doubled since the first estimate, while others argued that the "
    "old crossing was no longer safe for heavy lorries. After two hours of debate they agreed to ask an "
    "independent engineer for a report before the end of the month. In the afternoon a small crowd gathered at "
    "the library for a talk about migrating birds. The speaker explained how swallows find their way across "
    "deserts and seas, using the sun, the stars and the earth's magnetic field. Children asked whether birds "
    "ever get lost, and she smiled and said that some do, but most return to the very same barn every spring."
)


def espeak(text: str, path: Path, speed: int = 140, voice: str = "en-us") -> Path:
    if shutil.which("espeak-ng") is None:
        raise RuntimeError("espeak-ng is not installed (make test installs it: apt-get install espeak-ng)")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text], check=True)
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


_UNITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
          "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")  # fmt: skip
_TENS = {word: 10 * (i + 2) for i, word in enumerate(
    ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"))}  # fmt: skip
_NUMBER_WORDS = {**{word: i for i, word in enumerate(_UNITS)}, **_TENS}


def _numbers_as_digits(words: list[str]) -> list[str]:
    """Spelled-out numbers as digits ("twenty five" -> "25", "one thousand two hundred" -> "1200")."""
    out: list[str] = []
    total, group, active = 0, None, False  # the number being read: its thousands, and the rest

    def flush() -> None:
        nonlocal total, group, active
        if active:
            out.append(str(total + (group or 0)))
        total, group, active = 0, None, False

    for word in words:
        value = _NUMBER_WORDS.get(word)
        if value is not None:
            joins = group is None or (group >= 100 and group % 100 == 0)  # "two hundred five", "thousand five"
            joins = joins or (value < 10 and group is not None and group % 100 >= 20 and group % 10 == 0)
            if active and joins:
                group = (group or 0) + value
            else:
                flush()
                active, group = True, value
        elif word == "hundred" and active and group is not None and 0 < group < 10:
            group *= 100
        elif word == "thousand" and active and group is not None and total == 0:
            total, group = group * 1000, None
        else:
            flush()
            out.append(word)
    flush()
    return out


def normalise(text: str, numbers: bool = True) -> list[str]:
    """Lower case, punctuation removed, numbers as digits: what a word error rate should compare.

    Numbers are compared as digits on both sides (as Whisper's own English normaliser does): "ten
    cents", "10 cents" and "$0.10" are one transcript written three ways, not a recognition error.
    `numbers=False` keeps them as written (the WER before this rule, for comparison).
    """
    text = text.lower().replace("-", " ")
    if not numbers:
        return re.sub(r"[^a-z0-9' ]+", " ", text).split()
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)  # 1,000 -> 1000
    text = re.sub(r"\$0?\.(\d\d)\b", lambda m: f"{int(m.group(1))} cents", text)  # $0.10, $.10 -> 10 cents
    text = re.sub(r"\$(\d+)\.(\d\d)\b", lambda m: f"{m.group(1)} dollars {int(m.group(2))} cents", text)
    text = re.sub(r"\$(\d+)", r"\1 dollars", text)
    text = re.sub(r"(\d+)\s*¢", r"\1 cents", text)
    return _numbers_as_digits(re.sub(r"[^a-z0-9' ]+", " ", text).split())


def word_error_rate(reference: str, hypothesis: str, numbers: bool = True) -> float:
    import jiwer

    return float(jiwer.wer(" ".join(normalise(reference, numbers)), " ".join(normalise(hypothesis, numbers))))


def long_recording(folder: Path, seconds: float, pause: float = 1.2, speed: int = 175) -> tuple[Path, str]:
    """espeak-ng passages ("Part <n>. " + a known text) joined with pauses, at least `seconds` long
    (a 16-bit mono WAV); and the text spoken."""
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
    return write_wav(folder / "long.wav", pieces, rate), " ".join(texts)


def write_wav(path: Path, pieces: list[Any], rate: int) -> Path:
    """16-bit mono PCM pieces, joined, as a WAV file."""
    import wave

    import numpy as np

    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.concatenate(pieces).astype(np.int16).tobytes())
    return path
