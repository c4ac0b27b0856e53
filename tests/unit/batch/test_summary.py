"""A batch's summary: from its entries (one batch), or from its own counters (a list of batches)."""

from __future__ import annotations

from ytcaption.batch.summary import counts, ended, ended_counts, ended_progress, progress


def test_from_the_entries() -> None:
    entries = [{"status": "COMPLETED"}, {"status": "TRANSCRIBING", "progress": 50}, {"status": "FAILED"}]
    assert counts(entries) == {"COMPLETED": 1, "TRANSCRIBING": 1, "FAILED": 1}
    assert ended(entries) == 2 and progress(entries) == 250 // 3


def test_from_the_batch_items_counters_alone() -> None:
    running = {"status": "RUNNING", "total": 4, "ended": 3, "count_COMPLETED": 2, "count_FAILED": 1,
               "count_CANCELLED": 0, "counted": "not a counter"}  # fmt: skip
    assert ended_counts(running) == {"COMPLETED": 2, "FAILED": 1}
    assert ended_progress(running) == 75
    assert ended_progress({"status": "EXPANDING", "total": 0}) == 0
    assert ended_progress({"status": "FAILED", "total": 0}) == 100
