"""ytcaption.store.items pure helpers: DynamoDB number conversion and key layout."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from boto3.dynamodb.types import TypeSerializer
from hypothesis import given, settings
from hypothesis import strategies as st

from ytcaption.domain.job import JobStatus
from ytcaption.store.items import from_dynamo, to_dynamo
from ytcaption.store.keys import JOB_SK, event_sk, job_pk, tenant_pk

# -- to_dynamo / from_dynamo ------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.1, Decimal("0.1")),
        (1.5, Decimal("1.5")),
        (-2.25, Decimal("-2.25")),
        (1.0, Decimal("1.0")),
        (1e20, Decimal("1e+20")),
        (1 / 3, Decimal("0.3333333333333333")),
    ],
)
def test_float_becomes_exact_decimal(value: float, expected: Decimal) -> None:
    result = to_dynamo(value)
    assert isinstance(result, Decimal)
    assert result == expected


@pytest.mark.parametrize("value", [0, 7, -3, True, False, "1.5", b"x", Decimal("2.5")])
def test_non_floats_pass_through(value: object) -> None:
    result = to_dynamo(value)
    assert result == value
    assert type(result) is type(value)


def test_none_is_dropped_from_dicts_at_every_depth() -> None:
    item = {"a": None, "b": 1, "c": {"d": None, "e": 0.5, "f": {"g": None}}, "h": [{"i": None, "j": 2}]}
    assert to_dynamo(item) == {"b": 1, "c": {"e": Decimal("0.5"), "f": {}}, "h": [{"j": 2}]}


def test_falsy_values_are_kept() -> None:
    item = {"zero": 0, "zero_f": 0.0, "empty": "", "no": False, "list": []}
    assert to_dynamo(item) == {"zero": 0, "zero_f": Decimal("0.0"), "empty": "", "no": False, "list": []}


def test_nested_lists_and_tuples() -> None:
    value = {"segments": [[0.5, 1.25], (2.0, [3.5, "x"])]}
    assert to_dynamo(value) == {
        "segments": [[Decimal("0.5"), Decimal("1.25")], [Decimal("2.0"), [Decimal("3.5"), "x"]]]
    }


def test_to_dynamo_does_not_mutate_its_input() -> None:
    item = {"a": 0.5, "b": None, "c": [0.25]}
    to_dynamo(item)
    assert item == {"a": 0.5, "b": None, "c": [0.25]}


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_never_become_decimals(value: float) -> None:
    # DynamoDB rejects NaN and Infinity numbers.
    assert not isinstance(to_dynamo(value), Decimal)
    assert not isinstance(to_dynamo({"x": value}).get("x"), Decimal)


def test_from_dynamo_numbers() -> None:
    assert from_dynamo(Decimal("3")) == 3
    assert type(from_dynamo(Decimal("3"))) is int
    assert type(from_dynamo(Decimal("3.0"))) is int
    assert from_dynamo(Decimal("0.1")) == 0.1
    assert type(from_dynamo(Decimal("0.1"))) is float
    assert from_dynamo(Decimal("-12.5")) == -12.5


def test_from_dynamo_nested() -> None:
    item = {"a": Decimal("1"), "b": [Decimal("2.5"), {"c": Decimal("4")}], "d": "s", "e": None}
    result = from_dynamo(item)
    assert result == {"a": 1, "b": [2.5, {"c": 4}], "d": "s", "e": None}
    assert type(result["b"][1]["c"]) is int


JSON_LIKE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    # DynamoDB numbers go down to 1e-130 only; the job's numbers (durations, probabilities) stay far above.
    | st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False).filter(
        lambda x: x == 0 or abs(x) >= 1e-100
    )
    | st.text(max_size=5),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4),
    max_leaves=20,
)


def _drop_none_in_dicts(value: object) -> object:
    if isinstance(value, dict):
        return {k: _drop_none_in_dicts(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none_in_dicts(v) for v in value]
    return value


@settings(max_examples=150, deadline=None, database=None)
@given(JSON_LIKE)
def test_property_round_trip_and_serializable(value: object) -> None:
    stored = to_dynamo(value)
    # boto3 serialises it (this is where a float would be rejected), without any network.
    if stored is not None:
        TypeSerializer().serialize(stored)
    assert from_dynamo(stored) == _drop_none_in_dicts(value)


# -- keys ---------------------------------------------------------------------------


def test_key_layout() -> None:
    assert job_pk("job-1") == "JOB#job-1"
    assert tenant_pk("acme") == "TENANT#acme"
    assert JOB_SK == "JOB"
    assert event_sk(JobStatus.PENDING) == "EVENT#00#PENDING"
    assert event_sk(JobStatus.COMPLETED) == "EVENT#04#COMPLETED"
    assert event_sk(JobStatus.CANCELLED) == "EVENT#06#CANCELLED"


def test_event_sort_keys_sort_like_status_rank() -> None:
    by_key = sorted(JobStatus, key=event_sk)
    by_rank = sorted(JobStatus, key=lambda s: s.rank)
    assert by_key == by_rank == list(JobStatus)


def test_event_sort_keys_are_distinct_and_begin_with_event() -> None:
    keys = [event_sk(s) for s in JobStatus]
    assert len(set(keys)) == len(keys)
    assert all(k.startswith("EVENT#") for k in keys)
    assert all(k != JOB_SK for k in keys)
