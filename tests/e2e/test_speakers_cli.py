"""`ytcaption transcribe --speakers`: a three-voice conversation comes back as paragraphs per speaker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.conversation import TURNS, conversation

pytestmark = pytest.mark.e2e


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ytcaption.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_speakers_flag_labels_the_turns(runtime: object, worker: object, tmp_path: Path) -> None:
    path, _ = conversation(tmp_path)
    output = tmp_path / "talk.txt"
    result = _cli(
        [
            "transcribe",
            str(path),
            "--model",
            "tiny.en",
            "--speakers",
            "auto",
            "--format",
            "txt",
            "--output",
            str(output),
        ],
        dict(os.environ),
    )
    assert result.returncode == 0, result.stderr
    paragraphs = output.read_text().strip().split("\n\n")
    speakers = [p.split(":", 1)[0] for p in paragraphs]
    assert set(speakers) == {"Speaker 1", "Speaker 2", "Speaker 3"}
    # The turns alternate as spoken (a turn may merge with the next only if one was missed).
    assert len(paragraphs) >= len(TURNS) - 2 and speakers[:3] == ["Speaker 1", "Speaker 2", "Speaker 3"]


@pytest.mark.parametrize("value", ["0", "5-2", "many"])
def test_a_bad_speakers_value_is_a_usage_error(value: str, tmp_path: Path) -> None:
    result = _cli(["transcribe", str(tmp_path / "none.wav"), "--speakers", value], dict(os.environ))
    assert result.returncode == 2 and "speakers" in result.stderr, result.stderr


def test_speakers_with_the_sites_captions_is_a_usage_error(tmp_path: Path) -> None:
    """Captions carry no voices: the API's rule (a 422 on speakers), checked before anything is sent."""
    args = ["transcribe", "https://example.com/talk", "--speakers", "auto", "--prefer-captions"]
    result = _cli(args, dict(os.environ))
    assert result.returncode == 2 and "--speakers" in result.stderr and "prefer_captions" in result.stderr, result
