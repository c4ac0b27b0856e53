"""cdk-nag 3 findings are acknowledged through CDK's own Validations API, always with a reason."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

PACK = "AwsSolutions"


def acknowledge(construct: IConstruct, *, id: str, reason: str) -> None:
    """Acknowledge one cdk-nag finding (`AwsSolutions-IAM5[Resource::*]`) on a construct and its children."""
    if not reason.strip():
        raise ValueError(f"acknowledging {id} needs a reason")
    # Validations ids are "<plugin>::<rule>", the way cdk-nag's report names them.
    Validations.of(construct).acknowledge(Acknowledgment(id=f"{PACK}::{id}", reason=reason))
