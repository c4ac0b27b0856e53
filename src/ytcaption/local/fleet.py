"""The local runtime's GPU fleet as AWS would report it: an ECS service in the emulator.

In AWS the fast lane's router reads the worker service's running count (ytcaption.fastlane.route).
Locally the workers are processes of the runtime, so the runtime keeps an ECS service of the same
names whose count is its live worker processes (the emulator reports a service's desired count as
running): the router's code is the same in both places. The count is refreshed when the runtime starts
or stops a worker (LocalRuntime.report_fleet), not continuously: a worker that crashes on its own is
counted warm until then, where ECS would notice within a minute.
"""

from __future__ import annotations

import logging

from ytcaption import resources
from ytcaption.store import aws

log = logging.getLogger(__name__)


def create() -> None:
    """The cluster and the service, with no worker running. An endpoint without ECS (LocalStack's
    community edition) has no fleet to report: the router then fails and the job takes the GPU queue."""
    try:
        _create()
    except Exception as exc:
        log.warning("no ECS service for the fast lane's router to read: %s", exc)


def _create() -> None:
    ecs = aws.client("ecs")
    ecs.create_cluster(clusterName=resources.WORKER_CLUSTER)
    services = ecs.describe_services(cluster=resources.WORKER_CLUSTER, services=[resources.WORKER_SERVICE])
    if not [s for s in services.get("services", []) if s.get("status") == "ACTIVE"]:
        ecs.create_service(cluster=resources.WORKER_CLUSTER, serviceName=resources.WORKER_SERVICE, desiredCount=0)
    _running(0)


def running(count: int) -> None:
    """The runtime has `count` worker processes now."""
    try:
        _running(count)
    except Exception as exc:
        log.warning("the fleet's size could not be reported: %s", exc)


def _running(count: int) -> None:
    aws.client("ecs").update_service(
        cluster=resources.WORKER_CLUSTER, service=resources.WORKER_SERVICE, desiredCount=max(0, count)
    )
