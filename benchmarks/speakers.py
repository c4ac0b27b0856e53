"""Speaker labels: what they cost beside the transcription they label.

An espeak-ng conversation of three voices (tests/support/conversation.py, its turns
`--repeats` times over) is decoded once, as the worker does, transcribed with Whisper
(`--model`, CPU, int8) from those samples, then labelled with speakers (`auto`) from the
same samples (no second decoding in the diarization's time). Reports the diarization's
time as a share of the transcription's on the same file (goal <= 15 % on CPU with base), the memory it adds
(RSS growth and the numpy peak, tracemalloc), the install size it adds (the
resemblyzer wheel's files installed --no-deps, threadpoolctl), how many words got
the right speaker, the word-to-speaker look-up at an hour's scale (2,250 windows,
10,000 words), and a long job's whole-job clustering at scale on synthetic voices
(2,000 windows in one stage; 9,000, four hours of speech, in two stages over 96 chunks).

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
from ytcaption.worker.speakers.apply import decoded, with_speakers  # noqa: E402
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


def _hour_lookup_seconds() -> float:
    """Who spoke at each of 10,000 word midpoints among an hour's 2,250 windows of 1.6 s."""
    import numpy as np

    from ytcaption.worker.speakers.diarize import Diarization

    starts = np.arange(2250) * 1.6
    diarization = Diarization(starts, starts + 1.6, np.arange(2250) % 3, 3)
    times = np.sort(np.random.default_rng(0).uniform(0, 3600, 10_000)).tolist()
    started = time.perf_counter()
    diarization.speakers_at(times)
    return time.perf_counter() - started


def _merge_cluster_seconds() -> dict[str, float]:
    """A long job's clustering (worker.speakers.cluster.agglomerate_in_groups) on four synthetic
    voices whose windows average ~0.77 cosine, as the encoder's do: one stage at its limit, and two
    stages for four hours of speech."""
    import numpy as np

    from ytcaption.worker.speakers.cluster import DIRECT_LIMIT, agglomerate_in_groups

    rng = np.random.default_rng(0)
    out = {}
    for n in (DIRECT_LIMIT, 9000):
        centres = rng.standard_normal((4, 256))
        centres /= np.linalg.norm(centres, axis=1, keepdims=True)
        rows = centres[rng.integers(4, size=n)] + 0.035 * rng.standard_normal((n, 256))
        rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        groups = [np.arange(i, min(i + 94, n)) for i in range(0, n, 94)]  # 150 s chunks
        started = time.perf_counter()
        found = agglomerate_in_groups(rows, groups).max() + 1
        out[f"{n}_windows{'_two_stages' if n > DIRECT_LIMIT else '_one_stage'}"] = round(
            time.perf_counter() - started, 3
        )
        out[f"{n}_windows_speakers_found_of_4"] = int(found)
    return out


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
        samples = decoded(path)
        decode_s = time.perf_counter() - started
        started = time.perf_counter()
        heard = transcribe(models, samples, options)
        transcription_s = time.perf_counter() - started

        rss_before = _rss_mb()
        tracemalloc.start()
        started = time.perf_counter()
        labelled = with_speakers(heard, samples, options)
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
    lookup_s = _hour_lookup_seconds()
    merge_clustering = _merge_cluster_seconds()
    result: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load_avg": os.getloadavg()},
        "model": args.model,
        "threads": args.threads,
        "audio_seconds": round(heard.duration, 2),
        "decode_seconds_once_for_both": round(decode_s, 2),
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
        "lookup_seconds_2250_windows_10000_words": round(lookup_s, 3),
        "long_job_clustering_seconds_synthetic": merge_clustering,
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
