"""Whisper models offline: the packaged tiny.en and the two-part multilingual base."""

from __future__ import annotations

from pathlib import Path

import pytest

from ytcaption.domain.options import JobOptions
from ytcaption.worker.models import resolve
from ytcaption.worker.transcribe import ModelCache, transcribe

pytestmark = pytest.mark.integration


def test_multilingual_base_is_joined_once_and_transcribes(tmp_path: Path, speech_wav: Path) -> None:
    folder = Path(resolve("base", tmp_path))
    assert folder == tmp_path / "base"
    assert (folder / "model.bin").stat().st_size > 100_000_000 and (folder / "tokenizer.json").is_file()
    mtime = (folder / "model.bin").stat().st_mtime_ns
    assert Path(resolve("base", tmp_path)) == folder and (folder / "model.bin").stat().st_mtime_ns == mtime
    transcript = transcribe(ModelCache(tmp_path), speech_wav, JobOptions(model="base"))
    assert transcript.language == "en" and transcript.language_probability > 0.5
    assert "budget" in transcript.text.lower()
