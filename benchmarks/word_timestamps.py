"""What keeping word timestamps costs: faster-whisper with and without them, same run, same clip.

The worker always decodes word timestamps now (subtitles are shaped from words), so this is the
price of readable subtitles. A ~90 s espeak-ng clip, the multilingual `base` model (int8, beam 5,
VAD, the worker's settings), runs alternated (without, with, without, with...) so machine noise hits
both alike; the result is the median of the per-pair ratios. Also measured: the shaping itself
(words -> SRT and VTT) on this clip and on a synthetic 3-hour stream of words.

    python benchmarks/word_timestamps.py [--model base] [--pairs 3] [--threads 2]

Writes benchmarks/results/word_timestamps.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from tests.support.audio import STORY, espeak  # noqa: E402
from ytcaption.domain.captions import rules_for, shape  # noqa: E402
from ytcaption.domain.captions.words import Token  # noqa: E402
from ytcaption.domain.formats import to_srt, to_vtt  # noqa: E402
from ytcaption.domain.transcript import Segment, Transcript, Word  # noqa: E402
from ytcaption.settings import get_settings  # noqa: E402
from ytcaption.worker.transcribe import ModelCache  # noqa: E402


def decode(model: object, clip: Path, words: bool) -> tuple[float, list[object]]:
    started = time.perf_counter()
    segments, _ = model.transcribe(str(clip), beam_size=5, vad_filter=True, word_timestamps=words)  # type: ignore[attr-defined]
    result = list(segments)
    return time.perf_counter() - started, result


def synthetic_words(count: int) -> list[Token]:
    rng = random.Random(7)
    vocabulary = ["the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog,", "and", "then", "it", "sleeps.",
                  "Mr.", "Smith", "came", "home"]  # fmt: skip
    out, at = [], 0.0
    for n in range(count):
        word = rng.choice(vocabulary)
        at += rng.choice([0.0, 0.05, 0.1, 0.3, 1.2]) if n % 7 == 0 else 0.02
        length = 0.06 * len(word) + 0.05
        out.append(Token(word, round(at, 3), round(at + length, 3), n > 0))
        at += length
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="base")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    cache = ModelCache(Path(get_settings().model_cache_dir), args.threads)
    model, load_seconds = cache.get(args.model)
    with tempfile.TemporaryDirectory() as tmp:
        clip = espeak(STORY * 3, Path(tmp) / "clip.wav")
        import av

        with av.open(str(clip)) as container:
            duration = float(container.duration or 0) / av.time_base
        decode(model, clip, False)  # warm-up, not counted
        without, with_words, ratios = [], [], []
        segments: list[object] = []
        for _ in range(args.pairs):
            plain, _ = decode(model, clip, False)
            worded, segments = decode(model, clip, True)
            without.append(plain)
            with_words.append(worded)
            ratios.append(worded / plain)
    transcript = Transcript(
        language="en", language_probability=1.0, duration=duration, model=args.model,
        segments=[Segment(id=i, start=s.start, end=s.end, text=s.text,  # type: ignore[attr-defined]
                          words=[Word(start=w.start, end=w.end, word=w.word, probability=w.probability)
                                 for w in s.words])
                  for i, s in enumerate(segments)],
    )  # fmt: skip
    started = time.perf_counter()
    to_srt(transcript), to_vtt(transcript)
    clip_shaping = time.perf_counter() - started
    long_words = synthetic_words(27_000)  # about 3 hours at 150 words a minute
    started = time.perf_counter()
    cues = shape(long_words, rules_for("en"))
    long_shaping = time.perf_counter() - started
    result = {
        "what": "faster-whisper with and without word timestamps, alternated in one run; median of per-pair ratios",
        "host": {"machine": platform.machine(), "cpus": os.cpu_count(), "load_average": os.getloadavg()},
        "model": args.model,
        "compute": {
            "device": cache.device.device,
            "compute_type": cache.device.compute_type,
            "cpu_threads": cache.device.cpu_threads,
            "beam_size": 5,
            "vad": True,
        },
        "clip_seconds": round(duration, 1),
        "pairs": args.pairs,
        "model_load_seconds": round(load_seconds, 2),
        "without_words": {
            "seconds": [round(s, 2) for s in without],
            "rtf_median": round(statistics.median(without) / duration, 4),
        },
        "with_words": {
            "seconds": [round(s, 2) for s in with_words],
            "rtf_median": round(statistics.median(with_words) / duration, 4),
        },
        "with_over_without_median": round(statistics.median(ratios), 3),
        "shaping": {
            "clip_srt_and_vtt_seconds": round(clip_shaping, 3),
            "clip_words": sum(len(s.words or []) for s in transcript.segments),
            "three_hours_words": len(long_words),
            "three_hours_cues": len(cues),
            "three_hours_seconds": round(long_shaping, 2),
        },
    }
    out = ROOT / "benchmarks" / "results" / "word_timestamps.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
