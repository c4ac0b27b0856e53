"""The `ytcaption` command: transcribe a file through the pipeline, run the local runtime."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from pydantic import ValidationError

from ytcaption.domain.job import Job, JobOptions, JobStatus
from ytcaption.store.media import RESULT_FORMATS, MediaStore

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
    config = RuntimeConfig(port=args.port, workers=args.workers, settings=settings, api_port=args.api_port or None)
    runtime = LocalRuntime(config)
    try:
        runtime.up()
    except Exception:
        runtime.down()
        raise
    print(f"YTCaption local runtime is up: {runtime.endpoint} ({args.workers} worker(s))")
    if runtime.api_url:
        print(f"HTTP API: {runtime.api_url} (docs: {runtime.api_url}/docs; a key: ytcaption keys create --tenant NAME)")
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


def _is_url(source: str) -> bool:
    return "://" in source


def _transcribe(args: argparse.Namespace) -> int:
    if not _is_url(args.source) and not Path(args.source).is_file():
        _err(f"error: {args.source} is neither a file nor a URL")
        return EXIT_USAGE
    try:
        options = JobOptions(
            model=args.model,
            language=args.language,
            word_timestamps=args.word_timestamps,
            prefer_captions=args.prefer_captions,
        )
    except ValidationError as exc:
        _err("error: " + "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors()))
        return EXIT_USAGE
    started = _ensure_runtime(args)
    try:
        return _run_job(args.source, options, args)
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
    # YTC_* settings of this shell (e.g. YTC_ALLOWED_SITES) apply to the runtime too.
    settings = {k: v for k, v in os.environ.items() if k.startswith("YTC_") and k != "YTC_HOME"}
    settings.update({"YTC_POLL_WAIT_SECONDS": "1", "YTC_DEFAULT_MODEL": args.model})
    runtime = LocalRuntime(RuntimeConfig(port=port, workers=1, state_dir=state_dir, settings=settings))
    _err(f"starting the local runtime on port {port} (logs: {state_dir})")
    try:
        runtime.up()
    except Exception:
        runtime.down()
        raise
    return runtime


def _run_job(source: str, options: JobOptions, args: argparse.Namespace) -> int:
    from ytcaption.domain.errors import YtcError
    from ytcaption.intake.submit import submit_file, submit_url
    from ytcaption.settings import get_settings
    from ytcaption.store.jobs import JobStore

    settings = get_settings()
    store = JobStore(settings.table)
    if _is_url(source):
        try:
            job_id = submit_url(source, options, args.tenant, settings)
        except YtcError as exc:
            _err(f"error: {exc.code}: {exc.reason}")
            return EXIT_USAGE
        _err(f"job {job_id}: fetching {source}")
    else:
        job_id = submit_file(Path(source), options, args.tenant, settings)
        _err(f"job {job_id}: uploaded {Path(source).name}")
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

    from ytcaption.intake.submit import follow

    console = Console(stderr=True)
    columns = (TextColumn("{task.description:<13}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("PENDING", total=100)

        def update(job: Job) -> None:
            bar.update(task, description=job.status.value, completed=job.progress)

        return follow(job_id, store, update, timeout=timeout)


def _deliver(job: Job, source: str, args: argparse.Namespace) -> int:
    result = job.result or {}
    keys: dict[str, str] = result.get("keys", {})
    media = MediaStore(result.get("bucket") or job.source["bucket"])
    stem = (job.source_meta or {}).get("video_id") or "transcript" if _is_url(source) else Path(source).stem
    output = Path(args.output) if args.output else Path.cwd() / f"{stem}.{args.format}"
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


# -- API keys ---------------------------------------------------------------------


def _keys_create(args: argparse.Namespace) -> int:
    """A new API key for a tenant, in the running local runtime, AWS_ENDPOINT_URL, or AWS."""
    from ytcaption.settings import get_settings
    from ytcaption.store.apikeys import ApiKeyStore

    _target()
    settings = get_settings()
    limits = {
        name: float(value)
        for name, value in (
            ("max_jobs_in_flight", args.max_jobs_in_flight),
            ("max_audio_seconds_per_day", args.max_audio_seconds_per_day),
            ("max_upload_bytes", args.max_upload_bytes),
        )
        if value is not None
    }
    try:
        key, record = ApiKeyStore(settings.table, settings.api_key_pepper).create(args.tenant, args.name, limits)
    except ValueError as exc:
        _err(f"error: {exc}")
        return EXIT_USAGE
    _err(f"API key {record.key_id} for tenant {record.tenant} (shown once; only its hash is stored):")
    print(key)
    return 0


# -- operators --------------------------------------------------------------------


def _target() -> None:
    """Talk to AWS_ENDPOINT_URL (or AWS) if set, else to the running local runtime."""
    from ytcaption.local.runtime import LocalRuntime

    if not os.environ.get("AWS_ENDPOINT_URL") and (running := LocalRuntime.find_running()) is not None:
        running.activate()


def _admin(args: argparse.Namespace) -> int:
    from ytcaption import operations
    from ytcaption.domain.errors import InvalidTransition
    from ytcaption.domain.job import JobStatus
    from ytcaption.settings import get_settings
    from ytcaption.store.jobs import JobStore

    _target()
    settings = get_settings()
    store = JobStore(settings.table)
    try:
        if args.action == "jobs":
            jobs, _ = operations.list_jobs(store, JobStatus(args.status) if args.status else None, args.limit)
            for job in jobs:
                print(f"{job.job_id}  {job.tenant:<16} {job.status.value:<12} {job.created_at}  {job.error_code or ''}")
        elif args.action == "cancel":
            operations.cancel_job(store, settings, args.job_id, "Cancelled by an operator.")
            print(f"{args.job_id} cancelled")
        elif args.action == "redrive":
            print(f"{args.job_id} redriven as execution {operations.redrive_job(store, settings, args.job_id)}")
        elif args.action == "redrive-dlq":
            print(f"{operations.redrive_dead_letters(settings.dlq_name, settings.queue_name)} message(s) moved back")
        elif args.action == "stats":
            print(json.dumps(operations.stats(store, settings), indent=2))
    except (InvalidTransition, KeyError) as exc:
        _err(f"error: {exc}")
        return EXIT_FAILED
    return 0


def _webhook_secret(args: argparse.Namespace) -> int:
    from ytcaption.settings import get_settings
    from ytcaption.store.tenants import TenantStore

    _target()
    tenants = TenantStore(get_settings().table)
    print(tenants.rotate_webhook_secret(args.tenant) if args.rotate else tenants.webhook_secret(args.tenant))
    return 0


# -- entry point ------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ytcaption", description="Transcripts and subtitles from audio and video.")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("transcribe", help="transcribe an audio/video file or a video URL through the pipeline")
    run.add_argument("source", help="audio or video file, or a video URL (YouTube or any site yt-dlp knows)")
    run.add_argument("--model", default=os.environ.get("YTC_DEFAULT_MODEL", "tiny.en"))
    run.add_argument("--language", default="auto", help="'auto' or a language code such as en")
    run.add_argument("--format", choices=RESULT_FORMATS, default="srt", help="format written to --output")
    run.add_argument("--output", help="where to write the chosen format (default: ./<name>.<format>)")
    run.add_argument("--word-timestamps", action="store_true")
    run.add_argument("--prefer-captions", action="store_true", help="use the video's own subtitles when it has them")
    run.add_argument("--tenant", default="local")
    run.add_argument("--timeout", type=float, default=3600, help="seconds to wait for the job")
    run.set_defaults(func=_transcribe)

    local = commands.add_parser("local", help="the embedded local runtime").add_subparsers(dest="action", required=True)
    up = local.add_parser("up", help="start the emulator, create the resources, start workers")
    up.add_argument("--port", type=int, default=4566)
    up.add_argument("--workers", type=int, default=1)
    up.add_argument("--model", default="tiny.en", help="model the workers load at start")
    up.add_argument("--api-port", type=int, default=8000, help="port of the HTTP API on 127.0.0.1 (0: no API)")
    up.set_defaults(func=_local_up)
    local.add_parser("down", help="stop everything `local up` started").set_defaults(func=_local_down)
    local.add_parser("status", help="what runs").set_defaults(func=_local_status)

    keys = commands.add_parser("keys", help="API keys of the HTTP API").add_subparsers(dest="action", required=True)
    create = keys.add_parser("create", help="create an API key for a tenant and print it")
    create.add_argument("--tenant", required=True, help="lower-case letters, digits, '-' and '_'")
    create.add_argument("--name", default="", help="a note to tell keys apart")
    create.add_argument("--max-jobs-in-flight", type=int, default=None)
    create.add_argument("--max-audio-seconds-per-day", type=float, default=None)
    create.add_argument("--max-upload-bytes", type=int, default=None)
    create.set_defaults(func=_keys_create)

    admin = commands.add_parser("admin", help="operator controls").add_subparsers(dest="action", required=True)
    jobs = admin.add_parser("jobs", help="jobs of all tenants, newest first")
    jobs.add_argument("--status", choices=[s.value for s in JobStatus])
    jobs.add_argument("--limit", type=int, default=50)
    admin.add_parser("cancel", help="cancel any job").add_argument("job_id")
    admin.add_parser("redrive", help="run a FAILED job again").add_argument("job_id")
    admin.add_parser("redrive-dlq", help="move dead-lettered tasks back to the queue")
    admin.add_parser("stats", help="jobs by status, audio hours, real-time factor, queue depth and age")
    for sub in admin.choices.values():
        sub.set_defaults(func=_admin)

    hooks = commands.add_parser("webhooks", help="webhook signing").add_subparsers(dest="action", required=True)
    secret = hooks.add_parser("secret", help="print a tenant's webhook signing secret")
    secret.add_argument("--tenant", required=True)
    secret.add_argument("--rotate", action="store_true", help="replace it with a new one")
    secret.set_defaults(func=_webhook_secret)

    worker = commands.add_parser("worker", help="run a Whisper worker against the configured queue")
    worker.set_defaults(func=lambda _a: __import__("ytcaption.worker.loop", fromlist=["main"]).main([]) or 0)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
