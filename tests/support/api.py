"""Helpers for the HTTP API tests: keyed clients, uploads through the presigned
POST, polling, and API Gateway proxy events for the `api` Lambda."""

from __future__ import annotations

import base64
import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from ytcaption import resources
from ytcaption.settings import get_settings
from ytcaption.store import aws
from ytcaption.store.apikeys import ApiKeyStore


def new_key(tenant: str, **limits: float) -> str:
    settings = get_settings()
    key, _ = ApiKeyStore(settings.table, settings.api_key_pepper).create(tenant, "tests", limits or None)
    return key


def client(base_url: str, key: str | None) -> httpx.Client:
    headers = {"X-Api-Key": key} if key else {}
    return httpx.Client(base_url=base_url, headers=headers, timeout=30)


def upload(api: httpx.Client, path: Path, **options: Any) -> tuple[str, str]:
    """POST /v1/uploads, then the file to the presigned URL; returns (upload_id, transcription id)."""
    answer = api.post("/v1/uploads", json={"filename": path.name, "size_bytes": path.stat().st_size, **options})
    assert answer.status_code == 201, answer.text
    ticket = answer.json()
    posted = httpx.post(ticket["url"], data=ticket["fields"], files={"file": (path.name, path.read_bytes())})
    assert posted.status_code in (200, 201, 204), posted.text
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = api.get(f"/v1/uploads/{ticket['upload_id']}").json()
        if status["status"] == "received":
            return ticket["upload_id"], status["transcription_id"]
        time.sleep(0.1)
    raise AssertionError("the upload never arrived")


def wait_for(api: httpx.Client, job_id: str, predicate: Any = None, timeout: float = 180) -> dict[str, Any]:
    """Poll GET /v1/transcriptions/{id} until predicate(body) (default: a terminal status)."""
    predicate = predicate or (lambda body: body["status"] in {"COMPLETED", "FAILED", "CANCELLED"})
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        answer = api.get(f"/v1/transcriptions/{job_id}")
        if answer.status_code == 200:
            body = answer.json()
            if predicate(body):
                return body
        time.sleep(0.2)
    raise AssertionError(f"transcription {job_id} never reached the expected state; last: {body}")


def proxy_event(
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    body: Any = None,
    stage: str = "prod",
    public_root: str | None = None,
) -> dict[str, Any]:
    """An API Gateway REST API (v1) proxy-integration event, as the `api` Lambda receives it.

    `public_root` is what the client's URL has in front of the app's path: `/<stage>` on the
    execute-api URL (the default), "" behind a custom domain without a base path. The Lambda
    writes its links under it (functions/api/handler.py).
    """
    root = f"/{stage}" if public_root is None else public_root
    headers = {"Host": "abc123.execute-api.us-east-1.amazonaws.com", **(headers or {})}
    raw = None if body is None else body if isinstance(body, str) else json.dumps(body)
    if raw is not None:
        headers.setdefault("Content-Type", "application/json")
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": f"{root}{path}",
            "stage": stage,
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "tests"},
            "accountId": "123456789012",
            "apiId": "abc123",
        },
        "body": raw,
        "isBase64Encoded": False,
    }


def invoke_api_lambda(event: dict[str, Any]) -> dict[str, Any]:
    """Invoke the deployed `api` Lambda (the local executor runs functions/api/handler.py)."""
    answer = aws.client("lambda").invoke(
        FunctionName=resources.lambda_spec("api").function_name, Payload=json.dumps(event).encode()
    )
    payload = json.loads(answer["Payload"].read())
    assert "FunctionError" not in answer, payload
    if payload.get("isBase64Encoded"):
        payload["body"] = base64.b64decode(payload["body"]).decode()
    payload["headers"] = {k.lower(): v for k, v in (payload.get("headers") or {}).items()}
    return dict(payload)
