"""A job's progress on stderr (rich), for the local and the API path alike."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import TaskID

Update = Callable[[str, float], None]


@contextmanager
def progress_bar() -> Iterator[Update]:
    """update(description, percent) moves the bar; it appears with the first update, so a command
    refused before any progress prints its one error line alone."""
    from contextlib import ExitStack

    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description:<13}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    bar = Progress(*columns, console=Console(stderr=True), transient=False)
    with ExitStack() as shown:
        task: list[TaskID] = []

        def update(description: str, percent: float) -> None:
            if not task:
                shown.enter_context(bar)
                task.append(bar.add_task(description, total=100))
            bar.update(task[0], description=description, completed=percent)

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
