"""Pipeline overhead: raw faster-whisper in one process vs the whole local pipeline, worker warm.

Same ≥ 2-minute espeak-ng clip, same model and settings. Rounds alternate raw and pipeline (the order
rotates each round) so machine noise hits both alike; the result is the median of per-round ratios.

A job's time runs from the upload to the instant the state machine marked it COMPLETED (the job's
`finished_at`), so the benchmark follows the job as the CLI does (intake.submit.follow: every
FOLLOW_INTERVAL seconds, up to a second apart while the job's ETA is further off): a client polling the
job 20 times a second (as this benchmark once did) made ~400 requests a job, which the emulator served
on the worker's two cores (1.0 CPU s of ~7 a job: it measured itself).

With `--baseline REF` the same rounds also run the pipeline of an earlier commit (its `src/`, state
machine and Lambdas taken with `git archive`, in a runtime of its own), so before and after are
measured in one run, interleaved.
Each job also reports where its time went: upload to QUEUED (intake queue, intake and fetch Lambdas,
state machine), QUEUED to TRANSCRIBING (an idle worker noticing the message), the worker's Whisper
time, and the rest (audio download, results, completion), and the CPU seconds each part of the
runtime spent during it. Also reported: the cold first job (model load included), the worker's peak
memory and the host's load average.

    python benchmarks/pipeline_overhead.py [--model tiny.en] [--rounds 5] [--baseline 19c523e]

Writes benchmarks/results/pipeline_overhead.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks.hostload import load_average, process_times  # noqa: E402
from tests.support.audio import STORY, espeak  # noqa: E402
from ytcaption.domain.options import JobOptions  # noqa: E402
from ytcaption.intake.submit import follow, submit_file  # noqa: E402
from ytcaption.local.runtime import LocalRuntime, RuntimeConfig, free_port  # noqa: E402
from ytcaption.settings import get_settings  # noqa: E402
from ytcaption.store.jobs import JobStore  # noqa: E402
from ytcaption.worker.transcribe import ModelCache, transcribe  # noqa: E402

# How often the benchmark looks at a job (the CLI's own interval); the time is the job's own record.
FOLLOW_INTERVAL = 0.25
# Before each job a pause drawn from [0, PAUSE_MAX): jobs arrive at any point of an idle worker's poll
# cycle, as real ones do (rounds of fixed length would meet a baseline's 18-s cycle at the same point).
PAUSE_MAX = 6.0


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


def _epoch(at: str) -> float:
    return datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()


def _cpu_by_part(runtime: LocalRuntime) -> dict[str, float]:
    """CPU seconds so far of the runtime's parts: emulator, its Lambda sandboxes, workers, this process."""
    spent = {"emulator": 0.0, "lambdas": 0.0, "worker": 0.0, "client": 0.0}
    for pid, (cpu, parent, _) in process_times().items():
        if pid == runtime.emulator_pid:
            spent["emulator"] += cpu
        elif parent == runtime.emulator_pid:
            spent["lambdas"] += cpu
        elif pid in runtime.worker_pids:
            spent["worker"] += cpu
        elif pid == os.getpid():
            spent["client"] += cpu
    return spent


def run_pipeline_job(runtime: LocalRuntime, clip: Path, options: JobOptions) -> dict[str, Any]:
    """One job from upload to COMPLETED: its seconds, where they went, and what each part spent."""
    store = JobStore(get_settings().table)
    cpu_before = _cpu_by_part(runtime)
    submitted = time.time()
    job_id = submit_file(clip, options, "bench", get_settings())
    job = follow(job_id, store, timeout=1800, interval=FOLLOW_INTERVAL)
    seen = time.time() - submitted
    cpu_after = _cpu_by_part(runtime)
    if job is None or job.status.value != "COMPLETED" or not job.finished_at:
        raise RuntimeError(f"pipeline job did not complete: {job}")
    metrics = (job.result or {}).get("metrics", {})
    reached = {str(h["status"]): _epoch(str(h["at"])) for h in store.history(job_id) if h.get("status") and h.get("at")}
    finished = _epoch(job.finished_at)
    transcribing = reached.get("TRANSCRIBING", finished)
    whisper = float(metrics.get("processing_seconds") or 0.0)
    return {
        "seconds": round(finished - submitted, 3),
        "seen_seconds": round(seen, 3),
        "phases": {
            "upload_to_queued": round(reached.get("QUEUED", transcribing) - submitted, 3),
            "queued_to_transcribing": round(transcribing - reached.get("QUEUED", transcribing), 3),
            "whisper": round(whisper, 3),
            "rest": round(finished - transcribing - whisper, 3),
        },
        "cpu_seconds": {part: round(cpu_after[part] - cpu_before[part], 2) for part in cpu_before},
        "metrics": metrics,
    }


def serve(args: argparse.Namespace) -> None:
    """(--serve) A runtime of this process's code with a warm worker; one job per line on stdin."""
    clip, options = Path(args.clip), JobOptions(model=args.model)
    with tempfile.TemporaryDirectory(prefix="ytc-bench-") as tmp:
        # The worker starts without its model so the first job shows the cold cost.
        config = RuntimeConfig(
            port=free_port(), workers=1, state_dir=Path(tmp) / "runtime",
            # The GPU-queue path with a warm worker: a short clip would take the fast lane otherwise.
            settings={"YTC_POLL_WAIT_SECONDS": "20", "YTC_DEFAULT_MODEL": args.model, "YTC_FAST_LANE": "false"},
            worker_env={"YTC_WORKER_PRELOAD": "none", "HF_HUB_OFFLINE": "1"},
        )  # fmt: skip
        runtime = LocalRuntime(config)
        runtime.up()
        try:
            print(json.dumps({"ready": True}), flush=True)
            for _ in sys.stdin:
                print(json.dumps(run_pipeline_job(runtime, clip, options)), flush=True)
        finally:
            runtime.down()


