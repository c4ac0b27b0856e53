"""Pipeline overhead: raw faster-whisper in one process vs the whole local pipeline.

Same ≥ 2-minute espeak-ng clip, same model and settings. Pairs are alternated
(raw, pipeline, raw, pipeline...) so machine noise hits both alike; the result
is the median of the per-pair ratios. Also reported: the cold first job
(worker model load included) and the worker's peak memory.

    python benchmarks/pipeline_overhead.py [--model tiny.en] [--pairs 5]

Writes benchmarks/results/pipeline_overhead.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from tests.support.audio import STORY, espeak  # noqa: E402
from ytcaption.domain.options import JobOptions  # noqa: E402
from ytcaption.intake.submit import follow, submit_file  # noqa: E402
from ytcaption.local.runtime import LocalRuntime, RuntimeConfig, free_port  # noqa: E402
from ytcaption.settings import get_settings  # noqa: E402
from ytcaption.store.jobs import JobStore  # noqa: E402
from ytcaption.worker.transcribe import ModelCache, transcribe  # noqa: E402


def make_clip(folder: Path, min_seconds: float = 120) -> tuple[Path, float]:
    import av

    repeats = 1
    while True:
        clip = espeak(STORY * repeats, folder / "clip.wav")
        with av.open(str(clip)) as container:
            duration = float(container.duration or 0) / av.time_base
        if duration >= min_seconds:
            return clip, duration
        repeats += 1


def run_pipeline_job(clip: Path, options: JobOptions) -> tuple[float, dict[str, float]]:
    settings = get_settings()
    store = JobStore(settings.table)
    started = time.perf_counter()
    job_id = submit_file(clip, options, "bench", settings)
    job = follow(job_id, store, timeout=1800, interval=0.05)
    elapsed = time.perf_counter() - started
    if job is None or job.status.value != "COMPLETED":
        raise RuntimeError(f"pipeline job did not complete: {job}")
    return elapsed, (job.result or {}).get("metrics", {})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "pipeline_overhead.json")
    args = parser.parse_args()
    options = JobOptions(model=args.model)

    with tempfile.TemporaryDirectory(prefix="ytc-bench-") as tmp:
        clip, duration = make_clip(Path(tmp))
        settings = {"YTC_POLL_WAIT_SECONDS": "20", "YTC_DEFAULT_MODEL": args.model}
        # The worker starts without its model so the first job shows the cold cost.
        config = RuntimeConfig(
            port=free_port(), workers=1, state_dir=Path(tmp) / "runtime", settings=settings,
            worker_env={"YTC_WORKER_PRELOAD": "none", "HF_HUB_OFFLINE": "1"},
        )  # fmt: skip
        runtime = LocalRuntime(config)
        runtime.up()
        try:
            cold_seconds, cold_metrics = run_pipeline_job(clip, options)
            models = ModelCache(Path(get_settings().model_cache_dir))
            models.get(args.model)  # raw side warm too
            raw, pipeline, ratios, worker_metrics = [], [], [], []
            for pair in range(args.pairs):
                started = time.perf_counter()
                transcript = transcribe(models, clip, options)
                raw.append(time.perf_counter() - started)
                seconds, metrics = run_pipeline_job(clip, options)
                pipeline.append(seconds)
                worker_metrics.append(metrics)
                ratios.append(pipeline[-1] / raw[-1])
                print(f"pair {pair + 1}: raw {raw[-1]:.2f} s, pipeline {pipeline[-1]:.2f} s, ratio {ratios[-1]:.3f}")
        finally:
            runtime.down()

    result = {
        "benchmark": "pipeline_overhead",
        "model": args.model,
        "audio_seconds": round(duration, 2),
        "pairs": args.pairs,
        "raw_seconds": [round(x, 3) for x in raw],
        "pipeline_seconds": [round(x, 3) for x in pipeline],
        "ratios": [round(x, 4) for x in ratios],
        "median_ratio": round(statistics.median(ratios), 4),
        "target_ratio": 1.10,
        "median_raw_real_time_factor": round(statistics.median(raw) / duration, 4),
        "cold_first_job_seconds": round(cold_seconds, 3),
        "cold_first_job_model_load_seconds": cold_metrics.get("model_load_seconds"),
        "worker_peak_rss_mb": max(m.get("worker_peak_rss_mb", 0) for m in [cold_metrics, *worker_metrics]),
        "transcript_words": len(transcript.text.split()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"median pipeline/raw ratio: {result['median_ratio']:.3f} (target ≤ 1.10)")


if __name__ == "__main__":
    main()
