"""Fast lane: what a job on a CPU Lambda would take, from parts measured here, against the GPU-queue path.

Measured in one run, on a ≥ 2-minute espeak-ng clip:

- the fast lane's cold start as a fresh process (a Lambda sandbox's init): Python start, the import of
  ENTRY (the code the fast lane runs), and the model's load; then its first run on the clip (the cold
  request) and a warm run in the same process, with their CPU seconds and the process's peak memory;
- the same clip through the GPU-queue path of the local pipeline (upload, state machine, queue, a
  worker already warm), twice; the ratio of the fast lane's warm run to that job.

Projected from those parts (nothing here runs on AWS; every assumption is named in the JSON):

- a 2-minute clip on an idle deployment: the pipeline's own steps (upload to queued, and results
  after, as measured locally) + the cold start + the run on 6 vCPUs: the warm run's CPU seconds spread
  over all 6 (optimistic) or over no more than 2 fully used cores (conservative);
- a 3-hour file cut into the project's chunks (chunk_target_seconds) fanned out over N concurrent
  Lambdas: cold start + ⌈chunks / N⌉ rounds of one chunk + the long-audio overhead that
  benchmarks/long_audio.py measured (fetch, silence analysis, merge), if its result is here;
- next to the GPU cold path (scaling alarm, instance boot, image pull), from docs/operate/scaling-cost.md.

    python benchmarks/fast_lane.py [--model tiny.en]

Writes benchmarks/results/fast_lane.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

# The code the fast lane runs, as a fresh Lambda sandbox imports it: the function's handler module
# (Powertools, the settings, the job store and the model cache it keeps warm between invocations).
ENTRY = ROOT / "functions" / "fast_lane" / "handler.py"

# A fast-lane Lambda's size (Lambda's most: 6 vCPUs at 10,240 MB) and list prices (us-east-1, x86).
LAMBDA_VCPUS = 6
LAMBDA_MEMORY_GB = 10.0
LAMBDA_PRICE_PER_GB_SECOND = 0.0000166667
# The GPU cold path, as docs/operate/scaling-cost.md gives it: the backlog alarm acts every minute, then an
# instance boots and pulls a multi-GB image ("minutes"); the range below is an assumption, not a measure.
GPU_COLD_PATH = {
    "scaling_alarm_seconds": 60,
    "instance_boot_and_image_pull_seconds_assumed": [120, 300],
    "source": "docs/operate/scaling-cost.md: the alarm acts every minute; instance launch and image pull: minutes",
}
# What a Lambda sandbox has in its environment that the handler's import reads (no AWS call is made).
SANDBOX_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "YTCaption",
}
GOALS = {"two_minute_clip_idle_seconds": 30, "three_hour_file_seconds": 180}

from benchmarks.hostload import load_average  # noqa: E402
from benchmarks.pipeline_overhead import make_clip, run_pipeline_job  # noqa: E402
from ytcaption.domain.options import JobOptions  # noqa: E402
from ytcaption.local.runtime import LocalRuntime, RuntimeConfig, free_port  # noqa: E402
from ytcaption.settings import get_settings  # noqa: E402

# Runs in the fresh process: import ENTRY by its path, load the model, transcribe the clip twice.
COLD_PROCESS = textwrap.dedent(
    """
    import time
    up = time.time()
    import importlib.util, json, resource, sys
    from pathlib import Path
    entry, clip, model, cache = sys.argv[1:5]
    spec = importlib.util.spec_from_file_location("fast_lane_entry", entry)
    module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    imported = time.time()
    from ytcaption.domain.options import JobOptions
    from ytcaption.worker.transcribe import ModelCache, transcribe
    # The handler's own sandbox keeps the model (as in Lambda); any other entry gets a model cache.
    sandbox = getattr(module, "sandbox", None)
    models = sandbox.models if sandbox is not None else ModelCache(Path(cache))
    models.get(model)
    loaded = time.time()
    runs = []
    for _ in range(2):
        cpu, wall = time.process_time(), time.perf_counter()
        transcript = transcribe(models, Path(clip), JobOptions(model=model))
        runs.append({"seconds": time.perf_counter() - wall, "cpu_seconds": time.process_time() - cpu})
    print(json.dumps({
        "up": up, "imported": imported, "loaded": loaded, "runs": runs, "threads": models.device.cpu_threads,
        "words": len(transcript.text.split()),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))
    """
)


def cold_process(clip: Path, model: str) -> dict[str, Any]:
    """The fast lane's sandbox, started fresh: its cold start in parts, its first and warm runs."""
    started = time.time()
    done = subprocess.run(
        [sys.executable, "-c", COLD_PROCESS, str(ENTRY), str(clip), model, get_settings().model_cache_dir],
        capture_output=True, text=True, env={**os.environ, **SANDBOX_ENV, "PYTHONPATH": str(ROOT / "src"),
                                             "YTC_MODEL_CACHE_DIR": get_settings().model_cache_dir},
    )  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"the fast lane's process failed:\n{done.stderr[-3000:]}")
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    first, warm = seen["runs"]
    return {
        "entry": str(ENTRY.relative_to(ROOT)),
        "python_start_seconds": round(seen["up"] - started, 3),
        "imports_seconds": round(seen["imported"] - seen["up"], 3),
        "model_load_seconds": round(seen["loaded"] - seen["imported"], 3),
        "cold_start_seconds": round(seen["loaded"] - started, 3),
        "first_run_seconds": round(first["seconds"], 3),
        "warm_run_seconds": round(warm["seconds"], 3),
        "warm_run_cpu_seconds": round(warm["cpu_seconds"], 3),
        "threads": seen["threads"],
        "peak_rss_mb": round(seen["peak_rss_mb"], 1),
        "words": seen["words"],
    }


