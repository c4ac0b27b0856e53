"""ytcaption.api.cursors: opaque paging cursors, bound to their tenant."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ytcaption.api.cursors import decode_cursor, decode_scan_cursor, encode_cursor
from ytcaption.api.problems import ApiProblem


@given(st.text(min_size=1, max_size=30))
def test_cursor_round_trip_and_tenant_binding(sk: str) -> None:
    key = {"pk": f"JOB#{sk}", "sk": "JOB", "gsi1pk": "TENANT#acme", "gsi1sk": f"2026-01-01T00:00:00.000Z#{sk}"}
    assert decode_cursor(encode_cursor(key), "acme") == key
    with pytest.raises(ApiProblem) as caught:
        decode_cursor(encode_cursor(key), "globex")
    assert caught.value.status == 422


@pytest.mark.parametrize("cursor", ["", "!!!", "bm9wZQ", encode_cursor({"pk": 1})])
def test_garbage_cursors_are_422(cursor: str) -> None:
    with pytest.raises(ApiProblem):
        decode_cursor(cursor, "acme")


def test_scan_cursors_are_a_table_key_only() -> None:
    key = {"pk": "JOB#job-1", "sk": "JOB"}
    assert decode_scan_cursor(encode_cursor(key)) == key
    for bad in [encode_cursor({**key, "gsi1pk": "TENANT#acme"}), encode_cursor({"pk": "x", "sk": 1}), "!!!"]:
        with pytest.raises(ApiProblem) as caught:
            decode_scan_cursor(bad)
        assert caught.value.status == 422 and caught.value.code == "validation-error"
