"""tests.support.audio: the word error rate compares words, not how a number or a price is written."""

from __future__ import annotations

import pytest

from tests.support.audio import normalise, word_error_rate


@pytest.mark.parametrize(
    ("written", "words"),
    [
        ("Late returns cost ten cents per day.", "late returns cost 10 cents per day"),
        ("Late returns cost 10 cents per day", "late returns cost 10 cents per day"),
        ("Late returns cost $0.10 per day", "late returns cost 10 cents per day"),
        ("Part 12. Up to five books", "part 12 up to 5 books"),
        ("twenty-five people", "25 people"),
        ("one thousand two hundred", "1200"),
        ("1,200", "1200"),
        ("nine five", "9 5"),
        ("a $5 fee", "a 5 dollars fee"),
        ("a hundred", "a hundred"),
    ],
)
def test_numbers_are_compared_as_digits(written: str, words: str) -> None:
    assert normalise(written) == words.split()


def test_a_misheard_number_is_still_an_error() -> None:
    assert word_error_rate("opens at nine in the morning", "opens at night in the morning") == pytest.approx(1 / 6)
    assert word_error_rate("opens at nine in the morning", "Opens at 9 in the morning.") == 0.0
