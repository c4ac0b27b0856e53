"""ytcaption.domain.options and .vocabulary: the option words are one set of rules for the job and the API."""

from __future__ import annotations

from typing import Any, get_args

import pytest
from pydantic import ValidationError

from ytcaption.api.schemas import OptionsIn, OptionsOut
from ytcaption.domain.job import JobStatus
from ytcaption.domain.options import JobOptions
from ytcaption.domain.vocabulary import Priority, ResultFormat, Status, Task
from ytcaption.store.media import CONTENT_TYPES, RESULT_FORMATS


def test_statuses_are_the_job_statuses() -> None:
    assert list(get_args(Status)) == [s.value for s in JobStatus]


def test_result_formats_are_one_list() -> None:
    assert RESULT_FORMATS == get_args(ResultFormat) == ("json", "txt", "srt", "vtt")
    # and the transcript with its words, kept for re-rendering subtitles
    assert set(CONTENT_TYPES) == {*RESULT_FORMATS, "words.json"}


@pytest.mark.parametrize(("field", "words"), [("task", Task), ("priority", Priority)])
def test_the_api_and_the_job_take_the_same_words(field: str, words: Any) -> None:
    for word in get_args(words):
        assert getattr(OptionsIn.model_validate({field: word}), field) == word
        assert getattr(JobOptions.model_validate({field: word}), field) == word
    with pytest.raises(ValidationError):
        OptionsIn.model_validate({field: "other"})
    with pytest.raises(ValidationError):
        JobOptions.model_validate({field: "other"})


@pytest.mark.parametrize(
    ("given", "api", "job"),
    [
        ("auto", "auto", None),
        (" AUTO ", "auto", None),
        ("EN", "en", "en"),
        ("pt-BR", "pt-br", "pt-br"),
        ("yue", "yue", "yue"),
    ],
)
def test_languages_mean_the_same_everywhere(given: str, api: str, job: str | None) -> None:
    assert OptionsIn(language=given).language == api
    assert JobOptions(language=given).language == job
    assert JobOptions(language=api).language == job


@pytest.mark.parametrize("bad", ["english", "e", "en-", "en_US", "12"])
def test_bad_languages_are_refused_by_both_with_one_message(bad: str) -> None:
    messages = set()
    for model in (OptionsIn, JobOptions):
        with pytest.raises(ValidationError) as caught:
            model.model_validate({"language": bad})
        messages.add(caught.value.errors()[0]["msg"])
    assert len(messages) == 1


@pytest.mark.parametrize("bad", ["nope", "a/b/c", ""])
def test_bad_models_are_refused_by_both(bad: str) -> None:
    for model in (OptionsIn, JobOptions):
        with pytest.raises(ValidationError):
            model.model_validate({"model": bad})


@pytest.mark.parametrize("path", ["/etc", "./models/base", "../x", "~/m", "..\\x", "C:\\models"])
def test_a_path_is_never_a_model_at_the_door(path: str) -> None:
    """Clients name models; a path on the worker's disk is an operator's choice (YTC_DEFAULT_MODEL)."""
    with pytest.raises(ValidationError) as caught:
        OptionsIn.model_validate({"model": path})
    assert caught.value.errors()[0]["msg"].endswith("never a path")


def test_an_overlong_model_is_too_long_before_it_is_unknown() -> None:
    with pytest.raises(ValidationError) as caught:
        OptionsIn(model="x" * 201)
    assert caught.value.errors()[0]["type"] == "string_too_long"


def test_a_job_options_presentation_is_valid_output() -> None:
    options = JobOptions(model="base", language="FR", priority="high")
    out = OptionsOut(**{**options.model_dump(include=set(OptionsOut.model_fields)), "language": options.language})
    assert out.language == "fr" and out.model == "base" and out.priority == "high"
