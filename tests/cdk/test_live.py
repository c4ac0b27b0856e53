"""Live updates in AWS: the WebSocket API, its tenant-key authorizer, the connections table, the rule
that sends every job event to the fan-out, and who may post to connections (only to this stage)."""

from __future__ import annotations

import json

from aws_cdk.assertions import Match

from tests.cdk.conftest import Synth
from tests.cdk.test_template import _allowed, _logical_id, _role_of_function
from ytcaption import resources

FAN_OUT = resources.lambda_spec("live").function_name
SOCKET = resources.lambda_spec("live-socket").function_name


def test_a_websocket_api_whose_connect_route_checks_the_tenant_key_from_the_query_string(gpu: Synth) -> None:
    api, resource = gpu.one("AWS::ApiGatewayV2::Api")
    props = resource["Properties"]
    assert props["ProtocolType"] == "WEBSOCKET" and props["Name"] == resources.LIVE_API
    authorizer_fn = _logical_id(
        gpu, "AWS::Lambda::Function", FunctionName=resources.lambda_spec("authorizer").function_name
    )
    authorizer, found = gpu.one("AWS::ApiGatewayV2::Authorizer")
    auth = found["Properties"]
    assert auth["AuthorizerType"] == "REQUEST"
    assert auth["IdentitySource"] == ["route.request.querystring.key"]
    assert authorizer_fn in json.dumps(auth["AuthorizerUri"]), "the REST API's own authorizer, not a copy"
    routes = {r["Properties"]["RouteKey"]: r["Properties"] for r in gpu.resources("AWS::ApiGatewayV2::Route").values()}
    assert set(routes) == {"$connect", "$disconnect", "$default"}
    assert routes["$connect"]["AuthorizationType"] == "CUSTOM"
    assert routes["$connect"]["AuthorizerId"] == {"Ref": authorizer}
    socket_fn = _logical_id(gpu, "AWS::Lambda::Function", FunctionName=SOCKET)
    for integration in gpu.resources("AWS::ApiGatewayV2::Integration").values():
        assert socket_fn in json.dumps(integration["Properties"]["IntegrationUri"])
    gpu.assertions.has_resource_properties(
        "AWS::Lambda::Permission",
        {"FunctionName": {"Fn::GetAtt": [authorizer_fn, "Arn"]}, "Principal": "apigateway.amazonaws.com"},
    )
    url = json.dumps(gpu.template["Outputs"]["LiveUrl"]["Value"])
    assert "wss://" in url and api in url and f"/{resources.LIVE_STAGE}" in url


def test_the_stage_is_throttled_and_logs_every_connection(gpu: Synth) -> None:
    stage = gpu.one("AWS::ApiGatewayV2::Stage")[1]["Properties"]
    assert stage["StageName"] == resources.LIVE_STAGE and stage["AutoDeploy"] is True
    throttle = stage["DefaultRouteSettings"]
    assert throttle["ThrottlingRateLimit"] > 0 and throttle["ThrottlingBurstLimit"] > 0
    access = stage["AccessLogSettings"]
    assert "$context.connectionId" in access["Format"] and "$context.requestId" in access["Format"]


def test_connections_expire_and_are_encrypted_and_recoverable(gpu: Synth) -> None:
    gpu.assertions.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "TableName": resources.CONNECTIONS_TABLE,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "TimeToLiveSpecification": {"AttributeName": resources.TABLE_TTL_ATTRIBUTE, "Enabled": True},
            "SSESpecification": {"SSEEnabled": True},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        },
    )


def test_every_job_event_reaches_the_fan_out_which_posts_through_the_stage(gpu: Synth) -> None:
    fan_out = _logical_id(gpu, "AWS::Lambda::Function", FunctionName=FAN_OUT)
    gpu.assertions.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {"source": [resources.EVENT_SOURCE]},
            "State": "ENABLED",
            "Targets": Match.array_with([Match.object_like({"Arn": {"Fn::GetAtt": [fan_out, "Arn"]}})]),
        },
    )
    variables = gpu.template["Resources"][fan_out]["Properties"]["Environment"]["Variables"]
    endpoint = json.dumps(variables["YTC_LIVE_ENDPOINT"])
    assert "https://" in endpoint and f"/{resources.LIVE_STAGE}" in endpoint
    assert variables["YTC_CONNECTIONS_TABLE"] == resources.CONNECTIONS_TABLE
    # The web page the API serves is told where to follow jobs live.
    api = _logical_id(gpu, "AWS::Lambda::Function", FunctionName=resources.lambda_spec("api").function_name)
    api_variables = gpu.template["Resources"][api]["Properties"]["Environment"]["Variables"]
    live_url = json.dumps(api_variables["YTC_PUBLIC_LIVE_URL"])
    assert "wss://" in live_url and f"/{resources.LIVE_STAGE}" in live_url


def test_no_function_reserves_concurrency_so_a_first_deploy_fits_a_small_account_quota(gpu: Synth) -> None:
    """Lambda refuses a reservation that leaves the account less than its unreserved minimum (new
    accounts may have a quota of 10): the whole stack would roll back. Events are ordered by their
    `sequence`, not by running the fan-out one at a time."""
    functions = gpu.template["Resources"].values()
    reserved = [f for f in functions if f["Type"] == "AWS::Lambda::Function"
                and "ReservedConcurrentExecutions" in f["Properties"]]  # fmt: skip
    assert reserved == []
    assert any(f["Type"] == "AWS::Lambda::Function" for f in functions)


def test_only_the_live_functions_may_post_and_only_to_this_stages_connections(gpu: Synth) -> None:
    api, _ = gpu.one("AWS::ApiGatewayV2::Api")
    for name in (FAN_OUT, SOCKET):
        allowed = _allowed(gpu, _role_of_function(gpu, name))
        (resource,) = allowed["execute-api:ManageConnections"]
        text = json.dumps(resource)
        assert api in text and f"/{resources.LIVE_STAGE}/POST/@connections/*" in text, text
        assert not any(a.startswith(("dynamodb:Scan", "dynamodb:BatchWrite")) for a in allowed)
    others = [spec.function_name for spec in resources.LAMBDAS if spec.function_name not in (FAN_OUT, SOCKET)]
    for name in others:
        assert "execute-api:ManageConnections" not in _allowed(gpu, _role_of_function(gpu, name)), name
