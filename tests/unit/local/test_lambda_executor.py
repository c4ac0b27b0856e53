"""The local Lambda executor's hook into moto (the executor itself runs in tests/integration)."""

from __future__ import annotations

import inspect

from moto.awslambda.models import LambdaFunction


def test_moto_still_has_the_hook_we_replace() -> None:
    # If this fails, moto's internals changed: update ytcaption.local.lambda_executor.
    assert "event" in inspect.signature(LambdaFunction._invoke_lambda).parameters
