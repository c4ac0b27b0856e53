"""The one definition of every setting: what a deployment serves."""

from __future__ import annotations

from ytcaption.settings import Settings


def test_served_models_put_the_default_first() -> None:
    settings = Settings(default_model="large-v3-turbo", served_models="base, large-v3-turbo")
    assert settings.served() == ["large-v3-turbo", "base"]
    assert settings.serves("base") and not settings.serves("tiny.en")


def test_no_served_models_accepts_any() -> None:
    settings = Settings(served_models="")
    assert settings.served() is None and settings.serves("small")


def test_the_default_must_be_served() -> None:
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        Settings(default_model="tiny.en", served_models="base")
