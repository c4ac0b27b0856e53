"""API Gateway (REST) in front of the `api` Lambda: proxy, API keys, usage plan, access logs."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from ytcaption_cdk.config import Config
from ytcaption_cdk.nag import acknowledge
from ytcaption_cdk.pipeline import retention

# The stage is the first part of every public path: https://<api>/api/v1/transcriptions. Not "v1":
# the app's routes carry their version themselves (/v1/...), and a "v1" stage made the public URLs
# /v1/v1/... The api Lambda (functions/api/handler.py) gives the app this prefix as its root path,
# so the links, Location headers and /docs it writes point back through the stage.
STAGE = "api"


class Api(Construct):
    def __init__(self, scope: Construct, id: str, *, config: Config, function: lambda_.IFunction) -> None:
        super().__init__(scope, id)
        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=retention(config.logRetentionDays),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=f"{config.names.prefix}-api",
            description="YTCaption: transcription jobs",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            api_key_source_type=apigw.ApiKeySourceType.HEADER,
            # Not CDK's account role: with DESTROY it overwrote the region's API Gateway account
            # setting and deleted the role on teardown, breaking every other API's logs (below).
            cloud_watch_role=False,
            deploy_options=apigw.StageOptions(
                stage_name=STAGE,
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
        if config.apiGatewayAccountRole:
            self._account_role()
        # Every request needs an API key (identifies the client and its plan) and the header is
        # checked by API Gateway before the Lambda runs.
        validator = self.rest_api.add_request_validator(
            "RequireKeyHeader", validate_request_parameters=True, validate_request_body=True
        )
        options = apigw.MethodOptions(
            api_key_required=True,
            request_validator=validator,
            request_parameters={"method.request.header.x-api-key": True},
        )
        integration = apigw.LambdaIntegration(function, proxy=True)
        self.rest_api.root.add_method("ANY", integration, **_kwargs(options))
        # ANY on {proxy+} added by hand: default_method_options loses the request validator.
        proxy = self.rest_api.root.add_proxy(any_method=False)
        proxy.add_method("ANY", integration, **_kwargs(options))

        self.usage_plan = self.rest_api.add_usage_plan(
            "DefaultPlan",
            name=f"{config.names.prefix}-default",
            throttle=apigw.ThrottleSettings(rate_limit=config.apiRateLimit, burst_limit=config.apiBurstLimit),
            quota=apigw.QuotaSettings(limit=config.apiQuotaPerDay, period=apigw.Period.DAY),
            api_stages=[apigw.UsagePlanPerApiStage(api=self.rest_api, stage=self.rest_api.deployment_stage)],
        )
        self.api_key = self.rest_api.add_api_key("DefaultKey", api_key_name=f"{config.names.prefix}-default")
        self.usage_plan.add_api_key(self.api_key)

        acknowledge(
            self.rest_api,
            id="AwsSolutions-APIG3",
            reason="Per-client throttling and quotas come from usage plans; add a WAF web ACL for IP-level "
            "rules where needed (it has a standing monthly cost).",
        )
        acknowledge(
            self.rest_api,
            id="AwsSolutions-APIG4",
            reason="Clients authenticate with API keys tied to usage plans; the key identifies the tenant.",
        )
        acknowledge(
            self.rest_api,
            id="AwsSolutions-COG4",
            reason="No Cognito user pool: machine clients use API keys with usage plans.",
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


def _kwargs(options: apigw.MethodOptions) -> dict[str, object]:
    return {
        "api_key_required": options.api_key_required,
        "request_validator": options.request_validator,
        "request_parameters": options.request_parameters,
    }