def gpu_queue_path(clip: Path, model: str, jobs: int = 2) -> list[dict[str, Any]]:
    """The same clip through the local pipeline's queue with a worker already warm (its model loaded)."""
    options = JobOptions(model=model)
    with tempfile.TemporaryDirectory(prefix="ytc-fast-") as tmp:
        config = RuntimeConfig(
            port=free_port(), workers=1, state_dir=Path(tmp) / "runtime",
            # The GPU-queue path with a warm worker: a short clip would take the fast lane otherwise.
            settings={"YTC_POLL_WAIT_SECONDS": "20", "YTC_DEFAULT_MODEL": model, "YTC_FAST_LANE": "false"},
            worker_env={"YTC_WORKER_PRELOAD": model, "HF_HUB_OFFLINE": "1"},
        )  # fmt: skip
        runtime = LocalRuntime(config)
        runtime.up()
        try:
            run_pipeline_job(runtime, clip, options)  # the worker's first job: everything warm after it
            return [run_pipeline_job(runtime, clip, options) for _ in range(jobs)]
        finally:
            runtime.down()


def projections(lane: dict[str, Any], queue: list[dict[str, Any]], duration: float) -> dict[str, Any]:
    settings = get_settings()
    best = min(queue, key=lambda job: job["seconds"])
    # What the pipeline adds around the transcription whichever lane runs it (measured locally).
    steps = best["phases"]["upload_to_queued"] + best["phases"]["rest"]
    cpu_per_audio_second = lane["warm_run_cpu_seconds"] / duration

    def on_lambda(audio_seconds: float) -> dict[str, float]:
        """The run's CPU seconds (measured) spread over the Lambda's vCPUs: all six (optimistic), or
        no better than two fully used cores (conservative). CPU seconds, not the wall time: on a
        shared host the wall time measures the neighbours too."""
        cpu = audio_seconds * cpu_per_audio_second
        return {"optimistic": round(cpu / LAMBDA_VCPUS, 2), "conservative": round(cpu / 2, 2)}

    clip_run = on_lambda(duration)
    clip = {
        "pipeline_steps_seconds": round(steps, 2),
        "cold_start_seconds": lane["cold_start_seconds"],
        "run_seconds": clip_run,
        "total_seconds": {k: round(steps + lane["cold_start_seconds"] + v, 2) for k, v in clip_run.items()},
        "goal_seconds": GOALS["two_minute_clip_idle_seconds"],
    }
    three_hours = 3 * 3600.0
    chunks = math.ceil(three_hours / settings.chunk_target_seconds)
    chunk_run = on_lambda(settings.chunk_target_seconds)
    overhead = long_audio_overhead()
    fan_out = {}
    for lambdas in sorted({settings.fast_lane_concurrency, 32, chunks}):
        rounds = math.ceil(chunks / lambdas)
        fan_out[f"{lambdas}_lambdas"] = {
            k: round(lane["cold_start_seconds"] + rounds * v + (overhead or 0.0), 1) for k, v in chunk_run.items()
        }
    gb_seconds = chunks * (lane["cold_start_seconds"] + chunk_run["conservative"]) * LAMBDA_MEMORY_GB
    return {
        "two_minute_clip_idle_deployment": clip,
        "three_hour_file": {
            "chunk_seconds": settings.chunk_target_seconds,
            "chunks": chunks,
            "map_max_concurrency_setting": settings.fast_lane_concurrency,
            "chunk_run_seconds": chunk_run,
            "long_audio_overhead_seconds": overhead,
            "wall_seconds": fan_out,
            "lambda_gb_seconds_conservative": round(gb_seconds),
            "lambda_cost_usd_conservative": round(gb_seconds * LAMBDA_PRICE_PER_GB_SECOND, 3),
            "goal_seconds": GOALS["three_hour_file_seconds"],
        },
        "gpu_cold_path_seconds_before_a_worker_looks": [
            GPU_COLD_PATH["scaling_alarm_seconds"] + s
            for s in GPU_COLD_PATH["instance_boot_and_image_pull_seconds_assumed"]
        ],
    }


