"""What the CLI says when something outside the command goes wrong: one clean line, an exit code."""

from __future__ import annotations

import os
import sys
from typing import Any

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_TIMEOUT = 3
EXIT_UNAVAILABLE = 4
EXIT_UNAUTHORIZED = 5
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
    if "ytcaption.client" in sys.modules:  # only a command that used the HTTP API can raise its errors
        from_api = _explain_client(exc)
        if from_api is not None:
            return from_api
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


def _explain_client(exc: BaseException) -> CliError | None:
    from ytcaption.client import errors as api

    if isinstance(exc, api.Unauthorized | api.Forbidden):
        return CliError(f"error: the API refused the key ({exc.code}): {exc.detail}", EXIT_UNAUTHORIZED)
    if isinstance(exc, api.ValidationFailed | api.BadRequest):
        fields = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
        return CliError(f"error: {exc.code}: {exc.detail}" + (f" ({fields})" if fields else ""), EXIT_USAGE)
    if isinstance(exc, api.RateLimited | api.Unavailable):
        after = f" (retry after {exc.retry_after:.0f} s)" if exc.retry_after else ""
        return CliError(f"error: {exc.code}: {exc.detail}{after}", EXIT_UNAVAILABLE)
    if isinstance(exc, api.ApiError):
        return CliError(f"error: {exc.code}: {exc.detail}", EXIT_FAILED)
    if isinstance(exc, api.TransportError):
        return CliError(f"error: {exc}", EXIT_UNAVAILABLE)
    if isinstance(exc, api.WaitTimeout):
        return CliError(f"error: {exc}", EXIT_TIMEOUT)
    if isinstance(exc, api.ClientError):
        return CliError(f"error: {exc}", EXIT_FAILED)
    return _pydantic(exc)


def _pydantic(exc: BaseException) -> CliError | None:
    """Options the client's models refused (the CLI checks its flags first; a caller may not have)."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        return CliError(f"error: {invalid_fields(exc)}", EXIT_USAGE)
    return None


def invalid_fields(exc: Any, as_flags: bool = False, limit: int = 5) -> str:
    """What a pydantic ValidationError refused, in the API's words (api.invalid.field_errors):
    "field: message; ..." (the first `limit`), never pydantic's own text; `as_flags` names each field
    by its flag (`--max-line-chars`: subtitle settings are flags of their own, not `--subtitles`)."""
    from ytcaption.api.invalid import field_errors

    errors = field_errors(exc.errors())
    parts = []
    for error in errors[:limit]:
        name = error["field"]
        if as_flags:
            path = name.split(".")
            if path[0] == "subtitles" and len(path) > 1:
                path = path[1:]
            name = "--" + path[0].replace("_", "-")
        parts.append(f"{name}: {error['message']}")
    more = f" (and {len(errors) - limit} more)" if len(errors) > limit else ""
    return ("; ".join(parts) or "the values are not valid") + more
