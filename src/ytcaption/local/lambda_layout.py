"""Lambda handlers run from the built layers, as Lambda lays them out, instead of from this venv.

With `YTC_LOCAL_LAMBDA_LAYERS` (layer folders of scripts/build_layers.py, e.g. layers/build/core,
layers/build/deps-x86_64, layers/build/js-x86_64), each sandbox starts an isolated interpreter
(`-I -S`: no venv, no site-packages) whose path is Lambda's: the function's code, each layer's
`python/`, then what Lambda's own runtime provides (boto3 and its dependencies, linked from this
venv); each layer's `bin/` is on PATH as /opt/bin is. A packaging mistake in the layers then fails
here, in the pipeline, as it would in AWS.
"""

from __future__ import annotations

import os
from functools import cache
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

# What the Lambda runtime itself provides (scripts/build_layers.py leaves it out of the layers).
RUNTIME_DISTRIBUTIONS = ("boto3",)


def layer_dirs(setting: str) -> list[Path]:
    return [Path(part) for part in setting.split(os.pathsep) if part.strip()]


@cache
def runtime_site(target: Path) -> Path:
    """A folder like the runtime's site-packages: boto3 and what it needs, linked from this venv."""
    target.mkdir(parents=True, exist_ok=True)
    todo, seen = list(RUNTIME_DISTRIBUTIONS), set()
    while todo:
        dist = metadata.distribution(todo.pop())
        name = str(dist.metadata["Name"]).lower()
        if name in seen:
            continue
        seen.add(name)
        for requirement in map(Requirement, dist.requires or []):
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
        for top in {Path(str(f)).parts[0] for f in dist.files or [] if not str(f).startswith("..")}:
            source = Path(str(dist.locate_file(top)))
            if not (target / top).exists() and (source.is_dir() or source.suffix == ".py"):
                (target / top).symlink_to(source)
    return target


def sys_path(code_dir: Path, layers: list[Path], site: Path) -> list[str]:
    return [str(code_dir), *(str(layer / "python") for layer in layers), str(site)]


def path_with_bins(layers: list[Path], path: str) -> str:
    return os.pathsep.join([path, *(str(layer / "bin") for layer in layers if (layer / "bin").is_dir())])
