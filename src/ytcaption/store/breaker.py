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

from ytcaption.store import aws, keys
from ytcaption.store.items import from_dynamo

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

    def _read(self, site: str) -> dict[str, Any]:
        item = self.table.get_item(Key=keys.breaker(site), ConsistentRead=True).get("Item") or {}
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
                Key=keys.breaker(site),
                UpdateExpression="SET #state = :half, opened_at = :now",
                ConditionExpression="opened_at <= :due",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={":half": "half_open", ":now": _num(now), ":due": _num(now - self.reset)},
            )
        )

    def record_success(self, site: str) -> None:
        status = self.status(site)
        if status.state != "closed" or status.failures:
            self.table.put_item(Item={**keys.breaker(site), "state": "closed", "failures": 0, "site": site})

    def record_blocked(self, site: str) -> BreakerStatus:
        """Count a blocked download (atomically: Lambdas block at the same time) and open
        the breaker at the threshold, or at once when the half-open probe was refused."""
        now = time.time()
        item = self._count(site, now)
        state = item.get("state", "closed")
        if state == "half_open" or (state == "closed" and int(item.get("failures", 0)) >= self.threshold):
            item = self._update(site, "SET #state = :open, opened_at = :now", {":open": "open", ":now": _num(now)})
        return self.status(site, item)

    def _count(self, site: str, now: float) -> dict[str, Any]:
        cutoff = _num(now - self.window)
        while True:
            try:  # the usual case: one more block in the current window
                return self._update(
                    site, "ADD failures :one", {":one": 1, ":cutoff": cutoff}, "window_start >= :cutoff"
                )
            except Exception as exc:
                if aws.error_code(exc) != "ConditionalCheckFailedException":
                    raise
            try:  # no window yet, or it lapsed: this block starts one (only one caller may)
                return self._update(
                    site,
                    "SET failures = :one, window_start = :now, site = :site",
                    {":one": 1, ":now": _num(now), ":site": site, ":cutoff": cutoff},
                    "attribute_not_exists(window_start) OR window_start < :cutoff",
                )
            except Exception as exc:
                if aws.error_code(exc) != "ConditionalCheckFailedException":
                    raise
            # Another instance started the window meanwhile: count into it.

    def _update(
        self, site: str, expression: str, values: dict[str, Any], condition: str | None = None
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"ConditionExpression": condition} if condition else {}
        if "#state" in expression:
            kwargs["ExpressionAttributeNames"] = {"#state": "state"}
        response = self.table.update_item(
            Key=keys.breaker(site), UpdateExpression=expression, ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW", **kwargs,
        )  # fmt: skip
        return dict(from_dynamo(response["Attributes"]))


def _num(value: float) -> Any:
    from decimal import Decimal

    return Decimal(str(round(value, 3)))
