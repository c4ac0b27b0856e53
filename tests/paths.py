"""The repository's files the tests read (the runtime package never knows where they are)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ASL_PATH = ROOT / "statemachines" / "transcription.asl.json"
OPENAPI_PATH = ROOT / "openapi.json"
FUNCTIONS_DIR = ROOT / "functions"
LAYER_BUILD = ROOT / "layers" / "build"
