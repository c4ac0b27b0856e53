"""Whisper beside other work: how much a little CPU use next to it slows faster-whisper on CPU, with
CTranslate2's OpenMP threads spinning while they wait (libgomp's default) and waiting passively
(OMP_WAIT_POLICY=PASSIVE, which ytcaption.worker sets).

In the local pipeline the emulator, its Lambdas and the client spend ~0.8 CPU-s during a 7-s job on the
worker's cores (benchmarks/pipeline_overhead.py). Here that is stood in for by a process that computes
4 ms of every 35 (~11 % of one core), beside raw faster-whisper on the same ≥ 2-minute espeak-ng clip.
Each policy runs in a process of its own (libgomp reads the policy once, when it loads); rounds
alternate quiet and loaded, and the result is the median of each and their ratio, per policy.

    python benchmarks/whisper_contention.py [--model tiny.en] [--rounds 4]

Writes benchmarks/results/whisper_contention.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# The other work: busy for BUSY_SECONDS, then asleep for IDLE_SECONDS, until killed.
BUSY_SECONDS, IDLE_SECONDS = 0.004, 0.031
_BUSY = f"""
import time
while True:
    started = time.perf_counter()
    while time.perf_counter() - started < {BUSY_SECONDS}:
        pass
    time.sleep({IDLE_SECONDS})
"""
POLICIES = {"spin (libgomp default)": "", "passive": "PASSIVE"}


def measure(args: argparse.Namespace) -> None:
    """(--measure) In this process's policy: quiet and loaded runs, alternated; one JSON line."""
    from ytcaption.domain.options import JobOptions
    from ytcaption.settings import get_settings
    from ytcaption.worker.transcribe import ModelCache, transcribe

    models, options = ModelCache(Path(get_settings().model_cache_dir)), JobOptions(model=args.model)
    transcribe(models, Path(args.clip), options)  # warm
    runs: dict[str, list[float]] = {"quiet": [], "loaded": []}
    for _ in range(args.rounds):
        for mode in runs:
            other = subprocess.Popen([sys.executable, "-c", _BUSY]) if mode == "loaded" else None
            started = time.perf_counter()
            transcribe(models, Path(args.clip), options)
            runs[mode].append(round(time.perf_counter() - started, 3))
            if other:
                other.kill()
                other.wait()
    print(json.dumps({"policy": os.environ.get("OMP_WAIT_POLICY", ""), "runs": runs}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "whisper_contention.json")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--clip", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args)
        return
    from benchmarks.pipeline_overhead import make_clip

    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="ytc-bench-") as tmp:
        clip, duration = make_clip(Path(tmp))
        for name, policy in POLICIES.items():
            env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
            if policy:
                env["OMP_WAIT_POLICY"] = policy
            else:
                # ytcaption.worker sets PASSIVE unless a value is given: libgomp's default, spelled out.
                env["OMP_WAIT_POLICY"] = "ACTIVE"
            argv = [sys.executable, __file__, "--measure", "--clip", str(clip), "--model", args.model,
                    "--rounds", str(args.rounds)]  # fmt: skip
            line = subprocess.run(argv, env=env, check=True, capture_output=True, text=True).stdout.splitlines()[-1]
            runs = json.loads(line)["runs"]
            quiet, loaded = statistics.median(runs["quiet"]), statistics.median(runs["loaded"])
            results[name] = {
                "seconds": runs,
                "median_quiet_seconds": round(quiet, 3),
                "median_loaded_seconds": round(loaded, 3),
                "loaded_over_quiet": round(loaded / quiet, 4),
            }
            print(name, results[name], flush=True)
    result = {
        "benchmark": "whisper_contention",
        "model": args.model,
        "audio_seconds": round(duration, 2),
        "rounds": args.rounds,
        "other_work": {
            "busy_seconds": BUSY_SECONDS,
            "idle_seconds": IDLE_SECONDS,
            "share_of_one_core": round(BUSY_SECONDS / (BUSY_SECONDS + IDLE_SECONDS), 3),
        },
        "policies": results,
        "passive_over_spin_quiet": round(
            results["passive"]["median_quiet_seconds"] / results["spin (libgomp default)"]["median_quiet_seconds"], 4
        ),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
