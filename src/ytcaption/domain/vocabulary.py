"""Whisper model names, kept apart from the loader so Lambdas can validate
options without importing faster-whisper."""

from __future__ import annotations

# The sizes faster-whisper can fetch by name from the Hugging Face hub.
KNOWN_MODELS: frozenset[str] = frozenset(
    {
        "tiny", "tiny.en", "base", "base.en", "small", "small.en",
        "medium", "medium.en", "large-v1", "large-v2", "large-v3", "large",
        "distil-small.en", "distil-medium.en", "distil-large-v2",
        "distil-large-v3", "distil-large-v3.5", "large-v3-turbo", "turbo",
    }
)  # fmt: skip


def is_path_reference(value: str) -> bool:
    return value.startswith(("/", "./", "../", "~"))


def is_valid_model_reference(value: str) -> bool:
    """A known name, a Hugging Face repo id (org/name) or a local path."""
    if value in KNOWN_MODELS or is_path_reference(value):
        return True
    parts = value.split("/")
    return len(parts) == 2 and all(p and p.replace("-", "").replace(".", "").replace("_", "").isalnum() for p in parts)
