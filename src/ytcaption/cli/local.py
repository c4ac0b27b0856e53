"""`ytcaption local up|down|status`: the embedded local runtime."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from ytcaption.cli.errors import EXIT_FAILED, EXIT_USAGE, CliError


def settings_for(args: argparse.Namespace, defaults: dict[str, str], explicit: dict[str, str]) -> dict[str, str]:
    """The runtime's settings: the command's defaults < --config file < the shell's YTC_* < --set and flags."""
    from ytcaption.local import config

    explicit = dict(explicit)
    for item in getattr(args, "set", None) or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise CliError(f"error: --set expects KEY=VALUE, got {item!r}", EXIT_USAGE)
        explicit[config.setting_name(key)] = value
    config_file = getattr(args, "config", None)
    if config_file is not None and not config_file.is_file():
        raise CliError(f"error: no config file {config_file}", EXIT_USAGE)
    return config.collect(os.environ, config_file, defaults, explicit)


def up(args: argparse.Namespace) -> int:
    from ytcaption.local.runtime import LocalRuntime, RuntimeConfig

    if LocalRuntime.find_running():
        raise CliError("error: the local runtime is already running (ytcaption local status; ytcaption local down)")
    explicit = {"YTC_DEFAULT_MODEL": args.model} if args.model else {}
    settings = settings_for(args, {"YTC_POLL_WAIT_SECONDS": "5", "YTC_DEFAULT_MODEL": "base"}, explicit)
    config = RuntimeConfig(port=args.port, workers=args.workers, settings=settings, api_port=args.api_port or None)
    runtime = LocalRuntime(config)
    try:
        runtime.up()
    except BaseException:
        runtime.down()
        raise
    print(f"YTCaption local runtime is up: {runtime.endpoint} ({args.workers} worker(s))")
    if runtime.api_url:
        print(f"HTTP API: {runtime.api_url} (docs: {runtime.api_url}/docs; a key: ytcaption keys create --tenant NAME)")
        print(f"Web page: {runtime.api_url}/")
        print(f"Live updates (WebSocket): {runtime.live_url}?key=<your key>")
    print(f"logs: {runtime.config.state_dir}")
    print("state (jobs, keys, results) lives in the emulator's memory: `local down` discards it")
    print(f"talk to it with: export AWS_ENDPOINT_URL={runtime.endpoint} AWS_ACCESS_KEY_ID=local "
          f"AWS_SECRET_ACCESS_KEY=$(cat {runtime.secret_file}) AWS_DEFAULT_REGION=us-east-1")  # fmt: skip
    print("(the emulator refuses requests not signed with that secret; it lives until `local down`)")
    return 0


def down(_args: argparse.Namespace) -> int:
    from ytcaption.local.runtime import LocalRuntime

    runtime = LocalRuntime.find_running()
    if runtime is None:
        print("the local runtime is not running")
        return 0
    runtime.down()
    print("the local runtime is stopped")
    return 0


def status(_args: argparse.Namespace) -> int:
    from ytcaption.local.runtime import LocalRuntime

    runtime = LocalRuntime.find_running()
    if runtime is None:
        print("the local runtime is not running")
        return EXIT_FAILED
    print(json.dumps(runtime.status(), indent=2))
    if not runtime.emulator_alive():
        print("the emulator is gone (its state with it): `ytcaption local down`, then `local up` again")
        return EXIT_FAILED
    return 0


def outbox(args: argparse.Namespace) -> int:
    """The emails the local runtime's SES accepted, oldest first."""
    from ytcaption.local.outbox import as_text, sent_emails
    from ytcaption.local.runtime import LocalRuntime

    runtime = LocalRuntime.find_running()
    if runtime is None:
        print("the local runtime is not running")
        return EXIT_FAILED
    emails = sent_emails(runtime.endpoint, runtime.secret)
    if args.json:
        print(json.dumps(emails, indent=2))
        return 0
    if not emails:
        print("the outbox is empty")
    for email in emails:
        print(f"From: {email['from']}\nTo: {', '.join(email['to'])}\nSubject: {email['subject']}\n")
        print(as_text(email["body"] or ""))
        print("-" * 72)
    return 0


def add_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], formatter: type[argparse.HelpFormatter]
) -> None:
    local = commands.add_parser("local", help="the embedded local runtime", formatter_class=formatter)
    actions = local.add_subparsers(dest="action", required=True)
    start = actions.add_parser(
        "up", help="start the emulator, create the resources, start workers and the HTTP API", formatter_class=formatter
    )
    start.add_argument("--port", type=int, default=4566, help="port of the AWS emulator on 127.0.0.1")
    start.add_argument("--workers", type=int, default=1, help="Whisper worker processes to start")
    start.add_argument(
        "--model", default=None, help="default model, what workers load at start and jobs use (default: base)"
    )
    start.add_argument("--api-port", type=int, default=8000, help="port of the HTTP API on 127.0.0.1 (0: no API)")
    add_settings_arguments(start)
    start.set_defaults(func=up)
    actions.add_parser("down", help="stop everything `local up` started").set_defaults(func=down)
    actions.add_parser("status", help="what runs").set_defaults(func=status)
    box = actions.add_parser("outbox", help="the emails sent (notify_email), as the local SES kept them")
    box.add_argument("--json", action="store_true", help="as JSON (body as sent)")
    box.set_defaults(func=outbox)


def add_settings_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", type=Path, help="KEY=VALUE settings file (YTC_ prefix optional); the shell's YTC_* win over it"
    )
    parser.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="one setting for every component (repeatable)"
    )
