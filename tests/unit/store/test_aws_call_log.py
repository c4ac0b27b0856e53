"""The record of AWS calls the tests' IAM check reads (YTC_AWS_CALL_LOG, ytcaption.store.aws)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.stub import Stubber

from ytcaption.store import aws


@pytest.fixture
def fresh_clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key in ("AWS_ENDPOINT_URL", "YTC_COMPONENT", "AWS_LAMBDA_FUNCTION_NAME"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    aws.client.cache_clear()
    yield
    aws.client.cache_clear()


def recorded(directory: Path) -> list[dict[str, object]]:
    return [json.loads(line) for path in sorted(directory.glob("*.jsonl")) for line in path.read_text().splitlines()]


def test_a_component_records_each_call_with_the_names_it_touches(
    fresh_clients: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YTC_AWS_CALL_LOG", str(tmp_path))
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "ytcaption-notify")
    ddb = aws.client("dynamodb")
    with Stubber(ddb) as stub:
        stub.add_response("query", {"Items": []})
        ddb.query(TableName="jobs", IndexName="by-tenant", KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": {"S": "secret"}})  # fmt: skip
    aws.client("s3").generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "results/x"})
    assert recorded(tmp_path) == [
        {"component": "ytcaption-notify", "service": "dynamodb", "operation": "Query", "TableName": "jobs",
         "IndexName": "by-tenant"},
        {"component": "ytcaption-notify", "service": "s3", "operation": "GetObject", "Bucket": "b",
         "Key": "results/x", "presigned": True},
    ]  # fmt: skip
    assert [p.name for p in tmp_path.iterdir()] == [f"ytcaption-notify-{os.getpid()}.jsonl"]


def test_a_process_without_a_component_is_not_recorded(
    fresh_clients: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YTC_AWS_CALL_LOG", str(tmp_path))
    aws.client("s3").generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"})
    assert recorded(tmp_path) == []
