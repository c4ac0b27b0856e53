"""Speaker labels: what they cost beside the transcription they label.

An espeak-ng conversation of three voices (tests/support/conversation.py, its turns
`--repeats` times over) is transcribed with Whisper (`--model`, CPU, int8), then
labelled with speakers (`auto`). Reports the diarization's time as a share of the
transcription's on the same file (goal <= 15 % on CPU with base), the memory it adds
(RSS growth and the numpy peak, tracemalloc), the install size it adds (the
resemblyzer wheel's files installed --no-deps, threadpoolctl), and how many words got
the right speaker.

    python benchmarks/speakers.py [--model base] [--repeats 2] [--threads 2]

Measured, never asserted. Writes benchmarks/results/speakers.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.support.conversation import best_mapping_accuracy, conversation, speaker_at  # noqa: E402
from ytcaption.domain.options import JobOptions  # noqa: E402
from ytcaption.worker.speakers.apply import with_speakers  # noqa: E402
from ytcaption.worker.transcribe import ModelCache, transcribe  # noqa: E402


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _package_mb(name: str) -> float | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations)))
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20, 2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="base")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path, turns = conversation(Path(tmp), repeats=args.repeats)
        options = JobOptions(model=args.model, word_timestamps=True, speakers="auto")
        models = ModelCache(Path(os.environ.get("YTC_MODEL_CACHE_DIR", Path(tmp) / "models")), args.threads)
        models.get(args.model)  # loaded before the clock starts
        started = time.perf_counter()
        heard = transcribe(models, path, options)
        transcription_s = time.perf_counter() - started

        rss_before = _rss_mb()
        tracemalloc.start()
        started = time.perf_counter()
        labelled = with_speakers(heard, path, options)
        diarization_s = time.perf_counter() - started
        numpy_peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        rss_after = _rss_mb()

    truth, labels = [], []
    for segment in labelled.segments:
        for word in segment.words or []:
            mid = (word.start + word.end) / 2
            who = speaker_at(turns, mid)
            if who is None:
                who = min(turns, key=lambda t: min(abs(t.start - mid), abs(t.end - mid))).speaker
            truth.append(who)
            labels.append(word.speaker or "none")
    result: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load_avg": os.getloadavg()},
        "model": args.model,
        "threads": args.threads,
        "audio_seconds": round(heard.duration, 2),
        "transcription_seconds": round(transcription_s, 2),
        "diarization_seconds": round(diarization_s, 2),
        "diarization_share_of_transcription": round(diarization_s / transcription_s, 4),
        "goal_share": 0.15,
        "diarization_real_time_factor": round(diarization_s / heard.duration, 4),
        "memory_added_mb": {
            "rss_growth": round(rss_after - rss_before, 1),
            "numpy_peak_tracemalloc": round(numpy_peak_mb, 1),
            "process_peak_rss": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        },
        "install_added_mb": {"resemblyzer_no_deps": _package_mb("resemblyzer"), "threadpoolctl": 0.05},
        "speakers_true": len({t.speaker for t in turns}),
        "speakers_found": len(set(labels)),
        "words": len(truth),
        "word_speaker_accuracy": round(best_mapping_accuracy(truth, labels), 4),
    }
    out = ROOT / "benchmarks" / "results" / "speakers.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
