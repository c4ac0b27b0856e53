"""The `speakers` option: off, auto, a count or a range; anything else is refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ytcaption.domain.options import JobOptions
from ytcaption.domain.speakers import SpeakerRange, bounds, parse_setting


def test_accepted_forms_and_their_bounds() -> None:
    assert JobOptions().speakers is None
    assert bounds(JobOptions(speakers="auto").speakers or "auto") == (None, 1, None)
    assert bounds(JobOptions(speakers=3).speakers or "auto") == (3, 3, 3)
    ranged = JobOptions.model_validate({"speakers": {"min": 2, "max": 4}}).speakers
    assert ranged == SpeakerRange(min=2, max=4) and bounds(ranged) == (None, 2, 4)
    # The step contract carries it through JSON unchanged.
    for value in ("auto", 3, {"min": 2, "max": 4}):
        options = JobOptions.model_validate({"speakers": value})
        assert JobOptions.model_validate_json(options.model_dump_json()) == options


@pytest.mark.parametrize("value", [0, 21, -1, "many", {"min": 3, "max": 2}, {"min": 0}, {"least": 2}, 2.5, True])
def test_refused_values(value: object) -> None:
    with pytest.raises(ValidationError):
        JobOptions.model_validate({"speakers": value})


def test_the_command_line_form() -> None:
    assert parse_setting("Auto") == "auto"
    assert parse_setting("2") == 2
    assert parse_setting("2-5") == SpeakerRange(min=2, max=5)
    for bad in ("0", "21", "5-2", "two", "", "1-"):
        with pytest.raises(ValueError, match="speakers"):
            parse_setting(bad)
