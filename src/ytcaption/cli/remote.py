"""`ytcaption transcribe SOURCE` through a deployment's public HTTP API, with a tenant's key: the file
is uploaded (presigned POST) or the URL sent, the job followed live, each format downloaded."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ytcaption.cli.api_target import ApiTarget
from ytcaption.cli.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_TIMEOUT, EXIT_USAGE, CliError, say
from ytcaption.cli.job_options import chosen_formats, given_options
from ytcaption.cli.progress import output_paths, progress_bar


def transcribe(args: argparse.Namespace, target: ApiTarget) -> int:
    from ytcaption.client import WaitTimeout

    options = given_options(args)
    source: str = args.source
    is_url = "://" in source
    if not is_url and not Path(source).is_file():
        raise CliError(f"error: {source} is neither a file nor a URL", EXIT_USAGE)
    cache = True if args.cache is None else args.cache
    with target.client() as api:
        with progress_bar() as update:
            if is_url:
                job = api.create_from_url(source, options, cache=cache)
            else:

                def uploaded(sent: int, total: int) -> None:
                    update("UPLOADING", 100 * sent / total if total else 100)

                job = api.create_from_file(source, options, on_progress=uploaded)
            say(f"job {job.id}: {'fetching ' + source if is_url else 'uploaded ' + Path(source).name}")
            try:
                job = api.wait(job.id, timeout=args.timeout, on_update=lambda j: update(j.status, j.progress))
            except WaitTimeout as exc:
                say(f"job {exc.last.id} did not finish within {args.timeout:.0f} s; it goes on running "
                    f"(`ytcaption jobs get {exc.last.id}`)")  # fmt: skip
                return EXIT_TIMEOUT
            except KeyboardInterrupt:
                say(f"\ninterrupted: job {job.id} goes on running (`ytcaption jobs cancel {job.id}` stops it)")
                return EXIT_INTERRUPTED
        if job.status != "COMPLETED":
            reason = f": {job.error.code}: {job.error.reason}" if job.error else ""
            say(f"transcription {job.status.lower()}{reason}")
            return EXIT_FAILED
        write_results(api, job.id, chosen_formats(args), args.output, _stem(source, job))
        print(api.result(job.id, "txt").rstrip())
    return 0


def _stem(source: str, job: Any) -> str:
    if "://" not in source:
        return Path(source).stem
    video_id = job.media.extra.get("video_id") if job.media else None
    return str(video_id or job.id)


def write_results(api: Any, job_id: str, formats: list[str], output: str | None, stem: str) -> None:
    for fmt, path in output_paths(output, stem, formats).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(api.result(job_id, fmt), encoding="utf-8")
        say(f"{fmt.upper()} written to {path}")
