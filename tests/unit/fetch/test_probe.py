"""Probing by content: a cut Ogg file is TRUNCATED_MEDIA, though Ogg declares no length."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.paths import ROOT
from ytcaption.domain.errors import ErrorCode, YtcError
from ytcaption.fetch.probe import ogg_is_cut, probe

SAMPLE = ROOT / "samples" / "welcome.ogg"


def test_the_complete_sample_is_audio() -> None:
    info = probe(SAMPLE)
    assert info.format == "ogg" and info.duration > 20 and not ogg_is_cut(SAMPLE)


@pytest.mark.parametrize("fraction", [0.33, 0.5, 0.9])
def test_a_cut_ogg_file_is_truncated_media(tmp_path: Path, fraction: float) -> None:
    data = SAMPLE.read_bytes()
    cut = tmp_path / "cut.ogg"
    cut.write_bytes(data[: int(len(data) * fraction)])
    assert ogg_is_cut(cut)
    with pytest.raises(YtcError) as refused:
        probe(cut)
    assert refused.value.code == ErrorCode.TRUNCATED_MEDIA


def test_a_cut_on_a_page_boundary_is_caught_too(tmp_path: Path) -> None:
    """Complete pages, but the last one does not end the stream."""
    data = SAMPLE.read_bytes()
    boundary = data.rfind(b"OggS", 0, len(data) // 2)
    cut = tmp_path / "pages.ogg"
    cut.write_bytes(data[:boundary])
    assert ogg_is_cut(cut)
