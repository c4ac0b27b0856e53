"""The CLI says what it refuses in the API's words ("field: message", api.invalid), never pydantic's text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from ytcaption.cli import main
from ytcaption.cli.errors import EXIT_USAGE, explain
from ytcaption.domain.options import JobOptions

# What pydantic's own messages look like (tests/unit/api/test_invalid.py keeps the same list for the API).
RAW_LIBRARY_TEXT = ("Value error", "String should", "Input should", "should match", "pydantic", "type=")


def _refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == EXIT_USAGE
    said = capsys.readouterr().err.strip()
    assert not any(raw in said for raw in RAW_LIBRARY_TEXT), said
    return said


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (("--webhook-url", "ftp://x y"), "error: --webhook-url: must be an http or https URL, without spaces"),
        (("--prompt", "a\x01b"), "error: --prompt: the prompt must be plain text: no control characters"),
        (("--max-line-chars", "3"), "bad subtitle settings: --max-line-chars: must be at least 10"),
    ],
)
def test_a_refused_flag_is_named_with_the_apis_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: tuple[str, ...], expected: str
) -> None:
    assert _refused(capsys, "transcribe", str(tmp_path / "talk.wav"), *argv) == expected


def test_a_file_that_is_no_transcript_names_its_fields(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "t.json"
    bad.write_text(json.dumps({"language": "en", "segments": [{"start": "soon"}]}))
    said = _refused(capsys, "subtitles", "render", str(bad), "--format", "srt")
    assert said.startswith(f"{bad} is not a ytcaption transcript (JSON): ")
    assert "segments.0.start: must be a number" in said and "duration: is required" in said
    assert said.endswith("more)"), "a long list is cut short"


def test_options_a_caller_built_itself_are_explained_the_same_way() -> None:
    import ytcaption.client  # noqa: F401  (a command that used the client's models, as explain expects)

    with pytest.raises(ValidationError) as refused:
        JobOptions(beam_size=0, task="dance")  # type: ignore[arg-type]
    known = explain(refused.value)
    assert known is not None and known.code == EXIT_USAGE
    assert str(known) == "error: task: must be one of: transcribe or translate; beam_size: must be at least 1"
