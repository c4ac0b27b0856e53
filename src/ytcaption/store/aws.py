"""boto3 clients, one per service and process.

No endpoint is passed: boto3 honours AWS_ENDPOINT_URL (and per-service
AWS_ENDPOINT_URL_<SERVICE>) on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from ytcaption.settings import get_settings

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=60)
# For calls that must never hold up a job (best-effort events): give up after seconds, not minutes.
_BRIEF = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=2, read_timeout=5)


def _session() -> Any:
    # Typed as Any: service names are plain strings here, not the stubs' literals.
    return boto3.session.Session()


@cache
def client(service: str) -> Any:
    return _session().client(service, region_name=get_settings().region, config=_CONFIG)


@cache
def brief_client(service: str) -> Any:
    """A client that gives up quickly (two attempts, seconds of timeouts): for best-effort calls."""
    return _session().client(service, region_name=get_settings().region, config=_BRIEF)


@cache
def resource(service: str) -> Any:
    return _session().resource(service, region_name=get_settings().region, config=_CONFIG)


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ClientError, '' for anything else."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def conditionally(write: Callable[[], Any]) -> bool:
    """Run a conditional DynamoDB write: False when its condition did not hold."""
    try:
        write()
    except Exception as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def queue_url(name: str) -> str:
    return str(client("sqs").get_queue_url(QueueName=name)["QueueUrl"])
