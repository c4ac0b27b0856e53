"""API Gateway (REST) in front of the `api` Lambda: tenant keys checked by a Lambda authorizer,
stage throttling, access logs. /health/*, /docs and /openapi.json need no key.

Clients send the key `ytcaption keys create` printed, in `x-api-key`: the same key works locally and
in AWS. A REQUEST authorizer checks it against its hash in the jobs table and names the tenant;
API Gateway caches that answer per key for AUTHORIZER_CACHE (so a revoked key works for at most
that long). Throttling: the stage's rate and burst protect the API as a whole, and the app enforces
each tenant's own limits (jobs in flight, audio per day, upload size), which it keeps per tenant in
DynamoDB. API Gateway usage plans were not kept: they identify callers only by API Gateway's own
keys, which would have to be created for every tenant and stored in clear next to our hashed ones.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from ytcaption import resources
from ytcaption_cdk.config import Config
from ytcaption_cdk.nag import acknowledge
from ytcaption_cdk.pipeline import access_log_group

# The stage is the first part of every public path: https://<api>/api/v1/transcriptions. Not "v1":
# the app's routes carry their version themselves (/v1/...), and a "v1" stage made the public URLs
# /v1/v1/... The api Lambda (functions/api/handler.py) gives the app this prefix as its root path,
# so the links, Location headers and /docs it writes point back through the stage.
STAGE = "api"
AUTHORIZER_CACHE = Duration.minutes(5)
KEY_HEADER = "x-api-key"
# Routes anyone may call: liveness and readiness probes, the API's documentation, the web
# page (GET / and its assets under app/; the page asks for a key and sends it with each call), and
# audio links (a ticket the keyed API issued is their authorization: an <audio> element sends no key).
OPEN_ROUTES = ("health/{proxy+}", "docs", "openapi.json", "app/{proxy+}", f"{resources.AUDIO_LINK_PATH[1:]}/{{token}}")
# API Gateway's own refusals, shaped like the app's problem details (RFC 9457).
_PROBLEMS = {
    apigw.ResponseType.UNAUTHORIZED: (401, "unauthorized", "Send a valid API key in the X-Api-Key header."),
    apigw.ResponseType.ACCESS_DENIED: (403, "forbidden", "This API key may not do that."),
    apigw.ResponseType.THROTTLED: (429, "throttled", "Too many requests; slow down and retry."),
}


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: Config,
        function: lambda_.IFunction,
        authorizer_function: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, id)
        access_logs = access_log_group(self, config)
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=f"{config.names.prefix}-api",
            description="YTCaption: transcription jobs",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # Not CDK's account role: with DESTROY it overwrote the region's API Gateway account
            # setting and deleted the role on teardown, breaking every other API's logs (below).
            cloud_watch_role=False,
            deploy_options=apigw.StageOptions(
                stage_name=STAGE,
                throttling_rate_limit=config.apiRateLimit,
                throttling_burst_limit=config.apiBurstLimit,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                logging_level=apigw.MethodLoggingLevel.ERROR,
                metrics_enabled=True,
                tracing_enabled=True,
            ),
        )
        self.authorizer = apigw.RequestAuthorizer(
            self,
            "TenantKeys",
            handler=authorizer_function,
            identity_sources=[apigw.IdentitySource.header(KEY_HEADER)],
            results_cache_ttl=AUTHORIZER_CACHE,
        )
        integration = apigw.LambdaIntegration(function, proxy=True)
        keyed = {"authorizer": self.authorizer, "authorization_type": apigw.AuthorizationType.CUSTOM}
        self.rest_api.root.add_method("ANY", integration, **keyed)
        self.rest_api.root.add_method("GET", integration, authorization_type=apigw.AuthorizationType.NONE)
        self.rest_api.root.add_resource("{proxy+}").add_method("ANY", integration, **keyed)
        # More specific resources win over {proxy+}: these routes skip the authorizer.
        for route in OPEN_ROUTES:
            resource = self.rest_api.root
            for part in route.split("/"):
                resource = resource.get_resource(part) or resource.add_resource(part)
            resource.add_method("GET", integration, authorization_type=apigw.AuthorizationType.NONE)
        for response_type, (status, code, detail) in _PROBLEMS.items():
            self.rest_api.add_gateway_response(
                f"Problem{status}",
                type=response_type,
                status_code=str(status),
                response_headers={"Content-Type": "'application/problem+json'"},
                templates={
                    "application/json": (
                        f'{{"type": "/problems/{code}", "title": "$context.error.message", "status": {status}, '
                        f'"detail": "{detail}", "code": "{code}", "instance": "$context.path"}}'
                    )
                },
            )

        self.account: apigw.CfnAccount | None = None
        if config.apiGatewayAccountRole:
            self._account_role()

        acknowledge(
            self.rest_api,
            id="AwsSolutions-APIG2",
            reason="A proxy integration: the app validates every request itself (pydantic models, problem+json "
            "422 with field paths); API Gateway would need a copy of those models to do the same.",
        )
        acknowledge(
            self.rest_api,
            id="AwsSolutions-APIG3",
            reason="Throttling is the stage's (rate and burst) and each tenant's own limits are the app's; add a "
            "WAF web ACL for IP-level rules where needed (it has a standing monthly cost).",
        )
        acknowledge(
            self.rest_api,
            id="AwsSolutions-APIG4",
            reason="Every route is behind the tenant-key authorizer except the liveness/readiness probes and the "
            "API's own documentation, which are public on purpose.",
        )
        acknowledge(
            self.rest_api,
            id="AwsSolutions-COG4",
            reason="No Cognito user pool: machine clients use tenant API keys, checked by a Lambda authorizer.",
        )

    def _account_role(self) -> None:
        """The region-wide role API Gateway writes logs with (stage access and execution logs need it).

        API Gateway has one such setting per account and region, shared by every API: the role and
        the setting are retained when the stack goes, so tearing this stack down never breaks the
        logging of other APIs (or of a second YTCaption stack). Where the account already has the
        role and manages it elsewhere, `-c apiGatewayAccountRole=false` leaves it alone.
        """
        role = iam.Role(
            self,
            "CloudWatchRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="API Gateway (account-wide): push access and execution logs to CloudWatch",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AmazonAPIGatewayPushToCloudWatchLogs")
            ],
        )
        role.apply_removal_policy(RemovalPolicy.RETAIN)
        account = apigw.CfnAccount(self, "Account", cloud_watch_role_arn=role.role_arn)
        # The live-updates WebSocket stage logs through the same setting (stack.py).
        self.account = account
        account.apply_removal_policy(RemovalPolicy.RETAIN)
        # The stage turns logging on, which API Gateway refuses until the account has the role.
        self.rest_api.deployment_stage.node.add_dependency(account)
        acknowledge(
            role,
            id="AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            reason="The account-level role API Gateway uses to write its logs; AWS's managed policy is the "
            "documented one.",
        )
