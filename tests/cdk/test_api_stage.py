"""The deployed stage and the `api` Lambda agree on public URLs: the real handler
(functions/api/handler.py), given REST proxy events for the template's stage, writes links that
go back through that stage. No emulator: /docs, /openapi.json and an unauthenticated request."""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
import uuid
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from tests.cdk.conftest import ROOT, Synth

pytest.importorskip("mangum", reason="the `api` extra is not installed")
# Powertools' Metrics warns on every response without a metric (none of these requests adds one).
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")


@pytest.fixture(scope="module")
def handler(monkeypatch_module: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch_module.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch_module.setenv("POWERTOOLS_METRICS_NAMESPACE", "YTCaption")
    monkeypatch_module.setenv("POWERTOOLS_SERVICE_NAME", "ytcaption")
    monkeypatch_module.setenv("AWS_DEFAULT_REGION", "us-east-1")
    spec = importlib.util.spec_from_file_location("ytcaption_api_handler", ROOT / "functions" / "api" / "handler.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def monkeypatch_module() -> Any:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def stage(gpu: Synth) -> str:
    _, resource = gpu.one("AWS::ApiGateway::Stage")
    return str(resource["Properties"]["StageName"])


def _event(method: str, path: str, *, stage: str, public_path: str | None = None) -> dict[str, Any]:
    """A REST API proxy event as API Gateway sends it for https://<id>.execute-api.<region>.amazonaws.com."""
    headers = {"Host": "abc123.execute-api.us-east-1.amazonaws.com", "X-Forwarded-Proto": "https"}
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": f"/{stage}{path}" if public_path is None else public_path,
            "stage": stage,
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "tests"},
            "accountId": "123456789012",
            "apiId": "abc123",
        },
        "body": None,
        "isBase64Encoded": False,
    }


def _context() -> Any:
    return SimpleNamespace(
        function_name="ytcaption-api",
        function_version="$LATEST",
        memory_limit_in_mb=512,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:ytcaption-api",
        aws_request_id=str(uuid.uuid4()),
        log_group_name="/aws/lambda/ytcaption-api",
        log_stream_name="test",
        get_remaining_time_in_millis=lambda: 29000,
    )


def _invoke(handler: ModuleType, event: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = handler.lambda_handler(event, _context())
    if response.get("isBase64Encoded"):  # Mangum encodes application/problem+json
        response["body"] = base64.b64decode(response["body"]).decode()
    response["headers"] = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    return response


def test_the_stage_is_not_the_apps_own_version_prefix(stage: str) -> None:
    assert stage and stage != "v1", "the app's routes start with /v1: a v1 stage made public URLs /v1/v1/..."


def test_docs_load_the_openapi_document_through_the_stage(handler: ModuleType, stage: str) -> None:
    docs = _invoke(handler, _event("GET", "/docs", stage=stage))
    assert docs["statusCode"] == 200, docs["body"]
    assert f"'/{stage}/openapi.json'" in docs["body"]
    document = _invoke(handler, _event("GET", "/openapi.json", stage=stage))
    assert document["statusCode"] == 200
    spec = json.loads(document["body"])
    assert {"url": f"/{stage}"} in spec.get("servers", [])
    assert "/v1/transcriptions" in spec["paths"], "the routes themselves are unchanged"


def test_routes_answer_behind_the_stage_and_problems_name_the_public_path(handler: ModuleType, stage: str) -> None:
    live = _invoke(handler, _event("GET", "/health/live", stage=stage))
    assert live["statusCode"] == 200, live["body"]
    missing = _invoke(handler, _event("GET", "/v1/nowhere", stage=stage))
    assert missing["statusCode"] == 404
    assert f"/{stage}/v1/nowhere" in missing["body"], missing["body"]
    # No API key: refused before any AWS call, the route itself found behind the stage.
    refused = _invoke(handler, _event("GET", "/v1/transcriptions", stage=stage))
    assert refused["statusCode"] == 401, refused["body"]


def test_a_custom_domain_without_base_path_keeps_the_apps_own_paths(handler: ModuleType, stage: str) -> None:
    docs = _invoke(handler, _event("GET", "/docs", stage=stage, public_path="/docs"))
    assert docs["statusCode"] == 200 and "'/openapi.json'" in docs["body"]
    mapped = _invoke(handler, _event("GET", "/docs", stage=stage, public_path="/captions/docs"))
    assert "'/captions/openapi.json'" in mapped["body"]


def test_public_root(handler: ModuleType) -> None:
    root = handler.public_root
    assert root({"path": "/v1/transcriptions", "requestContext": {"path": "/api/v1/transcriptions"}}) == "/api"
    assert root({"path": "/", "requestContext": {"path": "/api/", "stage": "api"}}) == "/api"
    assert root({"path": "/v1/x", "requestContext": {"path": "/v1/v1/x", "stage": "v1"}}) == "/v1"
    assert root({"path": "/v1/x", "requestContext": {"path": "/v1/x?a=1", "stage": "prod"}}) == ""
    assert root({"path": "/v1/x", "requestContext": {"stage": "api"}}) == "/api"
    assert root({"path": "/v1/x", "requestContext": {"stage": "$default"}}) == ""
