"""Readiness: whether each AWS service the API needs answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ytcaption.store import aws


def readiness(table: str, bucket: str, queue_name: str, state_machine_arn: Callable[[], str]) -> dict[str, str]:
    """Service name -> "ok" or "error: <code>"; the state machine's ARN is worked out inside its probe."""
    probes: dict[str, Callable[[], Any]] = {
        "dynamodb": lambda: aws.client("dynamodb").describe_table(TableName=table),
        "s3": lambda: aws.client("s3").head_bucket(Bucket=bucket),
        "sqs": lambda: aws.client("sqs").get_queue_url(QueueName=queue_name),
        "stepfunctions": lambda: aws.client("stepfunctions").describe_state_machine(
            stateMachineArn=state_machine_arn()
        ),
    }
    checks = {}
    for name, probe in probes.items():
        try:
            probe()
            checks[name] = "ok"
        except Exception as exc:
            checks[name] = f"error: {aws.error_code(exc) or type(exc).__name__}"
    return checks
