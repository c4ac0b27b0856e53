"""ytcaption.cli.api_target: flags, then YTC_API_URL/YTC_API_KEY, then the profile (only its owner may read it)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from ytcaption.cli.api_target import ApiTarget, resolve
from ytcaption.cli.errors import EXIT_USAGE, CliError

PROFILE = """
[default]
api_url = "https://api.example.com/prod"
api_key = "ytc_from_profile"

[staging]
api_url = "https://staging.example.com/prod"
api_key = "ytc_staging"
live_url = "wss://live.example.com/live"
"""


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty config home and environment: only what a test writes there counts."""
    for name in ("YTC_API_URL", "YTC_API_KEY", "YTC_LIVE_URL", "YTC_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    return tmp_path / "ytcaption" / "profile.toml"


def _write(path: Path, text: str, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def _args(**given: str | None) -> argparse.Namespace:
    return argparse.Namespace(**{"api_url": None, "api_key": None, "live_url": None, "profile": None, **given})


def test_nothing_named_means_no_api(config: Path) -> None:
    assert resolve(_args(), required=False) is None
    with pytest.raises(CliError) as refused:
        resolve(_args(), required=True)
    assert refused.value.code == EXIT_USAGE and "--api-url" in str(refused.value)


def test_flags_win_over_the_environment_which_wins_over_the_profile(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(config, PROFILE, 0o600)
    assert resolve(_args(), required=True) == ApiTarget("https://api.example.com/prod", "ytc_from_profile")
    monkeypatch.setenv("YTC_API_KEY", "ytc_from_env")
    assert resolve(_args(), required=True) == ApiTarget("https://api.example.com/prod", "ytc_from_env")
    target = resolve(_args(api_url="http://127.0.0.1:9000", api_key="ytc_flag"), required=True)
    assert target == ApiTarget("http://127.0.0.1:9000", "ytc_flag")
    monkeypatch.delenv("YTC_API_KEY")
    staging = resolve(_args(profile="staging"), required=True)
    assert staging == ApiTarget("https://staging.example.com/prod", "ytc_staging", "wss://live.example.com/live")


def test_a_profile_key_others_can_read_is_refused(config: Path) -> None:
    _write(config, PROFILE, 0o644)
    with pytest.raises(CliError) as refused:
        resolve(_args(), required=True)
    assert refused.value.code == EXIT_USAGE
    assert "mode 0644" in str(refused.value) and "chmod 600" in str(refused.value)
    assert "ytc_from_profile" not in str(refused.value)


def test_a_profile_without_a_key_may_be_readable(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(config, '[default]\napi_url = "https://api.example.com/prod"\n', 0o644)
    monkeypatch.setenv("YTC_API_KEY", "ytc_from_env")
    assert resolve(_args(), required=False) == ApiTarget("https://api.example.com/prod", "ytc_from_env")


def test_an_api_without_a_key_and_a_missing_profile_are_usage_errors(config: Path) -> None:
    with pytest.raises(CliError, match="no API key"):
        resolve(_args(api_url="https://api.example.com"), required=False)
    with pytest.raises(CliError, match=r"no profile \[nope\]"):
        resolve(_args(profile="nope"), required=False)
    with pytest.raises(CliError, match="http"):
        resolve(_args(api_url="api.example.com", api_key="ytc_x"), required=False)
