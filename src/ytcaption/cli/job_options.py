"""The job options as flags: one per field of the API's request, named as the API names it
(`webhook_url` is `--webhook-url`), checked by the API's own model (ytcaption.api.schemas.OptionsIn).

Flags left out are not sent: the API's (or the local runtime's) defaults apply. A test reads the
OpenAPI document and fails when a field of the request has no flag here.
"""

from __future__ import annotations

import argparse
from typing import Any, get_args

from pydantic import ValidationError

from ytcaption.api.schemas import OptionsIn
from ytcaption.cli.errors import EXIT_USAGE, CliError, invalid_fields
from ytcaption.cli.subtitles import subtitle_settings
from ytcaption.domain.speakers import SpeakerSetting, parse_setting
from ytcaption.domain.vocabulary import Priority, ResultFormat, Task

FORMATS: tuple[str, ...] = get_args(ResultFormat)
OPTION_FIELDS: tuple[str, ...] = tuple(OptionsIn.model_fields)


def _help(name: str, fallback: str) -> str:
    described = OptionsIn.model_fields[name].description
    return (described or fallback).replace("%", "%%")  # argparse formats help with %


def _speakers(text: str) -> SpeakerSetting:
    try:
        return parse_setting(text)
    except ValueError as exc:  # a usage error (exit 2) with what is wrong
        raise argparse.ArgumentTypeError(str(exc).splitlines()[0]) from exc


def add_option_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("job options (as the API names them; unset: the server's default)")
    group.add_argument("--model", help=_help("model", "Whisper model"))
    group.add_argument("--language", help=_help("language", "'auto' or a language code"))
    group.add_argument("--task", choices=get_args(Task), help="transcribe, or translate into English")
    group.add_argument("--prompt", help=_help("prompt", "vocabulary hints"))
    group.add_argument("--priority", choices=get_args(Priority), help="queue priority (default normal)")
    on_off = argparse.BooleanOptionalAction
    group.add_argument("--vad", action=on_off, help=_help("vad", "skip silence") + " (default on)")
    group.add_argument("--word-timestamps", action=on_off, help="timestamps for every word (in the JSON)")
    group.add_argument("--prefer-captions", action=on_off, help=_help("prefer_captions", "use the video's subtitles"))
    group.add_argument(
        "--speakers",
        type=_speakers,
        metavar="auto|N|MIN-MAX",
        help="label who spoke: auto, a count, or a range like 2-4",
    )
    group.add_argument("--webhook-url", help=_help("webhook_url", "called with the terminal event"))
    group.add_argument("--notify-progress", action=on_off, help=_help("notify_progress", "progress webhooks"))
    group.add_argument("--notify-email", help=_help("notify_email", "emailed when it ends"))
    group.add_argument(
        "--cache", action=on_off, help="answer from an identical completed job of yours (API only; default on)"
    )


def given_options(args: argparse.Namespace) -> OptionsIn:
    """The options given on the command line, checked as the API checks them."""
    values = {name: getattr(args, name) for name in OPTION_FIELDS if getattr(args, name, None) is not None}
    subtitles = subtitle_settings(args)  # one flag per setting (--max-line-chars ...), not one `--subtitles`
    if subtitles is not None:
        values["subtitles"] = subtitles.model_dump(exclude_unset=True)
    try:
        return OptionsIn.model_validate(values)
    except ValidationError as exc:
        raise CliError(f"error: {invalid_fields(exc, as_flags=True)}", EXIT_USAGE) from exc


def formats(value: str) -> list[str]:
    """`--format srt,vtt` (repeatable), or `all`."""
    chosen: list[str] = []
    for part in value.split(","):
        name = part.strip().lower()
        if name == "all":
            chosen.extend(FORMATS)
        elif name in FORMATS:
            chosen.append(name)
        else:
            raise argparse.ArgumentTypeError(f"{part!r} is not a format: {', '.join(FORMATS)} or all")
    return chosen


def chosen_formats(args: argparse.Namespace, default: str = "srt") -> list[str]:
    picked: list[str] = args.format or [default]
    return list(dict.fromkeys(picked))


def add_format_arguments(parser: argparse.ArgumentParser, what: str, default: str = "srt") -> None:
    parser.add_argument(
        "--format",
        type=formats,
        action="extend",
        metavar="FORMAT[,FORMAT]",
        help=f"{', '.join(FORMATS)} or all; repeatable or comma-separated (default {default}): each is written {what}",
    )


def option_values(options: OptionsIn) -> dict[str, Any]:
    return options.model_dump(exclude_unset=True)
