"""Resolve the few CloudFormation intrinsics the drift checks need, with a fake account and region."""

from __future__ import annotations

import json
from typing import Any

from ytcaption.local import statemachine

REGION = "us-east-1"
ACCOUNT = "123456789012"


def resolve(template: dict[str, Any], value: Any) -> Any:
    resources = template["Resources"]
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return [resolve(template, v) for v in value]
    if not isinstance(value, dict):
        return value
    if "Ref" in value:
        ref = value["Ref"]
        pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }
        if ref in pseudo:
            return pseudo[ref]
        resource = resources[ref]
        props = resource["Properties"]
        kind = resource["Type"]
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{props['QueueName']}"
        if kind == "AWS::S3::Bucket":
            return resolve(template, props["BucketName"])
        if kind == "AWS::DynamoDB::Table":
            return props["TableName"]
        if kind == "AWS::Lambda::Function":
            return props["FunctionName"]
        if kind == "AWS::StepFunctions::StateMachine":
            return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{props['StateMachineName']}"
        if kind in ("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api"):
            return f"{props['Name']}-id"  # an id API Gateway makes up
        if kind == "AWS::ApiGateway::Stage":
            return str(props["StageName"])
        raise KeyError(f"cannot resolve Ref to {kind}")
    if "Fn::GetAtt" in value:
        logical, attribute = value["Fn::GetAtt"]
        resource = resources[logical]
        if resource["Type"] == "AWS::Lambda::Function" and attribute == "Arn":
            return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{resource['Properties']['FunctionName']}"
        if resource["Type"] == "AWS::SQS::Queue" and attribute == "QueueName":
            return resource["Properties"]["QueueName"]
        if resource["Type"] == "AWS::SQS::Queue" and attribute == "Arn":
            return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{resource['Properties']['QueueName']}"
        if resource["Type"] == "AWS::StepFunctions::StateMachine" and attribute == "Name":
            return resource["Properties"]["StateMachineName"]
        raise KeyError(f"cannot resolve GetAtt {logical}.{attribute}")
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(str(resolve(template, p)) for p in parts)
    return {k: resolve(template, v) for k, v in value.items()}


def state_machine(template: dict[str, Any]) -> dict[str, Any]:
    (machine,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    return dict(machine["Properties"])


def substituted_definition(template: dict[str, Any]) -> dict[str, Any]:
    """The definition Step Functions will run: DefinitionString after DefinitionSubstitutions."""
    props = state_machine(template)
    values = {k: resolve(template, v) for k, v in props["DefinitionSubstitutions"].items()}
    result: dict[str, Any] = json.loads(statemachine.substitute(props["DefinitionString"], values))
    return result
