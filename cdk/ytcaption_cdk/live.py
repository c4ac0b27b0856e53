"""Live updates: an API Gateway WebSocket API, and the fan-out of job events to its connections.

A client connects to `wss://<api>.execute-api.<region>.amazonaws.com/live?key=ytc_...`: the $connect
route's authorizer is the REST API's own (functions/authorizer: the tenant key, from the query string
here, checked against its hash). The `live-socket` Lambda keeps each connection and its subscriptions
in the connections table ($connect, $disconnect) and answers the client's messages ($default). Every
job event on the default bus (source `ytcaption`, as finish/events.py publishes them) goes to the
`live` Lambda through a rule: it records the event in the job's log (what a reconnecting client's
`since` replays) and posts it to the subscribers through the stage's management API. The protocol is
ytcaption.finish.live's; locally the API serves the same one (ytcaption.api.routes.live).
"""

from __future__ import annotations

import json

import jsii
from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from ytcaption import resources
from ytcaption_cdk.config import Config
from ytcaption_cdk.nag import acknowledge, acknowledge_resource
from ytcaption_cdk.pipeline import access_log_group

# API Gateway's authorizer reads the key here (browsers cannot set a WebSocket's headers).
KEY_QUERY = "route.request.querystring.key"
_ACCESS_LOG = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "routeKey": "$context.routeKey",
    "eventType": "$context.eventType",
    "connectionId": "$context.connectionId",
    "status": "$context.status",
    "tenant": "$context.authorizer.principalId",
    "error": "$context.error.message",
    "integrationError": "$context.integrationErrorMessage",
}


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogs:
    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigwv2.LogGroupLogDestination(log_group)

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat:
        return apigw.AccessLogFormat.custom(json.dumps(_ACCESS_LOG))


class Live(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: Config,
        connections: dynamodb.ITable,
        socket_function: lambda_.Function,
        fan_out_function: lambda_.Function,
        authorizer_function: lambda_.IFunction,
        dead_letter_queue: sqs.IQueue,
    ) -> None:
        super().__init__(scope, id)
        authorizer = authorizers.WebSocketLambdaAuthorizer(
            "TenantKeys", authorizer_function, identity_source=[KEY_QUERY]
        )
        self.api = apigwv2.WebSocketApi(
            self,
            "WebSocketApi",
            api_name=f"{config.names.prefix}-live",
            description="YTCaption: live job events over WebSocket",
            connect_route_options=apigwv2.WebSocketRouteOptions(
                integration=integrations.WebSocketLambdaIntegration("ConnectIntegration", socket_function),
                authorizer=authorizer,
            ),
            disconnect_route_options=apigwv2.WebSocketRouteOptions(
                integration=integrations.WebSocketLambdaIntegration("DisconnectIntegration", socket_function)
            ),
            default_route_options=apigwv2.WebSocketRouteOptions(
                integration=integrations.WebSocketLambdaIntegration("MessageIntegration", socket_function)
            ),
        )
        access_logs = access_log_group(self, config)
        self.stage = apigwv2.WebSocketStage(
            self,
            "Stage",
            web_socket_api=self.api,
            stage_name=resources.LIVE_STAGE,
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(rate_limit=config.apiRateLimit, burst_limit=config.apiBurstLimit),
            access_log_settings=_AccessLogs(access_logs),
        )

        # Connections: kept and forgotten by the socket, looked up, claimed and dropped (gone) by the fan-out.
        connections.grant(
            socket_function, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
            "dynamodb:Query",
        )  # fmt: skip
        connections.grant(
            fan_out_function, "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"
        )
        # Both post to connections (replies and replays; events): POST only, and only through this stage.
        self.connections_arn = Stack.of(self).format_arn(
            service="execute-api",
            resource=self.api.api_id,
            resource_name=f"{resources.LIVE_STAGE}/POST/@connections/*",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        for function in (socket_function, fan_out_function):
            function.add_to_role_policy(
                iam.PolicyStatement(actions=["execute-api:ManageConnections"], resources=[self.connections_arn])
            )
            acknowledge_resource(
                function.role or function,
                self.connections_arn,
                reason="Connection ids are made by API Gateway: posting is allowed to any connection of this "
                "one stage, nothing else.",
            )
        fan_out_function.add_environment("YTC_LIVE_ENDPOINT", self.stage.callback_url)

        self.rule = events.Rule(
            self,
            "EventsRule",
            rule_name=f"{config.names.prefix}-live",
            description="Every job event (transcription.*) -> live: recorded and posted to WebSocket subscribers",
            event_pattern=events.EventPattern(source=resources.live_event_pattern()["source"]),
            targets=[
                targets.LambdaFunction(
                    fan_out_function,
                    retry_attempts=2,
                    max_event_age=Duration.hours(1),
                    dead_letter_queue=dead_letter_queue,
                )
            ],
        )
        acknowledge(
            self.api,
            id="AwsSolutions-APIG4",
            reason="WebSocket APIs authorize only the $connect route (the tenant-key authorizer); the other "
            "routes belong to a connection that passed it, and the app checks each job's tenant itself.",
        )
