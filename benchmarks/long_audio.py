"""Long audio: a ~30-minute recording transcribed whole on one worker, then chunked on two workers,
each worker limited to one core (YTC_WORKER_THREADS=1), through the whole local pipeline, in one run.

    python benchmarks/long_audio.py [--minutes 30] [--model tiny.en]

Reports the wall time (upload to COMPLETED) and the WER of each, the per-chunk timings of the
chunked run, and the wall time projected for 4/8/16/32 workers: the chunks' measured processing
times scheduled longest first on N workers, plus the chunked run's measured overhead (fetch, the
silence analysis, queueing, the merge), and a 3-hour file on 32 such workers. Measured, never asserted. Writes
benchmarks/results/long_audio.json.

It also records what else ran on the host: the load average before and after each run, and the CPU
seconds of the workers, of the local runtime (emulator, Lambda runners), of this process and of every
other process on the host (another test suite on a shared machine shows there); and the host's own
ceiling: two 1-thread transcriptions of two halves of the file's first ten minutes at once, against
the same two one after the other in one process: the most two one-core workers can gain here.
"""

from __future__ import annotations

import argparse
import difflib
import heapq
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.hostload import host_busy_seconds, process_times  # noqa: E402
from tests.support.audio import long_recording, normalise, word_error_rate  # noqa: E402
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


class HostLoad:
    """Samples every process's CPU time each second while a run goes on, and sorts it by who spent it:
    the workers, the local runtime (emulator, Lambda runners, API), this benchmark process, and every
    other process on the host (not started by this benchmark)."""

    def __init__(self, worker_pids: list[int]) -> None:
        self.worker_pids = set(worker_pids)
        self.first: dict[int, float] = {}
        self.last: dict[int, tuple[float, int, str]] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.worker_threads = 0  # the most threads a worker process had (ctranslate2's own included)

    def __enter__(self) -> HostLoad:
        self.loadavg_before = Path("/proc/loadavg").read_text().split()[:3]
        self.busy_before = host_busy_seconds()
        self.started = time.monotonic()
        self._take(initial=True)
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()
        self._take()
        self.seconds = time.monotonic() - self.started
        self.busy = host_busy_seconds() - self.busy_before
        self.loadavg_after = Path("/proc/loadavg").read_text().split()[:3]

    def _take(self, initial: bool = False) -> None:
        for pid, (cpu, parent, cmd) in process_times().items():
            # A process started during the run counts from zero.
            self.first.setdefault(pid, cpu if initial else 0.0)
            self.last[pid] = (cpu, parent, cmd)
        for pid in self.worker_pids:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            threads = int(status.split("Threads:")[1].split()[0])
            self.worker_threads = max(self.worker_threads, threads)

    def _sample(self) -> None:
        while not self.stop.wait(1.0):
            self._take()

    def report(self) -> dict[str, Any]:
        me = os.getpid()
        parents = {pid: parent for pid, (_, parent, _) in self.last.items()}

        def ours(pid: int) -> bool:
            seen = set()
            while pid and pid not in seen:
                if pid == me:
                    return True
                seen.add(pid)
                pid = parents.get(pid, 0)
            return False

        spent: Counter[str] = Counter()
        for pid, (cpu, _, cmd) in self.last.items():
            used = cpu - self.first.get(pid, cpu)
            if pid in self.worker_pids:
                spent["workers"] += used
            elif pid == me:
                spent["benchmark_process"] += used
            elif ours(pid):
                spent[_runtime_part(cmd)] += used
            else:
                spent["other_host_processes"] += used
        return {
            "loadavg_before": [float(v) for v in self.loadavg_before],
            "loadavg_after": [float(v) for v in self.loadavg_after],
            "seconds": round(self.seconds, 1),
            "host_busy_cpu_seconds": round(self.busy, 1),
            "cpu_seconds": {k: round(v, 1) for k, v in sorted(spent.items())},
            # Each worker's CPU seconds per second of the run: at most 1.0 with one intra-op thread.
            "worker_cpu_share": [
                round((self.last[pid][0] - self.first.get(pid, 0.0)) / self.seconds, 2)
                for pid in sorted(self.worker_pids)
                if pid in self.last
            ],
            "worker_threads_max": self.worker_threads,
        }


