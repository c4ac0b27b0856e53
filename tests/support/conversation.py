"""A conversation with known speakers: espeak-ng voices take alternating turns.

Three clearly different voices (accent variant, male/female variant, pitch),
turns of mixed length including 1-2 s ones, pauses between turns: a 16 kHz
mono WAV and the turns with their start and end times, to score diarization.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from tests.support.audio import write_wav

RATE = 16000
# Chosen by the encoder's own similarities among eleven espeak-ng voices: windows of one of these
# voices average ~0.8-0.9 cosine, across them <= 0.62. (en-us+m3, en-gb+f2 and en-sc+m7 reach 0.76
# across: espeak's variants of one synthesizer sound alike to a speaker encoder.)
VOICES = (
    ("en-us+f4", 90),  # high female
    ("en-gb-x-rp+m1", 10),  # low male, British
    ("en-us+klatt4", 60),  # the Klatt synthesizer
)

TURNS = (
    (0, "Welcome back to the show. Today we are talking about how small towns keep their libraries open."),
    (1, "Thanks for having me. It is a pleasure to be here."),
    (2, "Absolutely, I agree with that."),
    (0, "Let us start with the budget. Where does the money come from?"),
    (1, "Mostly from local taxes, and a few grants from the state every other year."),
    (2, "And from volunteers, who give their weekends to run the reading programs for children."),
    (0, "Really? Tell me more."),
    (1, "Yes, really, every week."),
    (2, "We counted more than two hundred volunteers last spring, which surprised everyone."),
    (0, "That is remarkable. What would you tell a town that is thinking of closing its branch?"),
    (1, "Visit it first, on a Saturday."),
    (2, "Talk to the people who use it every single day, then decide."),
    (0, "Good advice. Thank you both for coming in today."),
)


@dataclass(frozen=True)
class Turn:
    speaker: int
    text: str
    start: float
    end: float


def _speak(text: str, voice: str, pitch: int, path: Path) -> np.ndarray:
    subprocess.run(["espeak-ng", "-v", voice, "-p", str(pitch), "-s", "165", "-w", str(path), text], check=True)
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        chunks = [
            out.to_ndarray().reshape(-1) for frame in container.decode(audio=0) for out in resampler.resample(frame)
        ]
        chunks += [out.to_ndarray().reshape(-1) for out in resampler.resample(None)]
    audio = np.concatenate(chunks).astype(np.int16)
    # espeak pads each utterance with silence: trim it, so turn boundaries are the speech itself.
    loud = np.flatnonzero(np.abs(audio) > 300)
    return audio[loud[0] : loud[-1] + 1] if loud.size else audio


def conversation(folder: Path, repeats: int = 1, pause: float = 0.5, rotate: bool = False) -> tuple[Path, list[Turn]]:
    """The turns `repeats` times over, joined with `pause` seconds of silence. `rotate`: each round
    hands every line to the next voice (round r: voice (s + r) mod 3) and opens with "Part r", so the
    same words come from every voice over the rounds and a label must follow the voice, not the text."""
    pieces: list[np.ndarray] = []
    turns: list[Turn] = []
    clock = 0.0
    silence = np.zeros(int(RATE * pause), np.int16)
    for round_ in range(repeats):
        for index, (speaker, text) in enumerate(TURNS):
            if rotate:
                speaker = (speaker + round_) % len(VOICES)
                text = f"Part {round_ + 1}. {text}" if index == 0 else text
            voice, pitch = VOICES[speaker]
            audio = _speak(text, voice, pitch, folder / f"turn-{round_}-{index}.wav")
            pieces += [audio, silence]
            turns.append(Turn(speaker, text, clock, clock + len(audio) / RATE))
            clock += (len(audio) + len(silence)) / RATE
    return write_wav(folder / "conversation.wav", pieces, RATE), turns


def speaker_at(turns: list[Turn], time: float) -> int | None:
    """The true speaker at a time (None in a pause)."""
    for turn in turns:
        if turn.start <= time <= turn.end:
            return turn.speaker
    return None


def best_mapping_accuracy(truth: list[int], labels: list[str]) -> float:
    """Share of items whose label maps to the true speaker, under the best one-to-one mapping."""
    from itertools import permutations

    names = sorted(set(labels))
    speakers = sorted(set(truth))
    best = 0
    slots = max(len(names), len(speakers))
    padded = speakers + [-1 - i for i in range(slots - len(speakers))]
    for perm in permutations(padded, len(names)):
        mapping = dict(zip(names, perm, strict=True))
        best = max(best, sum(1 for t, lab in zip(truth, labels, strict=True) if mapping[lab] == t))
    return best / len(truth) if truth else 0.0
