"""The teardown helper's handler (cdk/ytcaption_cdk/teardown.py), run against moto's Auto Scaling.

With managed termination protection ECS leaves the GPU instances protected from scale-in; on stack
deletion the handler must lift that from every instance of its group, and answer CloudFormation
(a PUT to the presigned response URL) SUCCESS, or FAILED with the reason.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws
from ytcaption_cdk.teardown import HANDLER

GROUP = "ytcaption-gpu-spot"


class _Responses(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_PUT(self) -> None:
        length = int(self.headers["content-length"])
        type(self).received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def cloudformation() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A stand-in for CloudFormation's response URL on 127.0.0.1: what the handler PUTs there."""
    received: list[dict[str, Any]] = []
    handler = type("Responses", (_Responses,), {"received": received})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/response?signed", received
    server.shutdown()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def _handler() -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(HANDLER, "index.py", "exec"), namespace)  # the inline code, as Lambda loads it
    return namespace["handler"]


def _event(kind: str, url: str, group: str = GROUP) -> dict[str, Any]:
    return {
        "RequestType": kind,
        "ResponseURL": url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/YTCaption/1",
        "RequestId": "r-1",
        "LogicalResourceId": "WorkersScaleInProtectionReleaseGpuSpotGroupRelease",
        "PhysicalResourceId": "release-1",
        "ResourceProperties": {"AutoScalingGroupName": group},
    }


def _group_with_protected_instances(count: int) -> Any:
    client = boto3.client("autoscaling")
    client.create_launch_configuration(LaunchConfigurationName="gpu", ImageId="ami-12c6146b", InstanceType="g6.xlarge")
    client.create_auto_scaling_group(
        AutoScalingGroupName=GROUP,
        LaunchConfigurationName="gpu",
        MinSize=0,
        MaxSize=count,
        DesiredCapacity=count,
        AvailabilityZones=["us-east-1a"],
        NewInstancesProtectedFromScaleIn=True,
    )
    return client


def _protection(client: Any) -> dict[str, bool]:
    (group,) = client.describe_auto_scaling_groups(AutoScalingGroupNames=[GROUP])["AutoScalingGroups"]
    return {i["InstanceId"]: i["ProtectedFromScaleIn"] for i in group["Instances"]}


CONTEXT = SimpleNamespace(log_stream_name="2026/12/03/[$LATEST]abc")


def test_deleting_the_resource_lifts_the_protection_of_every_instance(aws: None, cloudformation: Any) -> None:
    url, received = cloudformation
    client = _group_with_protected_instances(3)
    assert list(_protection(client).values()) == [True] * 3
    _handler()(_event("Delete", url), CONTEXT)
    assert list(_protection(client).values()) == [False] * 3, "the group's deletion may now terminate them"
    (response,) = received
    assert response["Status"] == "SUCCESS"
    assert response["PhysicalResourceId"] == "release-1" and response["RequestId"] == "r-1"


def test_creating_and_updating_change_nothing(aws: None, cloudformation: Any) -> None:
    url, received = cloudformation
    client = _group_with_protected_instances(2)
    for kind in ("Create", "Update"):
        _handler()(_event(kind, url), CONTEXT)
    assert list(_protection(client).values()) == [True] * 2
    assert [r["Status"] for r in received] == ["SUCCESS", "SUCCESS"]


def test_a_group_already_gone_is_nothing_to_do(aws: None, cloudformation: Any) -> None:
    url, received = cloudformation
    _handler()(_event("Delete", url, group="not-there"), CONTEXT)
    assert [r["Status"] for r in received] == ["SUCCESS"]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_when_auto_scaling_cannot_be_reached_cloudformation_is_told_why(
    cloudformation: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, received = cloudformation
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", os.environ.get("AWS_ACCESS_KEY_ID", "testing"))
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"))
    _handler()(_event("Delete", url), CONTEXT)
    (response,) = received
    assert response["Status"] == "FAILED"
    assert "EndpointConnectionError" in response["Reason"] or "Could not connect" in response["Reason"], response
