"""What the CLI says when something outside the command goes wrong: one clean line, an exit code."""

from __future__ import annotations

import os
import sys

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_TIMEOUT = 3
EXIT_UNAVAILABLE = 4
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """A refusal or failure the user can act on."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def say(message: str) -> None:
    print(message, file=sys.stderr)


def explain(exc: BaseException) -> CliError | None:
    """The user-facing line for an error that is not the command's own; None for a bug."""
    from botocore.exceptions import (
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        ReadTimeoutError,
    )

    from ytcaption.local.config import SettingsError
    from ytcaption.local.runtime import RuntimeStartError

    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if isinstance(exc, CliError):
        return exc
    if isinstance(exc, SettingsError):
        return CliError(f"error: {exc}", EXIT_USAGE)
    if isinstance(exc, RuntimeStartError):
        return CliError(f"error: the local runtime could not start: {exc}", EXIT_UNAVAILABLE)
    if isinstance(exc, EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError):
        where = f"AWS_ENDPOINT_URL={endpoint}" if endpoint else "AWS"
        hint = " Is `ytcaption local up` (or LocalStack) running there?" if endpoint else ""
        return CliError(f"error: cannot reach {where}.{hint}", EXIT_UNAVAILABLE)
    if isinstance(exc, NoCredentialsError | NoRegionError) and endpoint:
        return CliError(
            f"error: AWS_ENDPOINT_URL={endpoint} is set but no credentials or region are: set AWS_ACCESS_KEY_ID, "
            "AWS_SECRET_ACCESS_KEY and AWS_DEFAULT_REGION (for `ytcaption local up`: its secret is in "
            "~/.ytcaption/local/aws-secret; LocalStack takes any).",
            EXIT_UNAVAILABLE,
        )
    if isinstance(exc, NoCredentialsError | NoRegionError):
        return CliError(
            "error: no local runtime is running and no AWS credentials are configured: "
            "run `ytcaption local up` first, or set AWS_ENDPOINT_URL / your AWS credentials.",
            EXIT_UNAVAILABLE,
        )
    return None
