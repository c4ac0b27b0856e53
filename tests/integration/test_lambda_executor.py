"""The local Lambda executor, through the emulator's real Lambda API."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from ytcaption.store import aws

pytestmark = pytest.mark.integration

CODE = """
import os, time
COUNT = {"n": 0}

def echo(event, context):
    COUNT["n"] += 1
    return {"event": event, "greeting": os.environ["GREETING"], "calls": COUNT["n"],
            "endpoint": os.environ["AWS_ENDPOINT_URL"], "remaining": context.get_remaining_time_in_millis()}

def fail(event, context):
    raise ValueError("EMPTY_MEDIA: nothing to hear")

def slow(event, context):
    time.sleep(30)
"""


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("probe.py", CODE)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def functions(runtime: object) -> dict[str, str]:
    lam = aws.client("lambda")
    role = aws.client("iam").create_role(RoleName="executor-test", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    names = {}
    for handler, timeout in (("echo", 10), ("fail", 10), ("slow", 1)):
        name = f"executor-test-{handler}"
        lam.create_function(
            FunctionName=name, Runtime="python3.12", Role=role, Handler=f"probe.{handler}",
            Code={"ZipFile": _zip()}, Timeout=timeout, Environment={"Variables": {"GREETING": "hello"}},
        )  # fmt: skip
        names[handler] = name
    return names


def _invoke(name: str, event: dict[str, object]) -> tuple[dict[str, object], str | None]:
    response = aws.client("lambda").invoke(FunctionName=name, Payload=json.dumps(event).encode())
    return json.loads(response["Payload"].read()), response.get("FunctionError")


def test_handler_runs_with_its_environment_and_stays_warm(functions: dict[str, str], runtime: object) -> None:
    first, error = _invoke(functions["echo"], {"x": 1})
    assert error is None
    assert first["event"] == {"x": 1} and first["greeting"] == "hello"
    assert first["endpoint"] == runtime.endpoint  # type: ignore[attr-defined]
    assert 0 < int(first["remaining"]) <= 10_000  # type: ignore[call-overload]
    second, _ = _invoke(functions["echo"], {"x": 2})
    assert second["calls"] == 2, "module state survives between invocations of a warm sandbox"


def test_errors_come_back_as_lambda_errors(functions: dict[str, str]) -> None:
    payload, error = _invoke(functions["fail"], {})
    assert error
    assert payload["errorType"] == "ValueError"
    assert payload["errorMessage"] == "EMPTY_MEDIA: nothing to hear"


def test_timeout_is_enforced(functions: dict[str, str]) -> None:
    payload, error = _invoke(functions["slow"], {})
    assert error
    assert payload["errorType"] == "Sandbox.Timedout"
    assert "timed out after 1.00 seconds" in str(payload["errorMessage"])
