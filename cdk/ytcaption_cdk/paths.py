"""Where the CDK app finds what it deploys: the repository's folders (never the runtime package's business)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ASL_PATH = ROOT / "statemachines" / "transcription.asl.json"
FUNCTIONS_DIR = ROOT / "functions"
LAYER_BUILD = ROOT / "layers" / "build"

# Only what the worker image's build reads (containers/whisper/Dockerfile: pyproject.toml, README.md, src/).
IMAGE_CONTEXT_EXCLUDE = [
    "*",
    "!pyproject.toml",
    "!README.md",
    "!src",
    "!containers",
    "**/__pycache__",
]
