"""The `ytcaption` command: transcribe through the pipeline, run the local runtime, manage keys and jobs.

Every failure the user can act on is one line on stderr and an exit code (1 failed, 2 bad input,
3 timed out, 4 AWS, the runtime or the API unreachable, 5 the API refused the key, 130 interrupted),
never a traceback.
"""

from __future__ import annotations

import argparse
from importlib.metadata import PackageNotFoundError, version

from ytcaption.cli import jobs, local, manage, subtitles, transcribe
from ytcaption.cli.errors import EXIT_INTERRUPTED, explain, say


def _version() -> str:
    try:
        return version("ytcaption")
    except PackageNotFoundError:  # run from a source tree that was not installed
        return "unknown"


class _Formatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows defaults, except the empty ones (None, False) that say nothing."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False, argparse.SUPPRESS):
            return action.help
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    formatter = _Formatter
    parser = argparse.ArgumentParser(
        prog="ytcaption", description="Transcripts and subtitles from audio and video.", formatter_class=formatter
    )
    parser.add_argument("--version", action="version", version=f"ytcaption {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    transcribe.add_command(commands, formatter)
    jobs.add_commands(commands, formatter)
    local.add_commands(commands, formatter)
    manage.add_commands(commands, formatter)
    subtitles.add_commands(commands, formatter)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        say("\ninterrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:
        known = explain(exc)
        if known is None:
            raise
        say(str(known))
        return known.code
    return code
