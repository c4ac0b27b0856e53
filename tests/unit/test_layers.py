"""layers/<name>/layer.toml, the layers' definitions, agree with the functions that carry them
(ytcaption.resources: every function carries the shared layers, `extra_layers` names the others)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from ytcaption import resources

LAYERS = Path(__file__).resolve().parents[2] / "layers"


def definitions() -> dict[str, dict[str, Any]]:
    return {p.parent.name: tomllib.loads(p.read_text()) for p in sorted(LAYERS.glob("*/layer.toml"))}


def test_each_layer_is_defined_for_the_functions_that_carry_it() -> None:
    found = definitions()
    assert set(found) == {"core", "dependencies", "javascript"}
    shared = {d["build"] for d in found.values() if d["functions"] == "all"}
    assert shared == {"core", "deps"}
    carried = {str(d["build"]): set(d["functions"]) for d in found.values() if d["functions"] != "all"}
    expected = {layer: {s.name for s in resources.LAMBDAS if layer in s.extra_layers}
                for s in resources.LAMBDAS for layer in s.extra_layers}  # fmt: skip
    assert carried == expected


def test_a_layer_names_extras_never_versions() -> None:
    """The pins live in pyproject.toml alone: a layer names the extras it takes."""
    for name, found in definitions().items():
        text = (LAYERS / name / "layer.toml").read_text()
        assert "==" not in text and ">=" not in text, f"layers/{name}/layer.toml pins a version"
        assert "extras" in found["contents"] or name == "core"