def _runtime_part(cmd: str) -> str:
    if "local.emulator" in cmd:
        return "emulator"
    return "lambdas" if "lambda_runner" in cmd else "runtime_other"


def top_errors(reference: str, hypothesis: str, count: int = 6) -> list[str]:
    """The most frequent word errors ("ref -> hyp", with how often), after the WER's normalisation."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    found: Counter[str] = Counter()
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, ref, hyp, autojunk=False).get_opcodes():
        if op != "equal":
            found[f"{' '.join(ref[i1:i2]) or '-'} -> {' '.join(hyp[j1:j2]) or '-'}"] += 1
    return [f"{what} x{n}" for what, n in found.most_common(count)]


def _seconds_between(start: str, end: str) -> float:
    def parse(at: str) -> datetime:
        return datetime.fromisoformat(at.replace("Z", "+00:00"))

    return round((parse(end) - parse(start)).total_seconds(), 1)


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
        with HostLoad([p.pid for p in procs]) as load:
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
                "prepare_seconds": (item.get("metrics") or {}).get("prepare_seconds"),
                "audio_cached": (item.get("metrics") or {}).get("audio_cached"),
                "worker": (item.get("metrics") or {}).get("worker"),
            }
            for item in store.chunks(job_id)
        ]
        # When the job reached each status, counted from its creation.
        history = [h for h in store.history(job_id) if h.get("status") and h.get("at")]
        timeline = {str(h["status"]): _seconds_between(str(history[0]["at"]), str(h["at"])) for h in history}
        for proc in procs:
            runtime.stop_worker(proc)
    finally:
        runtime.down()
    return {
        "workers": workers,
        "chunked": chunked,
        "wall_seconds": round(wall, 1),
        "wer": round(word_error_rate(text, transcript), 4),
        # The same without comparing numbers as digits ("ten" against "10" counted as an error).
        "wer_numbers_as_written": round(word_error_rate(text, transcript, numbers=False), 4),
        "top_errors": top_errors(text, transcript),
        "processing_seconds": job.result["metrics"].get("processing_seconds"),
        "real_time_factor": job.result["metrics"].get("real_time_factor"),
        "timeline_seconds": timeline,
        "host_load": load.report(),
        "plan": job.plan or [],
        "chunks": sorted(chunks, key=lambda c: c["index"]),
    }


def piece(audio: Path, model: str, start: float, end: float) -> None:
    """(--piece) Transcribe [start, end) of the file on one thread, as a worker does; print the time."""
    from ytcaption.settings import get_settings as settings
    from ytcaption.worker.transcribe import ModelCache, decode_range, transcribe

    models = ModelCache(Path(settings().model_cache_dir), 1)
    models.get(model)
    samples = decode_range(audio, start, end)
    before = time.process_time()
    transcript = transcribe(models, samples, JobOptions(model=model, language="en"))
    timings = transcript.timings
    assert timings is not None
    print(json.dumps({"processing_seconds": timings.processing_seconds, "cpu_seconds": time.process_time() - before}))


def host_ceiling(audio: Path, model: str, cuts: list[float]) -> dict[str, Any]:
    """Two halves ([cuts[0], cuts[1]), [cuts[1], cuts[2]), cut at silences) on one thread each: one
    process after the other, then two processes at once. The ratio is the most two one-core workers
    can gain on this host (shared caches and memory bandwidth; other load)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}

    def start(a: float, b: float) -> subprocess.Popen[str]:
        argv = [sys.executable, __file__, "--piece", str(a), str(b), "--audio", str(audio), "--model", model]
        return subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env)

    def result(proc: subprocess.Popen[str]) -> dict[str, float]:
        out, _ = proc.communicate()
        assert proc.returncode == 0, out
        return dict(json.loads(out.strip().splitlines()[-1]))

    halves = [(cuts[0], cuts[1]), (cuts[1], cuts[2])]
    loadavg = [float(v) for v in Path("/proc/loadavg").read_text().split()[:3]]
    one_after_other = [result(start(a, b)) for a, b in halves]
    both = [start(a, b) for a, b in halves]
    at_once = [result(proc) for proc in both]
    sequential = sum(r["processing_seconds"] for r in one_after_other)
    parallel = max(r["processing_seconds"] for r in at_once)
    return {
        "audio_seconds": round(cuts[2] - cuts[0], 1),
        "loadavg_before": loadavg,
        "one_after_the_other_seconds": [r["processing_seconds"] for r in one_after_other],
        "at_once_seconds": [r["processing_seconds"] for r in at_once],
        "speedup_ceiling": round(sequential / parallel, 2),
    }


