"""File names from titles: one safe, distinct stem per entry of a batch.

A title may hold anything (slashes, control characters, a Windows device name, hundreds of
characters): it becomes a stem every common file system takes. Two entries whose stems collide
(case-insensitively, as on macOS and Windows) get ` (2)`, ` (3)`... in the batch's order, so the
same batch written again gives the same names.
"""

from __future__ import annotations

import re
import unicodedata

MAX_STEM = 120
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
_SPACES = re.compile(r"\s+")
_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def safe_stem(title: str, fallback: str) -> str:
    """A file name stem from a title (the fallback, made safe too, when nothing of the title is left)."""
    for text in (title, fallback, "entry"):
        stem = _UNSAFE.sub("_", unicodedata.normalize("NFKC", text or ""))
        stem = _SPACES.sub(" ", stem).strip(" ._")
        stem = stem[:MAX_STEM].rstrip(" .")
        if stem:
            return f"_{stem}" if stem.split(".")[0].upper() in _DEVICES else stem
    return "entry"


def distinct_stems(titles: list[tuple[str, str]]) -> list[str]:
    """One stem per (title, fallback), in order, none equal to another ignoring case."""
    taken: set[str] = set()
    stems = []
    for title, fallback in titles:
        base = safe_stem(title, fallback)
        stem, n = base, 1
        while stem.casefold() in taken:
            n += 1
            suffix = f" ({n})"
            stem = base[: MAX_STEM - len(suffix)].rstrip(" .") + suffix
        taken.add(stem.casefold())
        stems.append(stem)
    return stems
