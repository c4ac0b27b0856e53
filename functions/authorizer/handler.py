"""API Gateway REQUEST authorizer: the tenant key (`x-api-key`, from `ytcaption keys create`) is
checked against its hash in the jobs table; the answer names the tenant and is cached by API
Gateway for the key (authorizer TTL), so a warm client costs no lookup per request.

The same function authorizes the live-updates WebSocket API's $connect: there the key comes in the
query string (`?key=ytc_...`: browsers cannot set a WebSocket's headers) or the header, and the
answer allows that connection (its method ARN names the `$connect` route, not a method and path)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerRequestEvent,
    APIGatewayAuthorizerResponse,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from ytcaption.settings import get_settings
from ytcaption.store.apikeys import ApiKeyStore

logger = Logger()
tracer = Tracer()
metrics = Metrics()
settings = get_settings()
keys = ApiKeyStore(settings.table, settings.api_key_pepper)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=APIGatewayAuthorizerRequestEvent)
def lambda_handler(event: APIGatewayAuthorizerRequestEvent, context: LambdaContext) -> dict[str, Any]:
    websocket = (event.raw_event.get("requestContext") or {}).get("eventType") == "CONNECT"
    key = (event.headers.get("x-api-key") or "").strip()  # headers are case-insensitive here
    if websocket and not key:
        key = ((event.query_string_parameters or {}).get("key") or "").strip()
    record = keys.lookup(key) if key else None
    if record is None:
        metrics.add_metric(name="Unauthorized", unit=MetricUnit.Count, value=1)
        # API Gateway's own answer to this exact message is 401 (a gateway response shapes its body).
        raise Exception("Unauthorized")
    context = {"tenant": record.tenant, "keyId": record.key_id}
    logger.append_keys(tenant=record.tenant)
    if websocket:
        statement = {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event.method_arn}
        document = {"Version": "2012-10-17", "Statement": [statement]}
        return {"principalId": record.tenant, "policyDocument": document, "context": context}
    arn = event.parsed_arn
    policy = APIGatewayAuthorizerResponse(
        principal_id=record.tenant,
        region=arn.region,
        aws_account_id=arn.aws_account_id,
        api_id=arn.api_id,
        stage=arn.stage,
        partition=arn.partition,
        context=context,
    )
    # The answer is cached for the key, not for one route: it must allow every route.
    policy.allow_all_routes()
    return policy.asdict()
