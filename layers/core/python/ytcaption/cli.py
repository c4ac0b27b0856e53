"""The `ytcaption` command: transcribe a file through the pipeline, run the local runtime."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from pydantic import ValidationError

from ytcaption.job import Job, JobOptions, JobStatus
from ytcaption.storage import RESULT_FORMATS, MediaStore

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_TIMEOUT = 3


def _err(message: str) -> None:
    print(message, file=sys.stderr)


# -- local runtime ----------------------------------------------------------------


def _local_up(args: argparse.Namespace) -> int:
    from ytcaption.local.runtime import LocalRuntime, RuntimeConfig

    if LocalRuntime.find_running():
        _err("the local runtime is already running (ytcaption local status)")
        return EXIT_FAILED
    settings = {"YTC_POLL_WAIT_SECONDS": "5", "YTC_DEFAULT_MODEL": args.model}
    runtime = LocalRuntime(RuntimeConfig(port=args.port, workers=args.workers, settings=settings))
    try:
        runtime.up()
    except Exception:
        runtime.down()
        raise
    print(f"YTCaption local runtime is up: {runtime.endpoint} ({args.workers} worker(s))")
    print(f"logs: {runtime.config.state_dir}")
    print(f"talk to it with: export AWS_ENDPOINT_URL={runtime.endpoint} AWS_ACCESS_KEY_ID=local "
          "AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1")  # fmt: skip
    return 0


def _local_down(_args: argparse.Namespace) -> int:
    from ytcaption.local.runtime import LocalRuntime

    runtime = LocalRuntime.find_running()
    if runtime is None:
        print("the local runtime is not running")
        return 0
    runtime.down()
    print("the local runtime is stopped")
    return 0


def _local_status(_args: argparse.Namespace) -> int:
    from ytcaption.local.runtime import LocalRuntime

    runtime = LocalRuntime.find_running()
    if runtime is None:
        print("the local runtime is not running")
        return EXIT_FAILED
    print(json.dumps(runtime.status(), indent=2))
    return 0


# -- transcribe -------------------------------------------------------------------


def _transcribe(args: argparse.Namespace) -> int:
    source = Path(args.source)
    if not source.is_file():
        _err(f"error: {source} is not a file (URL sources are not supported yet)")
        return EXIT_USAGE
    try:
        options = JobOptions(model=args.model, language=args.language, word_timestamps=args.word_timestamps)
    except ValidationError as exc:
        _err("error: " + "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors()))
        return EXIT_USAGE
    started = _ensure_runtime(args)
    try:
        return _run_job(source, options, args)
    finally:
        if started is not None:
            started.down()


def _ensure_runtime(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """Use AWS_ENDPOINT_URL or a running local runtime; else start one for this run."""
    from ytcaption.local.runtime import DEFAULT_PORT, LocalRuntime, RuntimeConfig, free_port, port_free

    if os.environ.get("AWS_ENDPOINT_URL"):
        return None
    running = LocalRuntime.find_running()
    if running is not None:
        running.activate()
        return None
    port = DEFAULT_PORT if port_free("127.0.0.1", DEFAULT_PORT) else free_port()
    state_dir = Path(tempfile.mkdtemp(prefix="ytcaption-run-"))
    settings = {"YTC_POLL_WAIT_SECONDS": "1", "YTC_DEFAULT_MODEL": args.model}
    runtime = LocalRuntime(RuntimeConfig(port=port, workers=1, state_dir=state_dir, settings=settings))
    _err(f"starting the local runtime on port {port} (logs: {state_dir})")
    try:
        runtime.up()
    except Exception:
        runtime.down()
        raise
    return runtime


def _run_job(source: Path, options: JobOptions, args: argparse.Namespace) -> int:
    from ytcaption.jobstore import JobStore
    from ytcaption.settings import get_settings
    from ytcaption.submit import submit_file

    settings = get_settings()
    store = JobStore(settings.table)
    job_id = submit_file(source, options, args.tenant, settings)
    _err(f"job {job_id}: uploaded {source.name}")
    job = _follow_with_progress(job_id, store, args.timeout)
    if job is None:
        _err(f"job {job_id} did not finish within {args.timeout:.0f} s; it goes on running")
        return EXIT_TIMEOUT
    if job.status != JobStatus.COMPLETED:
        _err(f"transcription {job.status.value.lower()}: {job.error_code}: {job.error_reason}")
        return EXIT_FAILED
    return _deliver(job, source, args)


def _follow_with_progress(job_id: str, store, timeout: float) -> Job | None:  # type: ignore[no-untyped-def]
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    from ytcaption.submit import follow

    console = Console(stderr=True)
    columns = (TextColumn("{task.description:<13}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("PENDING", total=100)

        def update(job: Job) -> None:
            bar.update(task, description=job.status.value, completed=job.progress)

        return follow(job_id, store, update, timeout=timeout)


def _deliver(job: Job, source: Path, args: argparse.Namespace) -> int:
    result = job.result or {}
    keys: dict[str, str] = result.get("keys", {})
    media = MediaStore(result.get("bucket") or job.source["bucket"])
    output = Path(args.output) if args.output else Path.cwd() / f"{source.stem}.{args.format}"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(media.get_text(keys[args.format]), encoding="utf-8")
    print(media.get_text(keys["txt"]).rstrip())
    metrics = result.get("metrics", {})
    _err(
        f"\n{job.job_id}: {metrics.get('audio_seconds', 0):.1f} s of audio in "
        f"{metrics.get('processing_seconds', 0):.1f} s (real-time factor {metrics.get('real_time_factor', 0):.3f})"
    )
    _err(f"{args.format.upper()} written to {output}")
    _err("all formats: " + ", ".join(f"s3://{media.bucket}/{keys[f]}" for f in RESULT_FORMATS if f in keys))
    return 0


# -- entry point ------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ytcaption", description="Transcripts and subtitles from audio and video.")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("transcribe", help="transcribe a local audio/video file through the pipeline")
    run.add_argument("source", help="audio or video file")
    run.add_argument("--model", default=os.environ.get("YTC_DEFAULT_MODEL", "tiny.en"))
    run.add_argument("--language", default="auto", help="'auto' or a language code such as en")
    run.add_argument("--format", choices=RESULT_FORMATS, default="srt", help="format written to --output")
    run.add_argument("--output", help="where to write the chosen format (default: ./<name>.<format>)")
    run.add_argument("--word-timestamps", action="store_true")
    run.add_argument("--tenant", default="local")
    run.add_argument("--timeout", type=float, default=3600, help="seconds to wait for the job")
    run.set_defaults(func=_transcribe)

    local = commands.add_parser("local", help="the embedded local runtime").add_subparsers(dest="action", required=True)
    up = local.add_parser("up", help="start the emulator, create the resources, start workers")
    up.add_argument("--port", type=int, default=4566)
    up.add_argument("--workers", type=int, default=1)
    up.add_argument("--model", default="tiny.en", help="model the workers load at start")
    up.set_defaults(func=_local_up)
    local.add_parser("down", help="stop everything `local up` started").set_defaults(func=_local_down)
    local.add_parser("status", help="what runs").set_defaults(func=_local_status)

    worker = commands.add_parser("worker", help="run a Whisper worker against the configured queue")
    worker.set_defaults(func=lambda _a: __import__("ytcaption.worker", fromlist=["main"]).main([]) or 0)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
