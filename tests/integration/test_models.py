"""Whisper models offline: the packaged tiny.en and the two-part multilingual base."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from tests.support.audio import MEETING, word_error_rate
from ytcaption.domain.options import JobOptions
from ytcaption.settings import get_settings
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


def test_a_cpu_set_to_batch_decodes_with_the_batched_pipeline(tmp_path: Path, speech_wav: Path) -> None:
    """YTC_CPU_BATCH_SIZE: the real BatchedInferencePipeline on the CPU, same words as sequential decoding."""
    cache_dir = Path(get_settings().model_cache_dir)
    sequential, batched = ModelCache(cache_dir, 1), ModelCache(cache_dir, 1, cpu_batch_size=4)
    assert sequential.batch_size == 0 and batched.batch_size == 4
    plain = transcribe(sequential, speech_wav, JobOptions(model="tiny.en"))
    grouped = transcribe(batched, speech_wav, JobOptions(model="tiny.en"))
    assert "tiny.en" in batched._batched and not sequential._batched
    assert grouped.segments and all(a.end <= b.start + 0.01 for a, b in pairwise(grouped.segments))
    assert word_error_rate(MEETING, grouped.text) <= word_error_rate(MEETING, plain.text) + 0.1
