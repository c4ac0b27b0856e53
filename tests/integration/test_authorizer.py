"""The API Gateway authorizer: a tenant key from `ytcaption keys create` is allowed, and names its
tenant; anything else is refused (API Gateway answers 401 to the "Unauthorized" error)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.api import new_key
from ytcaption import resources
from ytcaption.store import aws

pytestmark = pytest.mark.integration

METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/api/POST/v1/transcriptions"


def _authorize(headers: dict[str, str]) -> tuple[dict[str, Any], str | None]:
    event = {
        "type": "REQUEST",
        "methodArn": METHOD_ARN,
        "resource": "/{proxy+}",
        "path": "/v1/transcriptions",
        "httpMethod": "POST",
        "headers": headers,
        "requestContext": {"stage": "api", "path": "/api/v1/transcriptions"},
    }
    answer = aws.client("lambda").invoke(
        FunctionName=resources.lambda_spec("authorizer").function_name, Payload=json.dumps(event).encode()
    )
    return json.loads(answer["Payload"].read()), answer.get("FunctionError")


def test_a_tenant_key_is_allowed_on_every_route_and_names_its_tenant(runtime: object) -> None:
    policy, error = _authorize({"X-Api-Key": new_key("gateway-tenant")})
    assert error is None, policy
    assert policy["principalId"] == "gateway-tenant"
    assert policy["context"]["tenant"] == "gateway-tenant"
    (statement,) = policy["policyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    # Cached per key by API Gateway: the answer must hold for every route of the API, not only this one.
    assert statement["Resource"] == ["arn:aws:execute-api:us-east-1:123456789012:abcdef1234/api/*/*"]


@pytest.mark.parametrize("headers", [{}, {"x-api-key": "ytc_not-a-real-key"}, {"x-api-key": "not even the shape"}])
def test_anything_else_is_unauthorized(runtime: object, headers: dict[str, str]) -> None:
    answer, error = _authorize(headers)
    assert error is not None and answer["errorMessage"] == "Unauthorized"


def _authorize_connect(query: dict[str, str], headers: dict[str, str] | None = None) -> tuple[dict[str, Any], Any]:
    """The WebSocket API's $connect, as API Gateway asks the same authorizer (identity: ?key=)."""
    event = {
        "type": "REQUEST",
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:wsapi12345/live/$connect",
        "headers": headers or {},
        "queryStringParameters": query,
        "requestContext": {"routeKey": "$connect", "eventType": "CONNECT", "stage": "live",
                           "connectionId": "AbC123=", "apiId": "wsapi12345"},
    }  # fmt: skip
    answer = aws.client("lambda").invoke(
        FunctionName=resources.lambda_spec("authorizer").function_name, Payload=json.dumps(event).encode()
    )
    return json.loads(answer["Payload"].read()), answer.get("FunctionError")


def test_a_websocket_connect_is_allowed_with_the_key_in_the_query_string(runtime: object) -> None:
    policy, error = _authorize_connect({"key": new_key("socket-tenant")})
    assert error is None, policy
    assert policy["principalId"] == "socket-tenant" and policy["context"]["tenant"] == "socket-tenant"
    (statement,) = policy["policyDocument"]["Statement"]
    assert statement == {
        "Action": "execute-api:Invoke",
        "Effect": "Allow",
        "Resource": "arn:aws:execute-api:us-east-1:123456789012:wsapi12345/live/$connect",
    }
    policy, error = _authorize_connect({}, {"x-api-key": new_key("socket-tenant")})
    assert error is None and policy["principalId"] == "socket-tenant"
    answer, error = _authorize_connect({"key": "ytc_not-a-real-key"})
    assert error is not None and answer["errorMessage"] == "Unauthorized"


def test_a_query_string_key_does_not_authorize_a_rest_request(runtime: object) -> None:
    """The REST API caches answers by the header: a key anywhere else is no key there."""
    key = new_key("gateway-tenant")
    event = {"type": "REQUEST", "methodArn": METHOD_ARN, "headers": {}, "queryStringParameters": {"key": key},
             "requestContext": {"stage": "api"}}  # fmt: skip
    answer = aws.client("lambda").invoke(
        FunctionName=resources.lambda_spec("authorizer").function_name, Payload=json.dumps(event).encode()
    )
    assert answer.get("FunctionError") and json.loads(answer["Payload"].read())["errorMessage"] == "Unauthorized"
