"""boto3 clients, one per service and process.

No endpoint is passed: boto3 honours AWS_ENDPOINT_URL (and per-service
AWS_ENDPOINT_URL_<SERVICE>) on its own.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from functools import cache, partial
from typing import Any

import boto3
from botocore.config import Config

from ytcaption.settings import get_settings

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=60)
# For calls that must never hold up a job (best-effort events): give up after seconds, not minutes.
_BRIEF = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=2, read_timeout=5)


def _config(service: str, base: Config) -> Config:
    """S3 signs with SigV4 and names the bucket on its regional endpoint (`<bucket>.s3.<region>.amazonaws.com`),
    presigned URLs included: botocore otherwise presigns with SigV2 on the global endpoint, which a new
    bucket outside us-east-1 answers with a 307 for up to a day (a browser's CORS preflight cannot
    follow it). Against an endpoint of our own (the emulator, LocalStack) the bucket goes in the path."""
    if service != "s3":
        return base
    own_endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    return base.merge(
        Config(
            signature_version="s3v4",
            s3={"addressing_style": "path" if own_endpoint else "virtual", "us_east_1_regional_endpoint": "regional"},
        )
    )


def _session(component: str | None = None) -> Any:
    # Typed as Any: service names are plain strings here, not the stubs' literals.
    session = boto3.session.Session()
    # Tests record every call a component of the local runtime makes (tests/support/iam.py checks them
    # against the deployed roles); a process without a component name (the test process) is not recorded.
    directory = os.environ.get("YTC_AWS_CALL_LOG")
    component = component or os.environ.get("YTC_COMPONENT") or os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
    if directory and component:
        session.events.register("before-parameter-build", partial(_record_call, directory, component))
    return session


# What names the resource of a call (never payloads: no Item, MessageBody, Body...).
_NAMES = ("TableName", "IndexName", "Bucket", "Key", "QueueUrl", "QueueName", "stateMachineArn", "executionArn",
          "FunctionName", "EventBusName", "SecretId", "FromEmailAddress", "ConnectionId")  # fmt: skip
_LOG_LOCK = threading.Lock()


def _record_call(directory: str, component: str, params: dict[str, Any], model: Any, context: Any, **_: Any) -> None:
    call: dict[str, Any] = {"component": component, "service": model.service_model.service_name,
                            "operation": model.name}  # fmt: skip
    call.update({k: params[k] for k in _NAMES if isinstance(params.get(k), str)})
    if "taskToken" in params:
        call["taskToken"] = True
    if model.service_model.service_name == "ecs" and isinstance(params.get("services"), list):
        # DescribeServices (the fast lane's router): authorized on each service of the cluster.
        call["Cluster"], call["Services"] = str(params.get("cluster") or "default"), list(params["services"])
    if isinstance(params.get("RequestItems"), dict):  # BatchGetItem, BatchWriteItem
        call["TableNames"] = sorted(params["RequestItems"])
    if isinstance(params.get("TransactItems"), list):
        call["TransactItems"] = [
            {kind: part.get("TableName") for kind, part in item.items()} for item in params["TransactItems"]
        ]
    if isinstance(params.get("Entries"), list) and model.service_model.service_name == "events":
        call["EventBusNames"] = [entry.get("EventBusName", "default") for entry in params["Entries"]]
    if isinstance(context, dict) and context.get("is_presign_request"):
        call["presigned"] = True
    with _LOG_LOCK, open(os.path.join(directory, f"{component}-{os.getpid()}.jsonl"), "a") as log:
        log.write(json.dumps(call) + "\n")


@cache
def client(service: str) -> Any:
    return _session().client(service, region_name=get_settings().region, config=_config(service, _CONFIG))


@cache
def brief_client(service: str) -> Any:
    """A client that gives up quickly (two attempts, seconds of timeouts): for best-effort calls."""
    return _session().client(service, region_name=get_settings().region, config=_config(service, _BRIEF))


@cache
def resource(service: str) -> Any:
    return _session().resource(service, region_name=get_settings().region, config=_config(service, _CONFIG))


@cache
def resource_as(service: str, component: str) -> Any:
    """A resource whose calls are recorded as another component's: the local API process doing, for
    its WebSocket, what the `live-socket` Lambda does in AWS (and is checked against that role)."""
    return _session(component).resource(service, region_name=get_settings().region, config=_config(service, _CONFIG))


@cache
def client_at(service: str, endpoint: str) -> Any:
    """A client of an endpoint of our own (the WebSocket stage's management API), not AWS_ENDPOINT_URL's."""
    return _session().client(service, region_name=get_settings().region, config=_BRIEF, endpoint_url=endpoint)


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ClientError, '' for anything else."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def unreachable(exc: BaseException) -> bool:
    """AWS (or the local emulator) did not answer at all: worth waiting for, not a bug of ours."""
    from botocore.exceptions import (
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
    )

    return isinstance(exc, EndpointConnectionError | ConnectionClosedError | ConnectTimeoutError | ReadTimeoutError)


def conditionally(write: Callable[[], Any]) -> bool:
    """Run a conditional DynamoDB write: False when its condition did not hold."""
    try:
        write()
    except Exception as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def query_all(table: Any, **request: Any) -> list[dict[str, Any]]:
    """Every item a DynamoDB Query finds, page after page."""
    items: list[dict[str, Any]] = []
    while True:
        page = table.query(**request)
        items += page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return items
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def queue_url(name: str) -> str:
    return str(client("sqs").get_queue_url(QueueName=name)["QueueUrl"])
