"""Progress bars for long passes over the ledger: drawn by rich on stderr, and only for
a person at a terminal. Piped, redirected or asked for ``--json``, a command writes no bar
at all, so what it prints is the same whoever reads it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# (the catch-up's statistics so far, the ledger position it runs to)
ProgressCallback = Callable[[Any, int], None]


class _EventsBar:
    """A bar over ledger positions, started by the first report so a command that fails
    before it reads an event (no store, say) prints its one error line and nothing else."""

    def __init__(self, description: str) -> None:
        self._description = description
        self._progress: Any = None
        self._task: Any = None

    def __call__(self, stats: Any, head: int) -> None:
        if self._progress is None:
            self._start(head)
        self._progress.update(self._task, total=head, completed=stats.position, rate=stats.rate)

    def _start(self, head: int) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("events  {task.fields[rate]:,.0f} events/s"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self._task = self._progress.add_task(self._description, total=head, rate=0.0)
        self._progress.start()

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()


@contextmanager
def events_progress(
    args: argparse.Namespace, description: str
) -> Iterator[ProgressCallback | None]:
    """The ``progress`` callback for a catch-up or rebuild: a bar, or ``None`` for none."""
    if getattr(args, "json", False) or not sys.stderr.isatty():
        yield None
        return
    bar = _EventsBar(description)
    try:
        yield bar
    finally:
        bar.stop()
