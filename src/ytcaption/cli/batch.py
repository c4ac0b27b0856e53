"""`ytcaption transcribe PLAYLIST_URL --output DIR`: a playlist, channel or feed as one batch, one file set
per entry named after its title (ytcaption.cli.filenames), one progress display for the whole batch.

Through an HTTP API (POST /v1/batches, then GET until it ends) or, as an operator, through the runtime
itself (the batch recorded and ExpandBatch started as the API does: ytcaption.batch.start).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ytcaption.cli.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_TIMEOUT, say
from ytcaption.cli.filenames import distinct_stems
from ytcaption.cli.job_options import chosen_formats
from ytcaption.cli.progress import Update, progress_bar
from ytcaption.domain.listings import looks_like_listing


def is_batch(args: argparse.Namespace) -> bool:
    """A URL given with --batch, or one whose shape names a playlist, channel or feed."""
    source: str = args.source
    return "://" in source and (bool(args.batch) or looks_like_listing(source))


@dataclass(frozen=True)
class Ended:
    """How a batch ended, and each entry: (title, entry_id, job_id, status, error) in the batch's order."""

    status: str
    error: str | None
    entries: list[tuple[str, str, str | None, str, str | None]]


def _update(update: Update, status: str, ended: int, total: int, percent: float) -> None:
    """One display for the batch: LISTING, then how many entries are done (its status if it has none)."""
    if status == "EXPANDING":
        update("LISTING", percent)
    else:
        update(f"{ended}/{total} done" if total else status, percent)


def write(ended: Ended, fetch: Callable[[str, str], str], formats: list[str], out_dir: Path) -> int:
    """Each completed entry's formats as <title>.<format> under out_dir; says what became of each entry."""
    if ended.error:
        say(f"batch {ended.status.lower()}: {ended.error}")
    out_dir.mkdir(parents=True, exist_ok=True)
    stems = distinct_stems([(title, entry_id) for title, entry_id, *_ in ended.entries])
    failed = 0
    for stem, (title, entry_id, job_id, status, error) in zip(stems, ended.entries, strict=True):
        if status != "COMPLETED" or job_id is None:
            failed += 1
            say(f"{title or entry_id}: {status.lower()}{f': {error}' if error else ''}")
            continue
        paths = [out_dir / f"{stem}.{fmt}" for fmt in formats]
        for fmt, path in zip(formats, paths, strict=True):
            path.write_text(fetch(job_id, fmt), encoding="utf-8")
        say(f"{title or entry_id}: " + ", ".join(str(p) for p in paths))
    done = len(ended.entries) - failed
    say(f"{done} of {len(ended.entries)} entries transcribed into {out_dir}")
    return 0 if ended.status == "COMPLETED" and not failed else EXIT_FAILED


def _out_dir(args: argparse.Namespace) -> Path:
    return Path(args.output) if args.output else Path.cwd()


# -- through an HTTP API ----------------------------------------------------------------


def remote(args: argparse.Namespace, target: Any) -> int:
    from ytcaption.cli.job_options import given_options
    from ytcaption.client import BatchWaitTimeout

    fields: dict[str, Any] = {"max_items": args.max_items} if args.max_items else {}
    if args.cache is not None:
        fields["cache"] = args.cache
    with target.client() as api:
        batch = api.create_batch(args.source, given_options(args), **fields)
        say(f"batch {batch.id}: listing {args.source}")
        with progress_bar() as update:
            try:
                batch = api.wait_batch(
                    batch.id,
                    timeout=args.timeout,
                    on_update=lambda b: _update(update, b.status, b.ended, b.total, b.progress),
                )
            except BatchWaitTimeout as exc:
                say(f"batch {exc.last.id} did not finish within {args.timeout:.0f} s; it goes on running")
                return EXIT_TIMEOUT
            except KeyboardInterrupt:
                say(f"\ninterrupted: batch {batch.id} goes on running (DELETE /v1/batches/{batch.id} stops it)")
                return EXIT_INTERRUPTED
        entries = [(e.title, e.entry_id, e.job_id, e.status, _error(e.error_code, e.error_reason))
                   for e in batch.entries or []]  # fmt: skip
        ended = Ended(batch.status, _error(batch.error_code, batch.error_reason), entries)
        return write(ended, lambda job_id, fmt: str(api.result(job_id, fmt)), chosen_formats(args), _out_dir(args))


def _error(code: str | None, reason: str | None) -> str | None:
    return f"{code}: {reason}" if code else None


# -- through the runtime, as an operator ------------------------------------------------


def local(args: argparse.Namespace, options: Any, own_runtime: bool) -> int:
    from ytcaption.batch.start import begin_batch
    from ytcaption.domain.ids import new_batch_id
    from ytcaption.settings import get_settings
    from ytcaption.store.batches import BatchStore
    from ytcaption.store.jobs import JobStore

    settings = get_settings()
    batches, store = BatchStore(settings.table), JobStore(settings.table)
    batch_id = new_batch_id()
    request = {"url": args.source, "options": options.model_dump(), "newest_first": True,
               "max_items": args.max_items or settings.tenant_max_batch_items}  # fmt: skip
    if args.cache is False:
        request["no_cache"] = True
    with progress_bar() as update:
        _update(update, "EXPANDING", 0, 0, 0)
        begin_batch(settings, batches, batch_id, args.tenant, request)
        say(f"batch {batch_id}: listing {args.source}")
        ended = _follow(batches, store, batch_id, update, args.timeout)
    if ended is None:
        after = "it is stopped with the local runtime this run started" if own_runtime else "it goes on running"
        say(f"batch {batch_id} did not finish within {args.timeout:.0f} s; {after}")
        return EXIT_TIMEOUT

    def fetch(job_id: str, fmt: str) -> str:
        from ytcaption.store.media import MediaStore

        job = store.get(job_id)
        result = (job.result if job else None) or {}
        return MediaStore(result.get("bucket") or settings.bucket).get_text(result["keys"][fmt])

    return write(ended, fetch, chosen_formats(args), _out_dir(args))


def _follow(batches: Any, store: Any, batch_id: str, update: Update, timeout: float) -> Ended | None:
    """Poll the batch item alone (its counters say how far it is); its entries and their jobs are read
    once, when it has ended."""
    from ytcaption.batch.summary import ended_progress, entry_views
    from ytcaption.store.batches import ENDED

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = batches.get(batch_id)
        if batch is not None:
            status = batch["status"]
            _update(update, status, int(batch.get("ended") or 0), int(batch.get("total") or 0), ended_progress(batch))
            if status in ENDED:
                entries = [(str(v.get("title") or ""), str(v["entry_id"]), v.get("job_id"), str(v["status"]),
                            _error(v.get("error_code"), v.get("error_reason")))
                           for v in entry_views(batches, store, batch_id)]  # fmt: skip
                return Ended(status, _error(batch.get("error_code"), batch.get("error_reason")), entries)
        time.sleep(0.5)
    return None


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def add_batch_arguments(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "--batch",
        action="store_true",
        help="the URL lists media (a playlist, channel, feed or page): transcribe each entry into --output DIR "
        "(playlist, channel and feed URLs are recognised without it)",
    )
    cmd.add_argument("--max-items", type=_at_least_one, help="a batch's entries: at most this many (newest first)")