class Pipeline:
    """A runtime in a process of its own, running `src` (this checkout's, or a baseline's)."""

    def __init__(self, name: str, src: Path, clip: Path, model: str) -> None:
        self.name = name
        env = {**os.environ, "PYTHONPATH": str(src)}
        argv = [sys.executable, __file__, "--serve", "--clip", str(clip), "--model", model]
        self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._answer()

    def job(self) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write("job\n")
        self.proc.stdin.flush()
        return self._answer()

    def _answer(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.name} pipeline stopped (exit {self.proc.wait()})")
        return dict(json.loads(line))

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(120)


def baseline_src(ref: str, folder: Path) -> Path:
    """The `src/` of an earlier commit, unpacked into `folder` with the state machine and Lambdas it deploys."""
    archive = subprocess.run(
        ["git", "archive", ref, "src", "statemachines", "functions"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    tar = folder / "baseline.tar"
    tar.write_bytes(archive)
    with tarfile.open(tar) as unpacked:
        unpacked.extractall(folder / "baseline", filter="data")
    return folder / "baseline" / "src"


def summary(jobs: list[dict[str, Any]], raw: list[float]) -> dict[str, Any]:
    ratios = [job["seconds"] / seconds for job, seconds in zip(jobs, raw, strict=True)]

    def median(values: list[float]) -> float:
        return round(statistics.median(values), 3)

    return {
        "seconds": [job["seconds"] for job in jobs],
        "ratios": [round(r, 4) for r in ratios],
        "median_ratio": round(statistics.median(ratios), 4),
        "median_seen_seconds": median([job["seen_seconds"] for job in jobs]),
        "median_phases": {k: median([job["phases"][k] for job in jobs]) for k in jobs[0]["phases"]},
        "median_cpu_seconds": {k: median([job["cpu_seconds"][k] for job in jobs]) for k in jobs[0]["cpu_seconds"]},
        "worker_peak_rss_mb": max(job["metrics"].get("worker_peak_rss_mb", 0) for job in jobs),
        "jobs": [{"seconds": job["seconds"], **job["phases"]} for job in jobs],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline", default=None, help="a git ref whose pipeline runs beside this one")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "pipeline_overhead.json")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--clip", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args)
        return
    options = JobOptions(model=args.model)

    with tempfile.TemporaryDirectory(prefix="ytc-bench-") as tmp:
        clip, duration = make_clip(Path(tmp))
        sources = {"current": ROOT / "src"}
        if args.baseline:
            sources["baseline"] = baseline_src(args.baseline, Path(tmp))
        pipelines: dict[str, Pipeline] = {}
        try:
            for name, src in sources.items():
                pipelines[name] = Pipeline(name, src, clip, args.model)
            cold = {name: pipeline.job() for name, pipeline in pipelines.items()}
            models = ModelCache(Path(get_settings().model_cache_dir))
            models.get(args.model)  # raw side warm too
            load_before = load_average()
            raw: list[float] = []
            jobs: dict[str, list[dict[str, Any]]] = {name: [] for name in pipelines}
            sides = ["raw", *pipelines]
            pauses = random.Random(25)
            for round_ in range(args.rounds):
                for side in sides[round_ % len(sides) :] + sides[: round_ % len(sides)]:
                    if side == "raw":
                        started = time.perf_counter()
                        transcript = transcribe(models, clip, options)
                        raw.append(time.perf_counter() - started)
                    else:
                        time.sleep(pauses.uniform(0, PAUSE_MAX))
                        jobs[side].append(pipelines[side].job())
                line = ", ".join(f"{name} {runs[-1]['seconds']:.2f} s" for name, runs in jobs.items())
                print(f"round {round_ + 1}: raw {raw[-1]:.2f} s, {line}, load {load_average()[0]}", flush=True)
            load_after = load_average()
        finally:
            for pipeline in pipelines.values():
                pipeline.close()

    result = {
        "benchmark": "pipeline_overhead",
        "model": args.model,
        "audio_seconds": round(duration, 2),
        "rounds": args.rounds,
        "follow_interval_seconds": FOLLOW_INTERVAL,
        "raw_seconds": [round(x, 3) for x in raw],
        "median_raw_real_time_factor": round(statistics.median(raw) / duration, 4),
        "pipeline": summary(jobs["current"], raw),
        "target_ratio": 1.05,
        "cold_first_job_seconds": cold["current"]["seconds"],
        "cold_first_job_model_load_seconds": cold["current"]["metrics"].get("model_load_seconds"),
        "transcript_words": len(transcript.text.split()),
        "load_average_before": load_before,
        "load_average_after": load_after,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
    }
    if "baseline" in jobs:
        result["baseline"] = {"ref": args.baseline, **summary(jobs["baseline"], raw)}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"median pipeline/raw ratio: {result['pipeline']['median_ratio']:.3f} (target ≤ 1.05)")


if __name__ == "__main__":
    main()
