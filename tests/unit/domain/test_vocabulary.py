"""ytcaption.domain.vocabulary: which model references a job may ask for."""

from __future__ import annotations

import pytest

from ytcaption.domain.vocabulary import KNOWN_MODELS, is_path_reference, is_valid_model_reference


def test_known_models_include_the_common_sizes() -> None:
    for name in ("tiny", "tiny.en", "base", "base.en", "small", "medium", "large-v2", "large-v3", "turbo"):
        assert name in KNOWN_MODELS


def test_known_models_are_lowercase_without_spaces() -> None:
    assert all(name == name.lower() and " " not in name and "/" not in name for name in KNOWN_MODELS)


@pytest.mark.parametrize("name", sorted(KNOWN_MODELS))
def test_every_known_model_is_valid(name: str) -> None:
    assert is_valid_model_reference(name)


@pytest.mark.parametrize(
    "value",
    ["/models/tiny", "./tiny", "../models/tiny", "~/models", "~user/models"],
)
def test_paths(value: str) -> None:
    assert is_path_reference(value)
    assert is_valid_model_reference(value)


@pytest.mark.parametrize("value", ["tiny", "org/name", "models/tiny", ".hidden", "", "C:\\models"])
def test_not_paths(value: str) -> None:
    assert not is_path_reference(value)


@pytest.mark.parametrize(
    "value",
    ["Systran/faster-whisper-large-v3", "openai/whisper-tiny.en", "my_org/my_model.v1", "a/b"],
)
def test_hugging_face_repo_ids(value: str) -> None:
    assert is_valid_model_reference(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "tiny ",
        "TINY",
        "tiny.EN",
        "large-v4",
        "whisper",
        "org/",
        "org//name",
        "a/b/c",
        "org/na me",
        "org/name!",
        "org/näme;rm",
        "-/-",
        "http://example.com/model",
    ],
)
def test_invalid_references(value: str) -> None:
    assert not is_valid_model_reference(value)


def test_the_language_list_is_whispers() -> None:
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    from ytcaption.domain.vocabulary import WHISPER_LANGUAGES

    assert set(_LANGUAGE_CODES) == WHISPER_LANGUAGES


def test_unknown_languages_are_refused_and_regions_reach_whisper_as_their_language() -> None:
    import pytest

    from ytcaption.domain.vocabulary import language_code, whisper_language

    for bad in ("xx", "zz-ZZ", "qq"):
        with pytest.raises(ValueError):
            language_code(bad)
    assert whisper_language(language_code("pt-BR")) == "pt"
