"""cdk-nag 3 findings are acknowledged through CDK's own Validations API, always with a reason."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct

PACK = "AwsSolutions"


def acknowledge(construct: IConstruct, *, id: str, reason: str) -> None:
    """Acknowledge one cdk-nag finding (`AwsSolutions-IAM5[Resource::*]`) on a construct and its children."""
    if not reason.strip():
        raise ValueError(f"acknowledging {id} needs a reason")
    # Validations ids are "<plugin>::<rule>", the way cdk-nag's report names them.
    Validations.of(construct).acknowledge(Acknowledgment(id=f"{PACK}::{id}", reason=reason))


def acknowledge_resource(construct: IConstruct, resource: str, *, reason: str) -> None:
    """Acknowledge AwsSolutions-IAM5 for one wildcard resource, named exactly as the policy names it.

    cdk-nag 3 matches acknowledgements as exact strings (no patterns). The resource is rendered the
    way cdk-nag renders it, from the very value the statement holds: a region or account comes out
    as `<AWS::Region>` in an environment-agnostic stack and as `eu-west-1` under `cdk synth` with an
    environment, and the acknowledgement follows, never covering anything but that one resource.
    """
    acknowledge(construct, id=f"AwsSolutions-IAM5[Resource::{nag_name(construct, resource)}]", reason=reason)


def nag_name(scope: IConstruct, value: Any) -> str:
    """A resource as cdk-nag names it in a finding (its flattenCfnReference of the resolved value)."""
    return _flatten(Stack.of(scope).resolve(value))


def _flatten(node: Any) -> str:
    if node is None:
        return ""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict):
        if node.get("Fn::Join"):
            delimiter, items = node["Fn::Join"]
            return str(delimiter).join(_flatten(item) for item in items)
        if node.get("Fn::Sub"):
            return _flatten(node["Fn::Sub"])
        if node.get("Fn::GetAtt"):
            resource, attribute = node["Fn::GetAtt"]
            return f"<{_flatten(resource)}.{_flatten(attribute)}>"
        if node.get("Fn::ImportValue"):
            return _flatten(node["Fn::ImportValue"])
        if node.get("Ref"):
            return f"<{_flatten(node['Ref'])}>"
    return json.dumps(node, separators=(",", ":"))
