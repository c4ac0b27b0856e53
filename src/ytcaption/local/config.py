"""The settings a local runtime hands to every component it starts.

One definition (ytcaption.settings.Settings, pydantic-settings) and one set of
values, later ones winning: the command's defaults, a config file (`--config
FILE`, KEY=VALUE lines), the `YTC_*` variables of the shell (environment over
dotenv file, as pydantic-settings itself does), and what the command line says
explicitly (`--set KEY=VALUE`, `--model`). The Lambdas, the workers and the API
process all get exactly these values.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from ytcaption.settings import Settings

PREFIX = "YTC_"
# Where the local runtime itself lives, and what the tests record of it (ytcaption.store.aws):
# not settings of the pipeline. Nor is where a tenant's CLI finds the HTTP API (ytcaption.cli.api_target).
NOT_SETTINGS = frozenset(
    {
        "YTC_HOME",
        "YTC_PROJECT_ROOT",
        "YTC_AWS_CALL_LOG",
        "YTC_COMPONENT",
        "YTC_API_URL",
        "YTC_API_KEY",
        "YTC_LIVE_URL",
        "YTC_PROFILE",
    }
)


class SettingsError(ValueError):
    """A setting that does not exist or has a value it cannot take."""


def setting_name(key: str) -> str:
    key = key.strip().upper()
    return key if key.startswith(PREFIX) else PREFIX + key


def read_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (`export ` and quotes allowed, `#` comments); keys with or without YTC_."""
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        if not sep or not key.strip():
            raise SettingsError(f"{path}:{number}: expected KEY=VALUE, got {raw.strip()!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[setting_name(key)] = value
    return values


def collect(
    environ: Mapping[str, str],
    config_file: Path | None = None,
    defaults: Mapping[str, str] | None = None,
    explicit: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The runtime's settings: defaults < config file < the shell's YTC_* variables < explicit values."""
    values = {setting_name(k): str(v) for k, v in (defaults or {}).items()}
    if config_file is not None:
        values.update(read_file(config_file))
    values.update({k: v for k, v in environ.items() if k.startswith(PREFIX) and k not in NOT_SETTINGS})
    values.update({setting_name(k): str(v) for k, v in (explicit or {}).items()})
    validate(values)
    return values


def validate(values: Mapping[str, str]) -> Settings:
    known = {PREFIX + name.upper(): name for name in Settings.model_fields}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise SettingsError(f"unknown setting(s): {', '.join(unknown)} (see `ytcaption settings`)")
    try:
        return Settings.model_validate({known[key]: value for key, value in values.items()})
    except ValidationError as exc:
        problems = "; ".join(f"{PREFIX}{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        raise SettingsError(f"invalid setting(s): {problems}") from exc
