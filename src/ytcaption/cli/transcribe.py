"""`ytcaption transcribe SOURCE`: the main job, through the real pipeline.

With an HTTP API named (--api-url, YTC_API_URL or the profile: ytcaption.cli.api_target) the job goes
through that API with a tenant's key (ytcaption.cli.remote). Otherwise, as an operator: a file is
uploaded under uploads/ (its event starts the job); a URL becomes a job at once. The input is checked
before anything starts, so a bad file or a refused URL costs no runtime start-up.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ytcaption.cli import batch
from ytcaption.cli.api_target import add_api_arguments, resolve
from ytcaption.cli.batch import add_batch_arguments, is_batch
from ytcaption.cli.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_TIMEOUT, EXIT_USAGE, CliError, invalid_fields, say
from ytcaption.cli.job_options import FORMATS as RESULT_FORMATS
from ytcaption.cli.job_options import (
    add_format_arguments,
    add_option_arguments,
    chosen_formats,
    given_options,
    option_values,
)
from ytcaption.cli.local import add_settings_arguments, settings_for
from ytcaption.cli.progress import output_paths, progress_bar
from ytcaption.cli.subtitles import add_subtitle_arguments
from ytcaption.cli.target import use_running_runtime
from ytcaption.domain.job import Job, JobStatus
from ytcaption.domain.options import JobOptions


def is_url(source: str) -> bool:
    return "://" in source


def run(args: argparse.Namespace) -> int:
    target = resolve(args, required=False)
    if target is not None and is_batch(args):
        return batch.remote(args, target)
    if target is not None:
        from ytcaption.cli.remote import transcribe

        return transcribe(args, target)
    options = _options(args)
    started = None if use_running_runtime() else _new_runtime(args)
    if started is None:
        from ytcaption.settings import get_settings

        _check_input(args.source, get_settings().allowed_sites, get_settings().allow_loopback_urls)
    try:
        if started is not None:
            _start(started)
        if is_batch(args):
            return batch.local(args, options, own_runtime=started is not None)
        return _run_job(args.source, options, args, own_runtime=started is not None)
    except KeyboardInterrupt:
        what = "batch" if is_batch(args) else "job"
        where = "it is stopped with the local runtime this run started" if started else "it goes on running"
        say(f"\ninterrupted: the {what} was not waited for; {where}")
        return EXIT_INTERRUPTED
    finally:
        if started is not None:
            started.down()
            shutil.rmtree(started.config.state_dir, ignore_errors=True)


def _options(args: argparse.Namespace) -> JobOptions:
    given = option_values(given_options(args))
    given.setdefault("model", os.environ.get("YTC_DEFAULT_MODEL", "base"))
    try:
        return JobOptions(**given)
    except ValidationError as exc:
        raise CliError(f"error: {invalid_fields(exc, as_flags=True)}", EXIT_USAGE) from exc


def _check_input(source: str, allowed_sites: str, allow_loopback: bool) -> None:
    """Refuse what the pipeline would refuse, before anything starts: a URL the policy forbids,
    a file that is missing, empty or not audio."""
    from ytcaption.domain.errors import YtcError
    from ytcaption.fetch.probe import probe
    from ytcaption.intake.urlpolicy import UrlPolicy, check_url

    try:
        if is_url(source):
            check_url(source, UrlPolicy.from_settings(allowed_sites, allow_loopback))
            return
        path = Path(source)
        if not path.is_file():
            raise CliError(f"error: {source} is neither a file nor a URL", EXIT_USAGE)
        probe(path)
    except YtcError as exc:
        raise CliError(f"error: {exc.code}: {exc.reason}", EXIT_USAGE) from exc


def _new_runtime(args: argparse.Namespace) -> Any:
    """A local runtime for this one run (stopped and removed afterwards), its settings checked first."""
    from ytcaption.local import config
    from ytcaption.local.runtime import DEFAULT_PORT, LocalRuntime, RuntimeConfig, free_port, port_free

    explicit = {"YTC_DEFAULT_MODEL": _options(args).model, "YTC_POLL_WAIT_SECONDS": "1"}
    settings = settings_for(args, {}, explicit)
    checked = config.validate(settings)
    _check_input(args.source, checked.allowed_sites, checked.allow_loopback_urls)
    port = DEFAULT_PORT if port_free("127.0.0.1", DEFAULT_PORT) else free_port()
    state_dir = Path(tempfile.mkdtemp(prefix="ytcaption-run-"))
    return LocalRuntime(RuntimeConfig(port=port, workers=1, state_dir=state_dir, settings=settings))


def _start(runtime: Any) -> None:
    say(f"starting the local runtime on port {runtime.config.port} for this run")
    try:
        runtime.up()
    except BaseException:
        runtime.down()
        raise


def _run_job(source: str, options: JobOptions, args: argparse.Namespace, own_runtime: bool) -> int:
    from ytcaption.domain.errors import YtcError
    from ytcaption.intake.submit import submit_file, submit_url
    from ytcaption.settings import get_settings
    from ytcaption.store.jobs import JobStore

    settings = get_settings()
    store = JobStore(settings.table)
    if is_url(source):
        try:
            job_id = submit_url(source, options, args.tenant, settings)
        except YtcError as exc:
            raise CliError(f"error: {exc.code}: {exc.reason}", EXIT_USAGE) from exc
        say(f"job {job_id}: fetching {source}")
    else:
        job_id = submit_file(Path(source), options, args.tenant, settings)
        say(f"job {job_id}: uploaded {Path(source).name}")
    job = _follow_with_progress(job_id, store, args.timeout)
    if job is None:
        after = (
            "it is stopped with the local runtime this run started"
            if own_runtime
            else f"it goes on running (GET /v1/transcriptions/{job_id}, or `ytcaption admin jobs`)"
        )
        say(f"job {job_id} did not finish within {args.timeout:.0f} s; {after}")
        return EXIT_TIMEOUT
    if job.status != JobStatus.COMPLETED:
        say(f"transcription {job.status.value.lower()}: {job.error_code}: {job.error_reason}")
        return EXIT_FAILED
    return _deliver(job, source, args, own_runtime)


def _follow_with_progress(job_id: str, store: Any, timeout: float) -> Job | None:
    from ytcaption.intake.submit import follow

    with progress_bar() as update:
        return follow(job_id, store, lambda job: update(job.status.value, job.progress), timeout=timeout)


def _deliver(job: Job, source: str, args: argparse.Namespace, own_runtime: bool) -> int:
    from ytcaption.store.media import MediaStore

    result = job.result or {}
    keys: dict[str, str] = result.get("keys", {})
    media = MediaStore(result.get("bucket") or job.source["bucket"])
    stem = ((job.source_meta or {}).get("video_id") or "transcript") if is_url(source) else Path(source).stem
    formats = chosen_formats(args)
    paths = output_paths(args.output, stem, formats)
    for fmt, path in paths.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(media.get_text(keys[fmt]), encoding="utf-8")
    print(media.get_text(keys["txt"]).rstrip())
    metrics = result.get("metrics", {})
    say(
        f"\n{job.job_id}: {metrics.get('audio_seconds', 0):.1f} s of audio in "
        f"{metrics.get('processing_seconds', 0):.1f} s (real-time factor {metrics.get('real_time_factor', 0):.3f})"
    )
    for fmt, path in paths.items():
        say(f"{fmt.upper()} written to {path}")
    if own_runtime:
        # The runtime (and its S3) stops with this run: keep every format as a file instead.
        first = next(iter(paths.values()))
        others = [f for f in RESULT_FORMATS if f in keys and f not in paths]
        for fmt in others:
            first.with_suffix(f".{fmt}").write_text(media.get_text(keys[fmt]), encoding="utf-8")
        if others:
            say("also written: " + ", ".join(str(first.with_suffix(f".{fmt}")) for fmt in others))
    else:
        say("all formats: " + ", ".join(f"s3://{media.bucket}/{keys[f]}" for f in RESULT_FORMATS if f in keys))
    return 0


def add_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], formatter: type[argparse.HelpFormatter]
) -> None:
    cmd = commands.add_parser(
        "transcribe",
        help="transcribe an audio/video file or a video URL through the pipeline",
        formatter_class=formatter,
        description="With an API (--api-url, YTC_API_URL or the profile): through it, with a tenant's key. "
        "Otherwise as an operator: AWS_ENDPOINT_URL or a running `ytcaption local up`, else a local runtime "
        "for this run.",
    )
    cmd.add_argument(
        "source",
        help="audio or video file, a video URL (YouTube or any site yt-dlp knows), or a playlist, channel or "
        "feed URL (a batch: one file set per entry)",
    )
    add_format_arguments(cmd, "to --output")
    cmd.add_argument(
        "--output",
        help="where to write the format (several: its stem with each format's suffix); for a batch, the folder",
    )
    cmd.add_argument("--timeout", type=float, default=3600, help="seconds to wait for the job or batch")
    add_option_arguments(cmd)
    add_subtitle_arguments(cmd)
    add_batch_arguments(cmd)
    add_api_arguments(cmd)
    cmd.add_argument("--tenant", default="local", help="whose job it is (without an API; with one, the key says)")
    add_settings_arguments(cmd)
    cmd.set_defaults(func=run)
