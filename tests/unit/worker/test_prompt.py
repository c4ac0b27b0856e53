"""Vocabulary hints: the prompt option is validated and reaches Whisper as initial prompt and hotwords."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from ytcaption.api.schemas import OptionsIn
from ytcaption.domain.options import PROMPT_MAX_CHARS, JobOptions
from ytcaption.worker.transcribe import transcribe


def test_prompt_is_plain_text_of_bounded_length() -> None:
    assert JobOptions(prompt="  YTCaption,\n faster-whisper  ").prompt == "YTCaption, faster-whisper"
    assert JobOptions(prompt="   ").prompt is None
    with pytest.raises(ValidationError):
        JobOptions(prompt="x" * (PROMPT_MAX_CHARS + 1))
    with pytest.raises(ValidationError):
        JobOptions(prompt="bell\x07")
    with pytest.raises(ValidationError):
        OptionsIn(prompt="x" * (PROMPT_MAX_CHARS + 1))
    assert OptionsIn(prompt="Kubernetes").prompt == "Kubernetes"


class _Model:
    def __init__(self) -> None:
        self.model = SimpleNamespace(is_multilingual=False)
        self.calls: list[dict[str, Any]] = []

    def transcribe(self, audio: Any, **kwargs: Any) -> tuple[list[Any], Any]:
        self.calls.append(kwargs)
        return [], SimpleNamespace(language="en", language_probability=1.0, duration=1.0)


class _Models:
    def __init__(self, model: _Model) -> None:
        self.model = model

    def get(self, name: str) -> tuple[_Model, float]:
        return self.model, 0.0


@pytest.mark.parametrize("audio", [Path("speech.wav"), np.zeros(16000, dtype=np.float32)])
def test_prompt_reaches_whisper_for_a_file_and_for_a_chunk(audio: Any) -> None:
    model = _Model()
    transcribe(_Models(model), audio, JobOptions(prompt="Zyqronix, Halvorsen"))  # type: ignore[arg-type]
    (call,) = model.calls
    assert call["initial_prompt"] == "Zyqronix, Halvorsen" and call["hotwords"] == "Zyqronix, Halvorsen"
    model.calls.clear()
    transcribe(_Models(model), audio, JobOptions())  # type: ignore[arg-type]
    assert model.calls[0]["initial_prompt"] is None and model.calls[0]["hotwords"] is None


class _BatchedModels(_Models):
    def __init__(self, model: _Model, pipeline: _Model, batch_size: int) -> None:
        super().__init__(model)
        self.pipeline, self.batch_size = pipeline, batch_size

    def batched(self, name: str) -> _Model:
        return self.pipeline


def test_on_a_gpu_the_batched_pipeline_decodes_jobs_with_vad() -> None:
    model, pipeline = _Model(), _Model()
    transcribe(_BatchedModels(model, pipeline, 8), Path("a.wav"), JobOptions(prompt="Zyqronix"))  # type: ignore[arg-type]
    assert not model.calls and pipeline.calls[0]["batch_size"] == 8
    assert pipeline.calls[0]["hotwords"] == "Zyqronix"
    transcribe(_BatchedModels(model, pipeline, 8), Path("a.wav"), JobOptions(vad=False))  # type: ignore[arg-type]
    assert "batch_size" not in model.calls[0]  # without VAD: sequential
    model.calls.clear()
    transcribe(_BatchedModels(model, pipeline, 0), Path("a.wav"), JobOptions())  # type: ignore[arg-type]
    assert "batch_size" not in model.calls[0]
