"""A circuit breaker on blocked downloads, shared by every Lambda instance.

Its state is one DynamoDB item per site. After `threshold` blocked downloads
within `window` seconds it opens: downloads from that site fail fast until
`reset` seconds have passed; then one probe is let through (half-open), and its
success closes the breaker while another refusal opens it again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal

from ytcaption import aws
from ytcaption.jobstore import from_dynamo

State = Literal["closed", "open", "half_open"]


@dataclass(frozen=True)
class BreakerStatus:
    site: str
    state: State
    failures: int
    opened_at: float | None
    retry_at: float | None


class CircuitOpen(Exception):
    def __init__(self, status: BreakerStatus) -> None:
        super().__init__(f"circuit open for {status.site}")
        self.status = status


class CircuitBreaker:
    def __init__(self, table_name: str, threshold: int, window_seconds: int, reset_seconds: int) -> None:
        self.table = aws.resource("dynamodb").Table(table_name)
        self.threshold = threshold
        self.window = window_seconds
        self.reset = reset_seconds

    @staticmethod
    def _key(site: str) -> dict[str, str]:
        return {"pk": f"BREAKER#{site}", "sk": "BREAKER"}

    def _read(self, site: str) -> dict[str, Any]:
        item = self.table.get_item(Key=self._key(site), ConsistentRead=True).get("Item") or {}
        return dict(from_dynamo(item))

    def status(self, site: str, item: dict[str, Any] | None = None) -> BreakerStatus:
        item = self._read(site) if item is None else item
        opened = item.get("opened_at")
        return BreakerStatus(
            site=site,
            state=item.get("state", "closed"),
            failures=int(item.get("failures", 0)),
            opened_at=opened,
            retry_at=opened + self.reset if opened is not None else None,
        )

    def before_download(self, site: str) -> None:
        """Raise CircuitOpen to fail fast; let a single probe through once the reset time passed."""
        status = self.status(site)
        if status.state == "closed":
            return
        now = time.time()
        if status.retry_at is not None and now >= status.retry_at and self._claim_probe(site, now):
            return
        raise CircuitOpen(status)

    def _claim_probe(self, site: str, now: float) -> bool:
        # Only one caller wins the probe: the write is conditional on the old opened_at.
        return aws.conditionally(
            lambda: self.table.update_item(
                Key=self._key(site),
                UpdateExpression="SET #state = :half, opened_at = :now",
                ConditionExpression="opened_at <= :due",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={":half": "half_open", ":now": _num(now), ":due": _num(now - self.reset)},
            )
        )

    def record_success(self, site: str) -> None:
        status = self.status(site)
        if status.state != "closed" or status.failures:
            self.table.put_item(Item={**self._key(site), "state": "closed", "failures": 0, "site": site})

    def record_blocked(self, site: str) -> BreakerStatus:
        now = time.time()
        item = self._read(site)
        status = self.status(site, item)
        window_start = item.get("window_start", now)
        failures = status.failures + 1 if now - window_start <= self.window else 1
        if failures == 1:
            window_start = now
        opens = status.state == "half_open" or failures >= self.threshold
        new: dict[str, Any] = {
            **self._key(site),
            "site": site,
            "state": "open" if opens else status.state,
            "failures": failures,
            "window_start": _num(window_start),
        }
        if opens:
            new["opened_at"] = _num(now)
        elif status.opened_at is not None:
            new["opened_at"] = _num(status.opened_at)
        self.table.put_item(Item=new)
        return self.status(site)


def _num(value: float) -> Any:
    from decimal import Decimal

    return Decimal(str(round(value, 3)))
