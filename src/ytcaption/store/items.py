"""What every part of the job store shares: DynamoDB numbers, update expressions, one conditional update.

JobTable is the base of each part: the jobs table, a job's read, the one conditional update every
status change goes through (a terminal job never changes again: a write whose condition fails is
InvalidTransition) and the history item of each status reached. Keys come from store.keys.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ytcaption.domain.errors import InvalidTransition
from ytcaption.domain.job import Job, JobStatus
from ytcaption.store import aws, keys


def instant(at: str) -> str:
    """Our timestamps and the state machine's ($$.State.EnteredTime) in one sortable form."""
    try:
        return datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone(UTC).isoformat(timespec="microseconds")
    except ValueError:
        return at


def to_dynamo(value: Any) -> Any:
    """DynamoDB wants Decimal, not float."""
    if isinstance(value, float):
        # float() first: numpy floats are floats whose repr is not a number.
        number = float(value)
        return Decimal(repr(number)) if math.isfinite(number) else None
    if isinstance(value, dict):
        converted = {k: to_dynamo(v) for k, v in value.items()}
        return {k: v for k, v in converted.items() if v is not None}
    if isinstance(value, list | tuple):
        return [to_dynamo(v) for v in value]
    return value


def from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_dynamo(v) for v in value]
    return value


def set_fields(sets: list[str], values: dict[str, Any], fields: dict[str, Any]) -> tuple[str, dict[str, str]]:
    names = {"#status": "status"}
    removes = []
    for i, (name, value) in enumerate(fields.items()):
        names[f"#f{i}"] = name
        if value is None:
            removes.append(f"#f{i}")
        else:
            sets.append(f"#f{i} = :f{i}")
            values[f":f{i}"] = value
    expression = "SET " + ", ".join(sets)
    if removes:
        expression += " REMOVE " + ", ".join(removes)
    return expression, names


class JobTable:
    """The jobs table and the reads and writes every part of the store builds on."""

    def __init__(self, table_name: str) -> None:
        self.table = aws.resource("dynamodb").Table(table_name)

    def get(self, job_id: str) -> Job | None:
        item = self.table.get_item(Key=keys.job(job_id), ConsistentRead=True).get("Item")
        return Job.model_validate(from_dynamo(item)) if item else None

    def conditional_update(
        self,
        job_id: str,
        expression: str,
        condition: str,
        names: dict[str, str],
        values: dict[str, Any],
        target: JobStatus,
    ) -> dict[str, Any]:
        """The update, or InvalidTransition; returns the job as it is now."""
        try:
            response = self.table.update_item(
                Key=keys.job(job_id),
                UpdateExpression=expression,
                ConditionExpression=f"attribute_exists(pk) AND ({condition})",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_dynamo(values),
                ReturnValues="ALL_NEW",
            )
        except Exception as exc:
            if aws.error_code(exc) == "ConditionalCheckFailedException":
                current = self.get(job_id)
                state = current.status.value if current else "missing"
                raise InvalidTransition(f"job {job_id} is {state}; cannot become {target.value}") from exc
            raise
        return dict(from_dynamo(response.get("Attributes", {})))

    def record_status(self, job_id: str, status: JobStatus, at: str, attempt: int = 0) -> None:
        """History item for a status reached; the first write of it wins."""
        aws.conditionally(
            lambda: self.table.put_item(
                Item={
                    "pk": keys.job_pk(job_id),
                    "sk": keys.event_sk(status, attempt),
                    "status": status.value,
                    "at": at,
                },
                ConditionExpression="attribute_not_exists(sk)",
            )
        )
