"""Titles as file names: safe on every common file system, distinct within a batch, stable."""

from __future__ import annotations

from ytcaption.cli.filenames import MAX_STEM, distinct_stems, safe_stem


def test_unsafe_characters_and_names_become_safe_stems() -> None:
    assert safe_stem("Ep. 1: What/Why? <live>", "x") == "Ep. 1_ What_Why_ _live"
    assert safe_stem("  ../../etc/passwd  ", "x") == "etc_passwd"
    assert safe_stem("line\nbreak\ttab", "x") == "line_break_tab"
    assert safe_stem("CON", "x") == "_CON" and safe_stem("nul.txt", "x") == "_nul.txt"
    assert safe_stem("", "ep-7") == "ep-7" and safe_stem("///", "") == "entry"
    assert safe_stem("\uff46\uff55\uff4c\uff4c\u3000width", "x") == "full width"  # NFKC: full-width forms
    assert len(safe_stem("a" * 500, "x")) == MAX_STEM


def test_collisions_get_numbers_in_order_ignoring_case() -> None:
    titles = [("Talk", "1"), ("talk", "2"), ("Talk", "3"), ("Other", "4"), ("", "Talk")]
    assert distinct_stems(titles) == ["Talk", "talk (2)", "Talk (3)", "Other", "Talk (4)"]
    assert distinct_stems(titles) == distinct_stems(titles), "the same batch gets the same names"


def test_a_numbered_stem_stays_within_the_limit() -> None:
    long = "a" * 500
    first, second = distinct_stems([(long, "1"), (long, "2")])
    assert len(first) == len(second) == MAX_STEM and second.endswith(" (2)")
