"""ytcaption.api.schemas: what requests may say."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ytcaption.api.schemas import SourceIn, TranscriptionRequest, UploadRequest


@pytest.mark.parametrize("source", [{}, {"url": "https://youtu.be/x", "upload_id": "0" * 32}])
def test_a_source_is_exactly_one_of_url_and_upload(source: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        SourceIn.model_validate(source)


def test_requests_reject_unknown_fields_and_know_which_options_were_given() -> None:
    with pytest.raises(ValidationError):
        TranscriptionRequest.model_validate({"source": {"url": "https://youtu.be/x"}, "modle": "base"})
    request = TranscriptionRequest.model_validate(
        {"source": {"url": "https://youtu.be/x"}, "vad": True, "cache": False}
    )
    assert request.options_set() == {"vad"}
    assert request.language == "auto" and request.model is None


@pytest.mark.parametrize("filename", [".", "..", " ", "a/b", "a\\b"])
def test_upload_filenames_are_plain_names(filename: str) -> None:
    with pytest.raises(ValidationError):
        UploadRequest(filename=filename)


@pytest.mark.parametrize("speakers", ["auto", 2, {"min": 2, "max": 3}])
def test_speakers_and_the_sites_captions_are_not_asked_together(speakers: object) -> None:
    """Captions carry no voices: a job that wants speakers needs the audio (docs/use/speakers.md)."""
    with pytest.raises(ValidationError) as raised:
        TranscriptionRequest.model_validate(
            {"source": {"url": "https://youtu.be/x"}, "prefer_captions": True, "speakers": speakers}
        )
    assert [e["loc"] for e in raised.value.errors()] == [("speakers",)]
    assert "prefer_captions" in raised.value.errors()[0]["msg"]
    UploadRequest(filename="a.mp3", speakers=speakers)  # type: ignore[arg-type]
    TranscriptionRequest.model_validate({"source": {"url": "https://youtu.be/x"}, "prefer_captions": True})
