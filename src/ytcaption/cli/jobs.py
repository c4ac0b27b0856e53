"""`ytcaption jobs list|get|wait|cancel|result|events`: a tenant's jobs, through the HTTP API with
its key (--api-url/--api-key, YTC_API_URL/YTC_API_KEY, or the profile)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ytcaption.cli.api_target import add_api_arguments, resolve
from ytcaption.cli.errors import EXIT_FAILED, EXIT_TIMEOUT, say
from ytcaption.cli.job_options import add_format_arguments, chosen_formats
from ytcaption.cli.progress import progress_bar
from ytcaption.cli.remote import write_results
from ytcaption.domain.vocabulary import Status


def _print_json(model: Any) -> None:
    print(model.model_dump_json(indent=2, by_alias=True))


def _line(job: Any) -> str:
    source = job.source.url or job.source.filename or job.source.upload_id or ""
    return f"{job.id}  {job.status:<12} {job.progress:>3}%  {job.created_at}  {source}"


def run(args: argparse.Namespace) -> int:
    target = resolve(args, required=True)
    assert target is not None
    with target.client() as api:
        action: str = args.action
        if action == "list":
            if args.all:
                jobs = list(api.iter_all(status=args.status, page_size=min(args.limit, 100)))
                cursor = None
            else:
                page = api.list(status=args.status, limit=args.limit, cursor=args.cursor)
                jobs, cursor = page.items, page.next_cursor
            if args.json:
                print(json.dumps([job.model_dump(mode="json", by_alias=True) for job in jobs], indent=2))
            else:
                for job in jobs:
                    print(_line(job))
            if cursor:
                say(f"more: --cursor {cursor}")
        elif action == "get":
            _print_json(api.get(args.job_id))
        elif action == "events":
            events = api.events(args.job_id)
            if args.json:
                _print_json(events)
            else:
                for event in events.events:
                    print(f"{event.at}  {event.event_type:<28} {event.status}")
        elif action == "cancel":
            job = api.cancel(args.job_id)
            print(f"{job.id} {job.status.lower()}")
        elif action == "wait":
            return _wait(api, args)
        elif action == "result":
            formats = chosen_formats(args, default="txt")
            if len(formats) == 1 and args.output is None:
                sys.stdout.write(api.result(args.job_id, formats[0]))
            else:
                write_results(api, args.job_id, formats, args.output, args.job_id)
    return 0


def _wait(api: Any, args: argparse.Namespace) -> int:
    from ytcaption.client import WaitTimeout

    try:
        with progress_bar() as update:
            job = api.wait(args.job_id, timeout=args.timeout, on_update=lambda j: update(j.status, j.progress))
    except WaitTimeout as exc:
        say(f"job {args.job_id} is still {exc.last.status} after {args.timeout:.0f} s")
        return EXIT_TIMEOUT
    print(f"{job.id} {job.status.lower()}" + (f": {job.error.code}: {job.error.reason}" if job.error else ""))
    return 0 if job.status == "COMPLETED" else EXIT_FAILED


def add_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], formatter: type[argparse.HelpFormatter]
) -> None:
    from typing import get_args

    jobs = commands.add_parser(
        "jobs", help="your jobs through the HTTP API, with a tenant's key", formatter_class=formatter
    )
    actions = jobs.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="your jobs, newest first", formatter_class=formatter)
    listing.add_argument("--status", choices=get_args(Status), help="only this status")
    listing.add_argument("--limit", type=int, default=20, choices=range(1, 101), metavar="1-100", help="per page")
    listing.add_argument("--cursor", help="the next page: the cursor the previous one printed")
    listing.add_argument("--all", action="store_true", help="every page")
    listing.add_argument("--json", action="store_true", help="the API's JSON")
    actions.add_parser("get", help="one job: status, progress, options, error, links (JSON)", formatter_class=formatter)
    events = actions.add_parser("events", help="the statuses it went through", formatter_class=formatter)
    events.add_argument("--json", action="store_true", help="the API's JSON (webhook and email attempts too)")
    actions.add_parser("cancel", help="cancel it: it becomes CANCELLED", formatter_class=formatter)
    wait = actions.add_parser("wait", help="follow it live until it ends", formatter_class=formatter)
    wait.add_argument("--timeout", type=float, default=3600, help="seconds to wait")
    result = actions.add_parser("result", help="download its transcript", formatter_class=formatter)
    add_format_arguments(result, "(one format without --output: to stdout)", default="txt")
    result.add_argument("--output", help="the file (several formats: its stem with each format's suffix)")
    for name, sub in actions.choices.items():
        if name != "list":
            sub.add_argument("job_id", help="job-...")
        add_api_arguments(sub)
        sub.set_defaults(func=run)
