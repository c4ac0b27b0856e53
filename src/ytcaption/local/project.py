"""The repository the local runtime deploys from: its state machine file and Lambda folders.

Only the local runtime (and the tests) need these; the runtime package shipped in
a Lambda layer or a worker image never looks for the repository.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

ASL_FILE = Path("statemachines") / "transcription.asl.json"
FUNCTIONS = Path("functions")


def _is_root(folder: Path) -> bool:
    return (folder / ASL_FILE).is_file() and (folder / FUNCTIONS).is_dir()


@cache
def root() -> Path:
    """YTC_PROJECT_ROOT, else the checkout this package was installed from (editable), else the working directory."""
    explicit = os.environ.get("YTC_PROJECT_ROOT")
    here, cwd = Path(__file__).resolve(), Path.cwd().resolve()
    candidates = [Path(explicit)] if explicit else [*here.parents, cwd, *cwd.parents]
    for folder in candidates:
        if _is_root(folder):
            return folder
    raise FileNotFoundError(
        f"cannot find the YTCaption repository ({ASL_FILE} and {FUNCTIONS}/): run from a checkout, "
        "or set YTC_PROJECT_ROOT to one"
    )


def asl_path() -> Path:
    return root() / ASL_FILE


def function_dir(folder: str) -> Path:
    return root() / FUNCTIONS / folder
