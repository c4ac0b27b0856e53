"""Which HTTP API a tenant's command talks to, with which key: flags, then the environment
(YTC_API_URL, YTC_API_KEY, YTC_LIVE_URL), then a profile file.

The profile is TOML, `$XDG_CONFIG_HOME/ytcaption/profile.toml` (default `~/.config/...`), one table
per profile (`[default]` unless `--profile`/YTC_PROFILE names another) with `api_url`, `api_key` and
optionally `live_url`. A profile that holds a key is refused unless only its owner can read it
(mode 0600, as ssh does with private keys): a key readable by others is as good as published.
"""

from __future__ import annotations

import argparse
import os
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ytcaption.cli.errors import EXIT_USAGE, CliError


@dataclass(frozen=True)
class ApiTarget:
    url: str
    key: str
    live_url: str | None = None

    def client(self, timeout: float = 30.0) -> Any:
        from ytcaption.client import Client

        return Client(self.url, self.key, live_url=self.live_url, timeout=timeout)


def profile_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "ytcaption" / "profile.toml"


def read_profile(name: str, path: Path | None = None) -> dict[str, str]:
    """The named profile's values; {} when there is no profile file."""
    path = path or profile_path()
    if not path.is_file():
        return {}
    try:
        tables = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CliError(f"error: {path} is not valid TOML: {exc}", EXIT_USAGE) from exc
    profile = tables.get(name)
    if profile is None:
        return {}
    if not isinstance(profile, dict):
        raise CliError(f"error: [{name}] in {path} must be a table", EXIT_USAGE)
    mode = stat.S_IMODE(path.stat().st_mode)
    if "api_key" in profile and mode & 0o077:
        raise CliError(
            f"error: {path} holds an API key and others can read it (mode {mode:04o}): run `chmod 600 {path}`",
            EXIT_USAGE,
        )
    return {k: str(v) for k, v in profile.items() if k in {"api_url", "api_key", "live_url"}}


def resolve(args: argparse.Namespace, required: bool) -> ApiTarget | None:
    """The API to use, or None when nothing names one (and it is not `required`)."""
    name = args.profile or os.environ.get("YTC_PROFILE") or "default"
    profile = read_profile(name)
    if args.profile and not profile:
        raise CliError(f"error: no profile [{args.profile}] in {profile_path()}", EXIT_USAGE)
    url = args.api_url or os.environ.get("YTC_API_URL") or profile.get("api_url")
    if not url:
        if required:
            raise CliError(
                f"error: no API: give --api-url (or YTC_API_URL, or api_url in {profile_path()})", EXIT_USAGE
            )
        return None
    if not url.startswith(("http://", "https://")):
        raise CliError(f"error: --api-url must be an http(s) URL, not {url!r}", EXIT_USAGE)
    key = args.api_key or os.environ.get("YTC_API_KEY") or profile.get("api_key")
    if not key:
        raise CliError(
            f"error: no API key for {url}: give --api-key (or YTC_API_KEY, or api_key in {profile_path()})",
            EXIT_USAGE,
        )
    live = args.live_url or os.environ.get("YTC_LIVE_URL") or profile.get("live_url")
    return ApiTarget(url, key.strip(), live)


def add_api_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("the HTTP API (a tenant's key)")
    group.add_argument("--api-url", help="the API's address (or YTC_API_URL, or the profile's api_url)")
    group.add_argument(
        "--api-key", help="the tenant's key, ytc_... (better: YTC_API_KEY or the profile; a flag shows in ps)"
    )
    group.add_argument(
        "--live-url", help="the live-updates WebSocket (AWS: the stack output LiveUrl; default: <api-url>/v1/live)"
    )
    group.add_argument("--profile", help="a table of ~/.config/ytcaption/profile.toml (default: [default])")
