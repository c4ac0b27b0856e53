"""Signed webhook deliveries.

Each POST carries `YTCaption-Signature: t=<unix seconds>,v1=<hex>` where v1 is
HMAC-SHA256 over "<t>.<body>" with the tenant's webhook secret. 2xx is
delivered; 408, 429, 5xx and network errors are worth retrying (the state
machine retries them with backoff and jitter); other answers are final.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from typing import Any

from ytcaption.domain.errors import YtcError
from ytcaption.intake.urlpolicy import UrlPolicy, addresses_checked, check_url, webhook_policy
from ytcaption.settings import Settings

SIGNATURE_HEADER = "YTCaption-Signature"
RETRYABLE_STATUS = frozenset({408, 429})
# Attempts per event: the first and the state machine's retries of WebhookRetryable (its
# Notify states' MaxAttempts is one less; a unit test keeps them equal).
WEBHOOK_ATTEMPTS = 4
# The state machine's backoff between them (its Notify states' Retry: IntervalSeconds, BackoffRate,
# MaxDelaySeconds, full jitter), for a sender that retries in-process (retry_delays; same unit test).
RETRY_INTERVAL_SECONDS = 1.0
RETRY_BACKOFF_RATE = 2.0
RETRY_MAX_DELAY_SECONDS = 30.0
USER_AGENT = "YTCaption-Webhooks/1.0"


class WebhookRetryable(Exception):
    """The receiver may accept it later: the state machine retries by this name."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, tolerance_seconds: int = 300, now: float | None = None) -> bool:
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), f"t={timestamp},v1={parts.get('v1', '')}")


@dataclass(frozen=True)
class Delivery:
    url: str
    status_code: int | None
    outcome: str  # delivered | retry | failed
    detail: str
    at: float

    def as_dict(self) -> dict[str, Any]:
        return {"url": self.url, "status_code": self.status_code, "outcome": self.outcome, "detail": self.detail}


def as_counted(delivery: Delivery, earlier_attempts: int) -> Delivery:
    """The attempt as its record says it: a retry that was the last attempt allowed is a failure."""
    if delivery.outcome == "retry" and earlier_attempts + 1 >= WEBHOOK_ATTEMPTS:
        return replace(delivery, outcome="failed",
                       detail=f"{delivery.detail}; gave up after {WEBHOOK_ATTEMPTS} attempts")  # fmt: skip
    return delivery


def retry_delays() -> list[float]:
    """Seconds to wait before each retry (WEBHOOK_ATTEMPTS - 1 of them), as the state machine waits:
    interval x rate^n, at most the max delay, with full jitter."""
    return [
        random.uniform(0, min(RETRY_MAX_DELAY_SECONDS, RETRY_INTERVAL_SECONDS * RETRY_BACKOFF_RATE**n))
        for n in range(WEBHOOK_ATTEMPTS - 1)
    ]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A webhook must answer where it was registered; following redirects would
    # also let a public URL bounce us to a private one.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def deliver(
    url: str, event: dict[str, Any], secret: str, policy: UrlPolicy, require_https: bool, timeout: float = 10
) -> Delivery:
    """POST the event once; never raises for the receiver's behaviour."""
    now = time.time()
    try:
        check_url(url, policy)
        if require_https and not url.lower().startswith("https://"):
            return Delivery(url, None, "failed", "webhook URLs must use https", now)
    except YtcError as exc:
        return Delivery(url, None, "failed", exc.reason, now)
    body = json.dumps(event, separators=(",", ":")).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: sign(secret, int(now), body),
            "YTCaption-Event-Id": str(event["event_id"]),
            "YTCaption-Event-Type": str(event["event_type"]),
        },
    )
    with addresses_checked(policy) as refused:
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                return Delivery(url, response.status, "delivered", "accepted", now)
        except urllib.error.HTTPError as exc:
            code = exc.code
            retry = code in RETRYABLE_STATUS or code >= 500
            return Delivery(url, code, "retry" if retry else "failed", f"HTTP {code}", now)
        except (urllib.error.URLError, OSError) as exc:
            if refused:
                return Delivery(url, None, "failed", f"address {refused[0]} is not allowed", now)
            reason = getattr(exc, "reason", exc)
            return Delivery(url, None, "retry", f"connection failed: {reason}", now)


def deliver_to_tenant(settings: Settings, tenant: str, url: str, event: dict[str, Any]) -> Delivery:
    """POST the event once, signed with the tenant's webhook secret, under this deployment's webhook rules."""
    from ytcaption.store.tenants import TenantStore

    secret = TenantStore(settings.table).webhook_secret(tenant)
    return deliver(url, event, secret, webhook_policy(settings.allow_loopback_urls),
                   settings.webhook_require_https, settings.webhook_timeout_seconds)  # fmt: skip
