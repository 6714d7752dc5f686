"""Progress bars for long work, silenced with ``verbose=False`` (CLI ``--quiet``)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)


class _NullTask:
    def advance(self, n: int = 1, **fields) -> None:  # noqa: D401 - trivial
        pass

    def update(self, **fields) -> None:
        pass


class _Task:
    def __init__(self, progress: Progress, task_id):
        self._p = progress
        self._id = task_id

    def advance(self, n: int = 1, **fields) -> None:
        self._p.update(self._id, advance=n, **fields)

    def update(self, **fields) -> None:
        self._p.update(self._id, **fields)


@contextlib.contextmanager
def progress_bar(
    description: str, total: int | None, verbose: bool = True, *, unit: str = "items"
) -> Iterator[_Task]:
    """Context manager yielding a task with ``advance(n)`` and ``update(**fields)``.

    The bar is drawn on stderr and only when ``verbose`` is true, so library
    output never mixes with data written to stdout. ``unit="bytes"`` shows
    sizes and a transfer rate instead of a count (downloads).
    """
    if not verbose:
        yield _NullTask()
        return
    from rich.console import Console

    if unit == "bytes":
        count = (DownloadColumn(), TransferSpeedColumn())
    else:
        count = (MofNCompleteColumn(),)
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        *count,
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(file=sys.stderr),
        transient=False,
    )
    with progress:
        tid = progress.add_task(description, total=total, status="")
        yield _Task(progress, tid)
