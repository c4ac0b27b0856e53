"""ytcaption.cli.job_options: every job option of the API has a flag, named and checked as the API does."""

from __future__ import annotations

import argparse
import json
from typing import Any

import pytest

from tests import paths
from ytcaption.cli import build_parser
from ytcaption.cli.errors import EXIT_USAGE, CliError
from ytcaption.cli.job_options import chosen_formats, given_options

# What the CLI takes otherwise: the positional SOURCE (url or file), and the upload's facts, read off the file.
NOT_FLAGS = {"source", "filename", "size_bytes", "content_type"}


def _subcommand(name: str) -> argparse.ArgumentParser:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found: argparse.ArgumentParser = commands.choices[name]
    return found


def _flags(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {option: action for action in parser._actions for option in action.option_strings}


def _schema(name: str) -> dict[str, Any]:
    document = json.loads(paths.OPENAPI_PATH.read_text())
    schema: dict[str, Any] = document["components"]["schemas"][name]
    return schema


@pytest.mark.parametrize("request_schema", ["TranscriptionRequest", "UploadRequest"])
def test_every_job_option_of_the_openapi_document_has_a_transcribe_flag(request_schema: str) -> None:
    flags = _flags(_subcommand("transcribe"))
    properties = _schema(request_schema)["properties"]
    # An object option is given as one flag per field of it (`subtitles`: --max-line-chars ...).
    nested = {name: _ref(spec) for name, spec in properties.items() if _ref(spec) and name not in NOT_FLAGS}
    for name, schema_name in nested.items():
        properties.pop(name)
        fields = _schema(schema_name)["properties"]
        missing = [field for field in fields if f"--{field.replace('_', '-')}" not in flags]
        assert missing == [], f"fields of the {name} option without a `ytcaption transcribe` flag: {missing}"
    missing = [name for name in properties if name not in NOT_FLAGS and f"--{name.replace('_', '-')}" not in flags]
    assert missing == [], f"job options without a `ytcaption transcribe` flag: {missing}"
    for name, spec in properties.items():
        choices = spec.get("enum") or next((s["enum"] for s in spec.get("anyOf", []) if "enum" in s), None)
        if name not in NOT_FLAGS and choices:
            assert list(flags[f"--{name.replace('_', '-')}"].choices or []) == choices, name
        if spec.get("type") == "boolean":  # on and off, as the API takes true and false
            assert f"--no-{name.replace('_', '-')}" in flags, name


def _ref(spec: dict[str, Any]) -> str:
    """The schema an object option refers to ('' for a plain value, or one that may also be a plain
    value: `speakers` is "auto", a count or a range, one flag)."""
    alternatives = [s for s in spec.get("anyOf", [spec]) if s.get("type") != "null"]
    refs = [s["$ref"] for s in alternatives if "$ref" in s]
    return str(refs[0]).rsplit("/", 1)[-1] if refs and len(refs) == len(alternatives) else ""


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["transcribe", "talk.mp3", *argv])


def test_only_the_options_given_are_sent() -> None:
    options = given_options(_args("--task", "translate", "--no-vad", "--prompt", "YTCaption", "--language", "de"))
    assert options.model_dump(exclude_unset=True) == {
        "task": "translate",
        "vad": False,
        "prompt": "YTCaption",
        "language": "de",
    }
    assert given_options(_args()).model_dump(exclude_unset=True) == {}
    # `speakers` is one flag for its three forms, sent as the API takes them.
    for flag, sent in (("auto", "auto"), ("3", 3), ("2-4", {"min": 2, "max": 4})):
        assert given_options(_args("--speakers", flag)).model_dump(mode="json", exclude_unset=True) == {
            "speakers": sent
        }


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["--language", "klingon"], "--language"),
        (["--notify-email", "not-an-address"], "--notify-email"),
        (["--webhook-url", "ftp://example.com"], "--webhook-url"),
        (["--prompt", "x" * 601], "--prompt"),
        (["--model", "gpt-4"], "--model"),
    ],
)
def test_option_values_are_checked_as_the_api_checks_them(argv: list[str], flag: str) -> None:
    with pytest.raises(CliError) as refused:
        given_options(_args(*argv))
    assert refused.value.code == EXIT_USAGE and str(refused.value).startswith(f"error: {flag}:")


def test_choices_are_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as refused:
        _args("--priority", "urgent")
    assert refused.value.code == 2 and "--priority" in capsys.readouterr().err
    for bad in ("many", "0", "5-2", "1-99"):
        with pytest.raises(SystemExit) as refused:
            _args("--speakers", bad)
        assert refused.value.code == 2 and "--speakers" in capsys.readouterr().err


def test_max_items_is_at_least_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert _args("--max-items", "3").max_items == 3
    for bad in ("0", "-2", "many"):
        with pytest.raises(SystemExit) as refused:
            _args("--max-items", bad)
        assert refused.value.code == 2 and "--max-items" in capsys.readouterr().err


def test_formats_several_all_and_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    assert chosen_formats(_args()) == ["srt"]
    assert chosen_formats(_args("--format", "srt,vtt", "--format", "json")) == ["srt", "vtt", "json"]
    assert chosen_formats(_args("--format", "all", "--format", "srt")) == ["json", "txt", "srt", "vtt"]
    with pytest.raises(SystemExit):
        _args("--format", "docx")
    assert "'docx' is not a format" in capsys.readouterr().err
