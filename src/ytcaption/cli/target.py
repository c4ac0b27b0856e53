"""Which AWS the CLI talks to: AWS_ENDPOINT_URL if set, else the running local runtime, else AWS itself."""

from __future__ import annotations

import os

from ytcaption.cli.errors import EXIT_UNAVAILABLE, CliError


def use_running_runtime() -> bool:
    """Point this process at the running local runtime unless AWS_ENDPOINT_URL says otherwise.

    True when a local runtime (or an explicit endpoint) is the target."""
    from ytcaption.local.runtime import LocalRuntime

    if os.environ.get("AWS_ENDPOINT_URL"):
        return True
    running = LocalRuntime.find_running()
    if running is None or not running.emulator_alive():
        return False
    running.activate()
    return True


def require_target() -> None:
    """Commands that change state: a local runtime, an endpoint, or real AWS credentials."""
    if use_running_runtime():
        return
    import boto3

    if boto3.session.Session().get_credentials() is None:
        raise CliError(
            "error: no local runtime is running and no AWS credentials are configured: "
            "run `ytcaption local up` first (or set AWS_ENDPOINT_URL, or your AWS credentials for a deployed stack).",
            EXIT_UNAVAILABLE,
        )
