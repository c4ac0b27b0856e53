"""Subtitle settings on the command line, and `ytcaption subtitles check FILE` (any SRT or WebVTT
file against the reading rules) and `ytcaption subtitles render TRANSCRIPT.json` (subtitles with
other settings from a transcript, without transcribing again)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ytcaption.cli.errors import EXIT_FAILED, EXIT_USAGE, CliError, invalid_fields
from ytcaption.domain.captions.check import SOFT_ALLOWANCE, check, default_rules, parse
from ytcaption.domain.captions.rules import SubtitleSettings, rules_for

# --flag -> SubtitleSettings field, with its help.
_FLAGS: dict[str, tuple[type, str]] = {
    "max_lines": (int, "lines a cue (default 2)"),
    "max_line_chars": (int, "characters a line (default 42; 16 for Chinese and Japanese)"),
    "min_cue_seconds": (float, "shortest time on screen (default 5/6 s)"),
    "max_cue_seconds": (float, "longest time on screen (default 7 s)"),
    "max_chars_per_second": (float, "reading speed (default 20; 9 for Chinese)"),
    "min_gap_seconds": (float, "gap between cues (default 0.083 s, two frames)"),
    "pause_seconds": (float, "a silence this long starts a new cue (default 1 s)"),
    "linger_seconds": (float, "how long a cue may stay after its last word (default 1 s)"),
}


def add_subtitle_arguments(cmd: argparse.ArgumentParser, karaoke: bool = True) -> None:
    group = cmd.add_argument_group("subtitles", "reading rules of the SRT and VTT (broadcast defaults)")
    for name, (kind, help_text) in _FLAGS.items():
        group.add_argument(f"--{name.replace('_', '-')}", dest=name, type=kind, help=help_text)
    if karaoke:
        group.add_argument("--karaoke", action="store_true", help="WebVTT with a timestamp tag before each word")


def subtitle_settings(args: argparse.Namespace) -> SubtitleSettings | None:
    """The settings given as flags; None when none was."""
    given: dict[str, Any] = {name: getattr(args, name) for name in _FLAGS if getattr(args, name, None) is not None}
    if getattr(args, "karaoke", False):
        given["karaoke"] = True
    if not given:
        return None
    try:
        return SubtitleSettings(**given)
    except ValidationError as exc:
        raise CliError(f"bad subtitle settings: {invalid_fields(exc, as_flags=True)}", EXIT_USAGE) from exc


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}", EXIT_USAGE) from exc


def run_check(args: argparse.Namespace) -> int:
    settings = subtitle_settings(args)
    text = _read(args.file)
    try:
        cues = parse(text)
    except Exception as exc:  # the parsers' own errors: the file is not SRT/WebVTT
        raise CliError(f"{args.file} is not a valid SRT or WebVTT file: {exc}", EXIT_FAILED) from exc
    rules = rules_for(args.language, settings) if args.language else default_rules(cues)
    if settings and not args.language:
        rules = rules_for("zh" if rules.no_space_script else "en", settings)
    report = check(cues, rules)
    for violation in report.violations:
        print(f"{args.file}: {violation}")
    allowance = 0.0 if args.strict else SOFT_ALLOWANCE
    soft = len(report.soft_cues)
    verdict = "ok" if report.ok(allowance) else "FAILED"
    print(
        f"{args.file}: {verdict}: {report.cues} cues; {len(report.hard)} hard violation(s); "
        f"{soft} cue(s) ({report.soft_share():.1%}) outside the minimum duration or reading speed "
        f"(allowed {allowance:.0%})"
    )
    return 0 if report.ok(allowance) else EXIT_FAILED


def run_render(args: argparse.Namespace) -> int:
    from ytcaption.domain.formats import render
    from ytcaption.domain.transcript import Transcript

    try:
        transcript = Transcript.model_validate_json(_read(args.transcript))
    except ValidationError as exc:
        raise CliError(f"{args.transcript} is not a ytcaption transcript (JSON): {invalid_fields(exc)}",
                       EXIT_USAGE) from exc  # fmt: skip
    text = render(transcript, args.format, subtitle_settings(args))
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def add_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], formatter: type[argparse.HelpFormatter]
) -> None:
    group = commands.add_parser("subtitles", help="check subtitle files, render subtitles from a transcript")
    sub = group.add_subparsers(dest="subtitles_command", required=True)
    checker = sub.add_parser(
        "check",
        help="check an SRT or WebVTT file against the reading rules",
        formatter_class=formatter,
        description="Lists every cue that breaks a rule. Exit 1 if any cue breaks a hard rule (lines, characters "
        "a line, longest duration, overlap, gap) or more than 3 %% of cues break a soft one (shortest duration, "
        "reading speed); with --strict, on any violation.",
    )
    checker.add_argument("file", help="an .srt or .vtt file")
    checker.add_argument("--language", help="the rules of this language (default: by the file's script)")
    checker.add_argument("--strict", action="store_true", help="fail on any violation, soft ones too")
    add_subtitle_arguments(checker, karaoke=False)
    checker.set_defaults(func=run_check)
    renderer = sub.add_parser(
        "render",
        help="subtitles with other settings from a transcript's JSON, without transcribing again",
        formatter_class=formatter,
    )
    renderer.add_argument("transcript", help="a transcript .json (its words make the best cues)")
    renderer.add_argument("--format", choices=("srt", "vtt"), default="srt")
    renderer.add_argument("--output", help="where to write (default: standard output)")
    add_subtitle_arguments(renderer)
    renderer.set_defaults(func=run_render)
