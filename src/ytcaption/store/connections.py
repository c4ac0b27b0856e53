"""WebSocket connections and what they listen to (the connections table; keys in store/keys.py).

A connection belongs to one tenant (its key's). It subscribes to topics: one job (`JOB#<id>`) or
all of its tenant's jobs (`TENANT#<tenant>`). Each subscription is an item under its topic, so the
subscribers of an event are one Query per topic (no Scan, no index). Every item expires
(`expires_at`, DynamoDB's TTL) a little after API Gateway would close the connection anyway; a
message from the client pushes that back. Expired items may linger until TTL removes them: reads
skip them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ytcaption import resources
from ytcaption.store import aws, keys

TTL = resources.TABLE_TTL_ATTRIBUTE


@dataclass(frozen=True)
class Connection:
    connection_id: str
    tenant: str
    topics: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Subscription:
    topic: str
    connection_id: str
    tenant: str


class ConnectionStore:
    def __init__(
        self, table_name: str, ttl_seconds: int = resources.CONNECTION_TTL_SECONDS, dynamodb: Any = None
    ) -> None:
        self.table = (dynamodb or aws.resource("dynamodb")).Table(table_name)
        self.ttl_seconds = ttl_seconds

    def _expiry(self) -> int:
        return int(time.time()) + self.ttl_seconds

    def open(self, connection_id: str, tenant: str, key_id: str = "") -> None:
        self.table.put_item(
            Item={**keys.connection(connection_id), "tenant": tenant, "key_id": key_id, TTL: self._expiry()}
        )

    def get(self, connection_id: str) -> Connection | None:
        item = self.table.get_item(Key=keys.connection(connection_id), ConsistentRead=True).get("Item")
        if not item or int(item.get(TTL, 0)) < time.time():
            return None
        return Connection(connection_id, str(item["tenant"]), frozenset(str(t) for t in item.get("topics", ())))

    def subscribe(self, connection: Connection, topic: str) -> None:
        expires = self._expiry()
        self.table.put_item(
            Item={**keys.subscription(topic, connection.connection_id), "tenant": connection.tenant, TTL: expires}
        )
        self.table.update_item(
            Key=keys.connection(connection.connection_id),
            UpdateExpression="ADD topics :t SET #ttl = :e",
            ExpressionAttributeNames={"#ttl": TTL},
            ExpressionAttributeValues={":t": {topic}, ":e": expires},
        )

    def unsubscribe(self, connection: Connection, topic: str) -> None:
        self.table.delete_item(Key=keys.subscription(topic, connection.connection_id))
        self.table.update_item(
            Key=keys.connection(connection.connection_id),
            UpdateExpression="DELETE topics :t",
            ExpressionAttributeValues={":t": {topic}},
        )

    def touch(self, connection: Connection) -> None:
        """The client is still there: its items live on (at most a write per topic)."""
        expires = self._expiry()
        own = [keys.connection(connection.connection_id)]
        own += [keys.subscription(topic, connection.connection_id) for topic in sorted(connection.topics)]
        for key in own:
            aws.conditionally(
                lambda key=key: self.table.update_item(  # type: ignore[misc]
                    Key=key,
                    UpdateExpression="SET #ttl = :e",
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeNames={"#ttl": TTL},
                    ExpressionAttributeValues={":e": expires},
                )
            )

    def subscribers(self, topic: str) -> list[Subscription]:
        items = aws.query_all(
            self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": keys.subscription_pk(topic)},
            ConsistentRead=True,
        )
        now = time.time()
        return [
            Subscription(topic, str(item["sk"]), str(item["tenant"])) for item in items if int(item.get(TTL, 0)) >= now
        ]

    def claim(self, connection_id: str, job_id: str, event_id: str) -> bool:
        """True once per (connection, event): whoever posts an event to a connection claims it first,
        so a replay and the live fan-out racing each other never send it twice."""
        return aws.conditionally(
            lambda: self.table.update_item(
                Key=keys.connection_sent(connection_id, job_id),
                UpdateExpression="ADD events :e SET #ttl = :x",
                ConditionExpression="NOT contains(events, :id)",
                ExpressionAttributeNames={"#ttl": TTL},
                ExpressionAttributeValues={":e": {event_id}, ":id": event_id, ":x": self._expiry()},
            )
        )

    def close(self, connection_id: str) -> None:
        """Forget the connection, its subscriptions and what it was sent."""
        item = self.table.get_item(Key=keys.connection(connection_id), ConsistentRead=True).get("Item") or {}
        for topic in sorted(str(t) for t in item.get("topics", ())):
            self.table.delete_item(Key=keys.subscription(topic, connection_id))
        response = self.table.query(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": keys.connection(connection_id)["pk"]},
            ProjectionExpression="pk, sk",
        )
        for own in response["Items"]:
            self.table.delete_item(Key={"pk": own["pk"], "sk": own["sk"]})
