"""The two images that run the worker's runners (the GPU worker and the fast lane) carry the same
engines: a job routed to either lane can use every option the other serves."""

from __future__ import annotations

import re

from tests.paths import ROOT

IMAGES = ("containers/whisper/Dockerfile", "containers/fast_lane/Dockerfile")


def _installs(dockerfile: str) -> str:
    return (ROOT / dockerfile).read_text()


def test_both_lanes_carry_the_speaker_encoder_without_torch() -> None:
    pins = {path: re.findall(r"--no-deps '(resemblyzer==[\d.]+)'", _installs(path)) for path in IMAGES}
    assert all(pins.values()), f"an image lacks the speaker encoder: {pins}"
    assert len({tuple(v) for v in pins.values()}) == 1, f"the lanes pin different encoders: {pins}"
    for path in IMAGES:
        assert "torch" not in _installs(path).replace("no torch", ""), path


def test_both_lanes_install_the_worker_extra() -> None:
    for path in IMAGES:
        assert "[worker" in _installs(path), path
