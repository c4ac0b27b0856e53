"""HTTP API intake: requests per second and latency of POST /v1/transcriptions and
GET /v1/transcriptions/{id} against the local API (uvicorn + the embedded
emulator, no workers), and the import time of the `api` Lambda's handler module
(the part of its cold start our code controls).

    python benchmarks/api_intake.py [--posts 50] [--settled-posts 30] [--gets 500] [--threads 4]

Targets (issue 3): handler import <= 0.5 s; GET status p99 <= 50 ms locally.
Measured, never asserted. Writes benchmarks/results/api_intake.json.
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from ytcaption.local.runtime import LocalRuntime, RuntimeConfig, free_port  # noqa: E402
from ytcaption.settings import get_settings  # noqa: E402
from ytcaption.store.apikeys import ApiKeyStore  # noqa: E402


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summary(latencies: list[float], wall: float) -> dict[str, Any]:
    ms = [s * 1000 for s in latencies]
    return {
        "requests": len(ms),
        "requests_per_second": round(len(ms) / wall, 1),
        "p50_ms": round(percentile(ms, 50), 2),
        "p90_ms": round(percentile(ms, 90), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(max(ms), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }


def handler_import_seconds(runs: int) -> dict[str, Any]:
    """Fresh interpreters importing functions/api/handler.py as the Lambda runtime would."""
    code = "import time; t = time.perf_counter(); import handler; print(time.perf_counter() - t)"
    env = {
        **os.environ,
        "AWS_LAMBDA_FUNCTION_NAME": "ytcaption-api",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "ytcaption",
        "POWERTOOLS_METRICS_NAMESPACE": "YTCaption",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT / "functions" / "api", env=env, capture_output=True, text=True
        )
        if out.returncode != 0:
            raise RuntimeError(out.stderr)
        samples.append(float(out.stdout.strip().splitlines()[-1]))
    return {"runs": runs, "median_s": round(statistics.median(samples), 3), "max_s": round(max(samples), 3)}


def timed(call: Any) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=50)
    parser.add_argument("--settled-posts", type=int, default=30)
    parser.add_argument("--gets", type=int, default=500)
    parser.add_argument("--threads", type=int, default=4, help="concurrent clients for the GET throughput run")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "api_intake.json")
    args = parser.parse_args()

    results: dict[str, Any] = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "handler_import": handler_import_seconds(5),
    }
    settings = {
        "YTC_ALLOW_LOOPBACK_URLS": "true",
        "YTC_ALLOWED_SITES": "127.0.0.1",
        "YTC_TENANT_MAX_JOBS_IN_FLIGHT": "100000",
    }
    state_dir = Path(tempfile.mkdtemp(prefix="ytcaption-bench-api-"))
    runtime = LocalRuntime(
        RuntimeConfig(port=free_port(), workers=0, state_dir=state_dir, settings=settings, api_port=free_port())
    )
    try:
        runtime.up()
        key, _ = ApiKeyStore(get_settings().table).create("bench")
        with httpx.Client(base_url=str(runtime.api_url), headers={"X-Api-Key": key}, timeout=30) as api:
            for _ in range(20):  # warm up: the app's clients, the key cache, connections
                api.get("/health/live")
            body = {"source": {"url": "http://127.0.0.1:9/bench.mp3"}, "model": "tiny.en"}

            # Settled: each job has ended (untimed) before the next POST, so the emulator is idle.
            settled = []
            for _ in range(args.settled_posts):
                started = time.perf_counter()
                answer = api.post("/v1/transcriptions", json=body)
                settled.append(time.perf_counter() - started)
                answer.raise_for_status()
                while api.get(answer.headers["location"]).json()["status"] not in {"FAILED", "COMPLETED"}:
                    time.sleep(0.05)
            results["post_transcription_settled"] = summary(settled, sum(settled))

            # Burst: back to back; every POST starts an execution (and a FetchAudio Lambda
            # process) inside the one emulator process, which then competes for the 2 cores.
            started = time.perf_counter()
            posts = [
                timed(lambda: api.post("/v1/transcriptions", json=body).raise_for_status()) for _ in range(args.posts)
            ]
            results["post_transcription_burst"] = summary(posts, time.perf_counter() - started)
            time.sleep(10)  # let the burst's executions settle before timing GETs
            job_id = api.get("/v1/transcriptions", params={"limit": 1}).json()["items"][0]["id"]

            started = time.perf_counter()
            gets = [timed(lambda: api.get(f"/v1/transcriptions/{job_id}").raise_for_status()) for _ in range(args.gets)]
            results["get_status_sequential"] = summary(gets, time.perf_counter() - started)

        def one_client(n: int) -> list[float]:
            with httpx.Client(base_url=str(runtime.api_url), headers={"X-Api-Key": key}, timeout=30) as api:
                return [timed(lambda: api.get(f"/v1/transcriptions/{job_id}").raise_for_status()) for _ in range(n)]

        per_thread = max(1, args.gets // args.threads)
        started = time.perf_counter()
        with ThreadPoolExecutor(args.threads) as pool:
            samples = [s for chunk in pool.map(one_client, [per_thread] * args.threads) for s in chunk]
        results[f"get_status_{args.threads}_clients"] = summary(samples, time.perf_counter() - started)
    finally:
        runtime.down()
    results["targets"] = {
        "handler_import_le_0_5_s": results["handler_import"]["median_s"] <= 0.5,
        "get_status_p99_le_50_ms": results["get_status_sequential"]["p99_ms"] <= 50,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
