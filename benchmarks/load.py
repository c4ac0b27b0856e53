"""Load: a burst of uploads and of URL jobs against the local runtime, at rest and with the
host loaded. Counts what was accepted, completed, lost (an accepted upload or request
that never became a finished job: must be 0) and duplicated (two jobs for one upload:
must be 0), the drain time (first request to last job finished), and status-GET latency
(p50/p99) while the burst is in flight.

    python benchmarks/load.py [--uploads 200] [--urls 50] [--workers 2] [--model tiny.en]

Uploads hold a short real clip; URL jobs fetch a clip from a media server on 127.0.0.1.
"Loaded" runs two CPU-burning processes beside the runtime for the whole phase.
Measured, never asserted. Writes benchmarks/results/load.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.support.audio import MEETING, espeak  # noqa: E402
from tests.support.media_server import media_server  # noqa: E402
from ytcaption.local.runtime import LocalRuntime, RuntimeConfig, free_port  # noqa: E402
from ytcaption.settings import get_settings  # noqa: E402
from ytcaption.store.apikeys import ApiKeyStore  # noqa: E402

TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}


def percentile(samples: list[float], q: float) -> float | None:
    if not samples:
        return None
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] * 1000, 2)


class Burners:
    """Two busy loops: the host is doing other work (as when workers transcribe)."""

    def __init__(self, on: bool) -> None:
        self.procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2 if on else 0)]

    def stop(self) -> None:
        for proc in self.procs:
            proc.kill()
            proc.wait()


def upload(api: httpx.Client, clip: Path) -> str | None:
    ticket = api.post("/v1/uploads", json={"filename": clip.name})
    if ticket.status_code != 201:
        return None
    body = ticket.json()
    posted = httpx.post(body["url"], data=body["fields"], files={"file": (clip.name, clip.read_bytes())}, timeout=300)
    return str(body["upload_id"]) if posted.status_code in (200, 201, 204) else None


def phase(api: httpx.Client, uploads: int, urls: int, clip: Path, url: str, loaded: bool) -> dict[str, Any]:
    burners = Burners(loaded)
    latencies: list[float] = []
    stop = threading.Event()
    started = time.monotonic()
    try:
        with ThreadPoolExecutor(max_workers=32) as pool:
            upload_futures = [pool.submit(upload, api, clip) for _ in range(uploads)]
            url_futures = [
                pool.submit(lambda: api.post("/v1/transcriptions", json={"source": {"url": url}, "cache": False}))
                for _ in range(urls)
            ]
            upload_ids = [f.result() for f in upload_futures]
            url_jobs = [f.result() for f in url_futures]
        accepted_uploads = [u for u in upload_ids if u]
        accepted_urls = [r.json()["id"] for r in url_jobs if r.status_code == 202]

        def poll_status() -> None:  # a client watching one job while the burst drains
            job_id = accepted_urls[0] if accepted_urls else None
            while job_id and not stop.is_set():
                t = time.perf_counter()
                api.get(f"/v1/transcriptions/{job_id}")
                latencies.append(time.perf_counter() - t)
                time.sleep(0.05)

        watcher = threading.Thread(target=poll_status, daemon=True)
        watcher.start()
        finished: dict[str, dict[str, Any]] = {}
        upload_jobs: dict[str, str] = {}
        deadline = time.monotonic() + 3600
        while time.monotonic() < deadline:
            for upload_id in accepted_uploads:
                if upload_id not in upload_jobs:
                    status = api.get(f"/v1/uploads/{upload_id}").json()
                    if status.get("transcription_id"):
                        upload_jobs[upload_id] = status["transcription_id"]
            for job_id in [*upload_jobs.values(), *accepted_urls]:
                if job_id not in finished:
                    job = api.get(f"/v1/transcriptions/{job_id}").json()
                    if job.get("status") in TERMINAL:
                        finished[job_id] = job
            if len(finished) >= len(accepted_uploads) + len(accepted_urls):
                break
            time.sleep(1)
        drain = time.monotonic() - started
        stop.set()
    finally:
        burners.stop()
    statuses = [job["status"] for job in finished.values()]
    return {
        "loaded": loaded,
        "uploads": {"sent": uploads, "accepted": len(accepted_uploads)},
        "url_jobs": {"sent": urls, "accepted": len(accepted_urls)},
        "completed": statuses.count("COMPLETED"),
        "failed": statuses.count("FAILED"),
        "lost": len(accepted_uploads) + len(accepted_urls) - len(finished),
        "duplicated": len(upload_jobs) - len(set(upload_jobs.values())),
        "drain_seconds": round(drain, 1),
        "status_get_p50_ms": percentile(latencies, 50),
        "status_get_p99_ms": percentile(latencies, 99),
        "status_gets": len(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uploads", type=int, default=200)
    parser.add_argument("--urls", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--phases", default="rest,loaded", help="rest, loaded or both")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "load.json")
    args = parser.parse_args()

    media = Path(tempfile.mkdtemp(prefix="ytcaption-bench-load-"))
    clip = espeak(MEETING[:160], media / "clip.wav")
    settings = {
        "YTC_ALLOW_LOOPBACK_URLS": "true",
        "YTC_ALLOWED_SITES": "127.0.0.1",
        "YTC_DEFAULT_MODEL": args.model,
        "YTC_POLL_WAIT_SECONDS": "1",
        "YTC_TENANT_MAX_JOBS_IN_FLIGHT": "100000",
    }
    runtime = LocalRuntime(
        RuntimeConfig(
            port=free_port(),
            workers=args.workers,
            state_dir=media / "runtime",
            settings=settings,
            worker_env={"HF_HUB_OFFLINE": "1"},
            api_port=free_port(),
        )
    )
    results: dict[str, Any] = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "setup": {
            "uploads": args.uploads,
            "urls": args.urls,
            "workers": args.workers,
            "model": args.model,
            "clip_bytes": clip.stat().st_size,
        },
        "phases": [],
    }
    try:
        runtime.up()
        key, _ = ApiKeyStore(get_settings().table).create("load")
        with (
            media_server() as server,
            httpx.Client(base_url=str(runtime.api_url), headers={"X-Api-Key": key}, timeout=120) as api,
        ):
            url = server.serve_file("/clip.wav", clip)
            for name in args.phases.split(","):
                result = phase(api, args.uploads, args.urls, clip, url, loaded=name.strip() == "loaded")
                results["phases"].append(result)
                print(json.dumps(result), flush=True)
                _write(args.output, results)  # each phase as it ends: a long run cut short keeps what it had
    finally:
        runtime.down()
    _write(args.output, results)
    print(json.dumps(results, indent=2))


def _write(output: Path, results: dict[str, Any]) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
