"""The WebSocket API's routes: $connect (after the tenant-key authorizer: the connection is kept with
its tenant), $disconnect, and $default (the client's messages: subscribe, unsubscribe, ping; answered
through the management API). The protocol is ytcaption.finish.live's."""

from __future__ import annotations

import base64
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from ytcaption.finish.live import Live, ManagementApi
from ytcaption.settings import get_settings
from ytcaption.store.connections import ConnectionStore
from ytcaption.store.eventlog import EventLog

logger = Logger()
tracer = Tracer()
settings = get_settings()
live = Live(ConnectionStore(settings.connections_table), EventLog(settings.table))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = event.get("requestContext") or {}
    route, connection_id = request.get("routeKey"), str(request.get("connectionId") or "")
    logger.append_keys(route=route, connection_id=connection_id)
    if route == "$connect":
        # The authorizer's context names the tenant of the key (functions/authorizer).
        authorizer = request.get("authorizer") or {}
        live.connect(connection_id, str(authorizer["tenant"]), str(authorizer.get("keyId") or ""))
    elif route == "$disconnect":
        live.disconnect(connection_id)
    else:
        # The stage's own management API: https://<domain>/<stage>.
        post = ManagementApi(settings.live_endpoint or f"https://{request['domainName']}/{request['stage']}")
        body = str(event.get("body") or "")
        live.receive(connection_id, base64.b64decode(body) if event.get("isBase64Encoded") else body, post)
    return {"statusCode": 200}
