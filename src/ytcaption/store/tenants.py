"""Per-tenant settings kept in the jobs table: for now, the webhook signing secret."""

from __future__ import annotations

import secrets

from ytcaption.store import aws, keys


class TenantStore:
    def __init__(self, table_name: str) -> None:
        self.table = aws.resource("dynamodb").Table(table_name)

    def webhook_secret(self, tenant: str) -> str:
        """The tenant's secret, created on first use (the same for every caller)."""
        item = self.table.get_item(Key=keys.tenant(tenant), ConsistentRead=True).get("Item") or {}
        if item.get("webhook_secret"):
            return str(item["webhook_secret"])
        candidate = "whsec_" + secrets.token_urlsafe(32)
        created = aws.conditionally(
            lambda: self.table.update_item(
                Key=keys.tenant(tenant),
                UpdateExpression="SET webhook_secret = :s, tenant = :t",
                ConditionExpression="attribute_not_exists(webhook_secret)",
                ExpressionAttributeValues={":s": candidate, ":t": tenant},
            )
        )
        return candidate if created else self.webhook_secret(tenant)  # else someone else created it first

    def rotate_webhook_secret(self, tenant: str) -> str:
        secret = "whsec_" + secrets.token_urlsafe(32)
        self.table.update_item(
            Key=keys.tenant(tenant),
            UpdateExpression="SET webhook_secret = :s, tenant = :t",
            ExpressionAttributeValues={":s": secret, ":t": tenant},
        )
        return secret
