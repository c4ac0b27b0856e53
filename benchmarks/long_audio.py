"""Long audio: a ~30-minute recording transcribed whole on one worker, then chunked on two workers,
each worker limited to one core (YTC_WORKER_THREADS=1), through the whole local pipeline, in one run.

    python benchmarks/long_audio.py [--minutes 30] [--model tiny.en]

Reports the wall time (upload to COMPLETED) and the WER of each, the per-chunk timings of the
chunked run, and the wall time projected for 4/8/16/32 workers: the chunks' measured processing
times scheduled longest first on N workers, plus the chunked run's measured overhead (fetch, the
silence analysis, queueing, the merge). Measured, never asserted. Writes
benchmarks/results/long_audio.json.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.audio import long_recording, word_error_rate  # noqa: E402
from ytcaption import resources  # noqa: E402
from ytcaption.domain.job import JobOptions, JobStatus  # noqa: E402
from ytcaption.intake.submit import follow, submit_file  # noqa: E402
from ytcaption.local.runtime import LocalRuntime, RuntimeConfig, free_port  # noqa: E402
from ytcaption.settings import get_settings  # noqa: E402
from ytcaption.store import aws  # noqa: E402
from ytcaption.store.jobs import JobStore  # noqa: E402


def makespan(durations: list[float], workers: int) -> float:
    """Longest-first onto the least loaded worker: when the last chunk ends."""
    loads = [0.0] * workers
    for duration in sorted(durations, reverse=True):
        heapq.heapreplace(loads, loads[0] + duration)
    return max(loads)


def run(audio: Path, text: str, model: str, workers: int, chunked: bool, state: Path) -> dict[str, Any]:
    settings = {
        "YTC_DEFAULT_MODEL": model,
        "YTC_POLL_WAIT_SECONDS": "1",
        # Whole: no chunking at all; chunked: the defaults (600 s threshold, ~150 s chunks).
        **({} if chunked else {"YTC_CHUNK_THRESHOLD_SECONDS": "1000000"}),
    }
    runtime = LocalRuntime(
        RuntimeConfig(
            port=free_port(),
            workers=0,
            state_dir=state,
            settings=settings,
            worker_env={"HF_HUB_OFFLINE": "1", "YTC_WORKER_THREADS": "1"},
        )
    )
    try:
        runtime.up()
        procs = [runtime.start_worker() for _ in range(workers)]
        time.sleep(10)  # the workers load their model before the clock starts
        store = JobStore(resources.TABLE)
        started = time.monotonic()
        job_id = submit_file(audio, JobOptions(model=model), f"bench-{int(started)}", get_settings())
        job = follow(job_id, store, timeout=3 * 3600, interval=0.5)
        wall = time.monotonic() - started
        assert job is not None and job.status == JobStatus.COMPLETED, job
        assert job.result is not None
        body = aws.client("s3").get_object(Bucket=resources.BUCKET, Key=job.result["keys"]["txt"])["Body"]
        transcript = body.read().decode("utf-8")
        chunks = [
            {
                "index": int(str(item["sk"]).split("#")[1]),
                "audio_seconds": (item.get("metrics") or {}).get("audio_seconds"),
                "processing_seconds": (item.get("metrics") or {}).get("processing_seconds"),
                "worker": (item.get("metrics") or {}).get("worker"),
            }
            for item in store.chunks(job_id)
        ]
        for proc in procs:
            runtime.stop_worker(proc)
    finally:
        runtime.down()
    return {
        "workers": workers,
        "chunked": chunked,
        "wall_seconds": round(wall, 1),
        "wer": round(word_error_rate(text, transcript), 4),
        "processing_seconds": job.result["metrics"].get("processing_seconds"),
        "real_time_factor": job.result["metrics"].get("real_time_factor"),
        "chunks": sorted(chunks, key=lambda c: c["index"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "long_audio.json")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ytcaption-bench-long-"))
    audio, text = long_recording(work, args.minutes * 60)
    whole = run(audio, text, args.model, 1, False, work / "whole")
    print(json.dumps(whole), flush=True)
    chunked = run(audio, text, args.model, 2, True, work / "chunked")
    print(json.dumps(chunked), flush=True)
    times = [float(c["processing_seconds"] or 0) for c in chunked["chunks"]]
    overhead = max(0.0, chunked["wall_seconds"] - makespan(times, 2))
    results = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "setup": {"minutes": round(args.minutes, 1), "model": args.model, "worker_threads": 1},
        "whole_one_worker": {k: v for k, v in whole.items() if k != "chunks"},
        "chunked_two_workers": {k: v for k, v in chunked.items() if k != "chunks"},
        "chunk_timings": {
            f"chunk_{c['index']}": {
                "audio_s": c["audio_seconds"],
                "processing_s": c["processing_seconds"],
                "worker": str(c["worker"]).rsplit("-", 1)[-1],
            }
            for c in chunked["chunks"]
        },
        "speedup_two_workers": round(whole["wall_seconds"] / chunked["wall_seconds"], 2),
        "projected_wall_seconds": {f"{n}_workers": round(overhead + makespan(times, n), 1) for n in (4, 8, 16, 32)},
        "projection_overhead_seconds": round(overhead, 1),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
