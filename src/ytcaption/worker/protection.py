"""ECS task scale-in protection, held while a worker has a job in hand.

The scaling policy sets the fleet to what the queue needs, smaller as well as larger; with
protection on, ECS stops only idle workers when it shrinks the fleet. It is set through the ECS
agent's endpoint (`ECS_AGENT_URI`, present in every ECS task; the agent calls
UpdateTaskProtection with the task's role); outside ECS (locally) there is nothing to do.
Best effort: a failure is logged and never stops the work.
"""

from __future__ import annotations

import json
import logging
import math
import os
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

# ECS's own bounds for ExpiresInMinutes.
_MAX_MINUTES = 2880


class ScaleInProtection:
    def __init__(self, agent_uri: str | None = None, timeout: float = 5.0) -> None:
        self.agent_uri = agent_uri if agent_uri is not None else os.environ.get("ECS_AGENT_URI")
        self.timeout = timeout

    def set(self, protected: bool, expires_in_seconds: float = 3600) -> bool:
        """True if the agent took it; False where there is no agent or it refused."""
        if not self.agent_uri:
            return False
        body: dict[str, object] = {"ProtectionEnabled": protected}
        if protected:
            # A backstop: a worker that hangs with protection on does not block scale-in forever.
            body["ExpiresInMinutes"] = max(1, min(_MAX_MINUTES, math.ceil(expires_in_seconds / 60)))
        request = urllib.request.Request(
            f"{self.agent_uri}/task-protection/v1/state",
            data=json.dumps(body).encode(),
            method="PUT",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return bool(200 <= response.status < 300)
        except OSError as exc:
            log.warning("task scale-in protection not %s: %s", "set" if protected else "cleared", exc)
            return False

    @contextmanager
    def held(self, expires_in_seconds: float) -> Iterator[None]:
        self.set(True, expires_in_seconds)
        try:
            yield
        finally:
            self.set(False)
