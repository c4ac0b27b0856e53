"""A job's progress on stderr (rich), for the local and the API path alike."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

Update = Callable[[str, float], None]


@contextmanager
def progress_bar(first: str = "PENDING") -> Iterator[Update]:
    """update(description, percent) moves the bar."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    columns = (TextColumn("{task.description:<13}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(first, total=100)

        def update(description: str, percent: float) -> None:
            bar.update(task, description=description, completed=percent)

        yield update


def output_paths(output: str | None, stem: str, formats: list[str]) -> dict[str, Path]:
    """Where each format goes: --output itself for one format, its stem with each format's suffix for
    several; ./<stem>.<format> without --output."""
    if output is None:
        return {fmt: Path.cwd() / f"{stem}.{fmt}" for fmt in formats}
    path = Path(output)
    if len(formats) == 1:
        return {formats[0]: path}
    return {fmt: path.with_suffix(f".{fmt}") for fmt in formats}