def long_audio_overhead() -> float | None:
    """The chunked pipeline's own time for a 3-hour file, as benchmarks/long_audio.py projected it."""
    path = ROOT / "benchmarks" / "results" / "long_audio.json"
    try:
        return float(json.loads(path.read_text())["projected_three_hour_file"]["overhead_seconds"])
    except (OSError, KeyError, ValueError, TypeError):
        return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "fast_lane.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ytc-fast-") as tmp:
        clip, duration = make_clip(Path(tmp))
        load_before = load_average()
        lane = cold_process(clip, args.model)
        print(json.dumps(lane), flush=True)
        queue = gpu_queue_path(clip, args.model)
        print(json.dumps([job["seconds"] for job in queue]), flush=True)
        load_after = load_average()
    best = min(job["seconds"] for job in queue)
    result = {
        "benchmark": "fast_lane",
        "model": args.model,
        "audio_seconds": round(duration, 2),
        "fast_lane": lane,
        "gpu_queue_path_warm_worker": {
            "seconds": [job["seconds"] for job in queue],
            "phases": queue[0]["phases"],
            "note": "the local pipeline on this host's CPU: the queue path's own steps, not a GPU's speed",
        },
        "warm_run_over_queue_path": round(lane["warm_run_seconds"] / best, 3),
        "cold_process_over_queue_path": round((lane["cold_start_seconds"] + lane["first_run_seconds"]) / best, 3),
        "projections": projections(lane, queue, duration),
        "assumed": {
            "lambda_vcpus": LAMBDA_VCPUS,
            "lambda_memory_gb": LAMBDA_MEMORY_GB,
            "lambda_price_per_gb_second": LAMBDA_PRICE_PER_GB_SECOND,
            "gpu_cold_path": GPU_COLD_PATH,
            "not_counted": "a container image's own Lambda init beyond the process (image fetch, sandbox); "
            "a Lambda vCPU's speed against this host's",
        },
        "load_average_before": load_before,
        "load_average_after": load_after,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