def project_three_hours(chunked: dict[str, Any], chunks: list[dict[str, Any]], workers: int = 32) -> dict[str, Any]:
    """A 3-hour file on `workers` of these workers: its chunks (this run's mean chunk length) at this run's
    processing seconds per audio second, scheduled on the workers, plus this run's overhead with the part
    before the first chunk is queued (fetch and the silence plan, which grow with the file) scaled up."""
    audio = sum(float(c["audio_seconds"]) for c in chunks)
    per_audio_second = sum(float(c["processing_seconds"] or 0) for c in chunks) / audio
    chunk_seconds = audio / len(chunks)
    count = -(-10800 // int(chunk_seconds))
    times = [chunk_seconds * per_audio_second] * int(count)
    before = float(chunked["timeline_seconds"]["QUEUED"])
    overhead = max(0.0, chunked["wall_seconds"] - makespan([float(c["processing_seconds"] or 0) for c in chunks], 2))
    scaled = overhead - before + before * 10800 / audio
    return {
        "workers": workers,
        "chunks": int(count),
        "seconds_per_chunk": round(times[0], 1),
        "overhead_seconds": round(scaled, 1),
        "wall_seconds": round(scaled + makespan(times, workers), 1),
        "note": "these workers (the run's model, one CPU core each); a GPU worker takes less per chunk",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "long_audio.json")
    parser.add_argument("--piece", nargs=2, type=float, help=argparse.SUPPRESS)
    parser.add_argument("--audio", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.piece:
        piece(args.audio, args.model, *args.piece)
        return
    work = Path(tempfile.mkdtemp(prefix="ytcaption-bench-long-"))
    audio, text = long_recording(work, args.minutes * 60)
    whole = run(audio, text, args.model, 1, False, work / "whole")
    print(json.dumps(whole), flush=True)
    chunked = run(audio, text, args.model, 2, True, work / "chunked")
    print(json.dumps(chunked), flush=True)
    # The host's ceiling, on the file's first ten minutes cut at the plan's silences near 5 and 10 minutes.
    cuts = [float(c["cut_end"]) for c in chunked["plan"][:-1]]
    ceiling: dict[str, Any] | None = None
    if len(cuts) >= 2:
        halves = [0.0, *(min(cuts, key=lambda c: abs(c - t)) for t in (300, 600))]
        ceiling = host_ceiling(audio, args.model, halves)
        print(json.dumps(ceiling), flush=True)
    times = [float(c["processing_seconds"] or 0) for c in chunked["chunks"]]
    overhead = max(0.0, chunked["wall_seconds"] - makespan(times, 2))
    speedup = whole["wall_seconds"] / chunked["wall_seconds"]
    results = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "setup": {"minutes": round(args.minutes, 1), "model": args.model, "worker_threads": 1},
        "whole_one_worker": {k: v for k, v in whole.items() if k not in {"chunks", "plan"}},
        "chunked_two_workers": {k: v for k, v in chunked.items() if k not in {"chunks", "plan"}},
        "chunk_timings": {
            f"chunk_{c['index']}": {
                "audio_s": c["audio_seconds"],
                "processing_s": c["processing_seconds"],
                "prepare_s": c["prepare_seconds"],
                "audio_cached": c["audio_cached"],
                "worker": str(c["worker"]).rsplit("-", 1)[-1],
            }
            for c in chunked["chunks"]
        },
        "speedup_two_workers": round(speedup, 2),
        "host_ceiling": ceiling,
        # The speedup as a share of what this host allows two one-core workers (1.0: all of it).
        "speedup_of_ceiling": round(speedup / ceiling["speedup_ceiling"], 2) if ceiling else None,
        "projected_wall_seconds": {f"{n}_workers": round(overhead + makespan(times, n), 1) for n in (4, 8, 16, 32)},
        "projection_overhead_seconds": round(overhead, 1),
        "projected_three_hour_file": project_three_hours(chunked, chunked["chunks"]),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
