"""Progress of long commands on a terminal (rich), silence everywhere else.

Every command runs inside :func:`shown` (``ProducerGroup.invoke`` puts it there): it installs
the callback of ``producer.workflows.progress.report``. The first report starts a rich line
on stderr — a spinner, the command, the current stage, a bar when the amount of work is known,
the elapsed time — which disappears when the command ends; a command that reports nothing
(most take a fraction of a second) shows nothing. When stderr is not a terminal (pipes,
CliRunner, CI, ``2>log``) nothing is shown at all, so scripted output stays clean.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from producer.workflows.progress import reporting


def on_terminal() -> bool:
    """Whether progress is shown: stderr is an interactive terminal."""
    stream = sys.stderr
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class _LazyBar:
    """A rich progress line that starts on the first report (thread-safe)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Progress | None = None
        self.task: TaskID | None = None
        self.lock = threading.Lock()

    def update(self, stage: str, done: float, total: float | None) -> None:
        with self.lock:
            if self.bar is None:
                # The command that is running ("master", "midi import"), known by now.
                ctx = click.get_current_context(silent=True)
                if ctx is not None and ctx.parent is not None:
                    self.label = ctx.command_path.split(" ", 1)[-1]
                self.bar = Progress(
                    SpinnerColumn(),
                    TextColumn("[bold]{task.fields[label]}[/bold] {task.description}"),
                    BarColumn(bar_width=24),
                    TaskProgressColumn(),
                    TimeElapsedColumn(),
                    console=Console(stderr=True),
                    transient=True,
                )
                self.bar.start()
                self.task = self.bar.add_task(stage, total=total, label=self.label)
            assert self.task is not None
            new_stage = self.bar.tasks[0].description != stage
            self.bar.update(self.task, description=stage, completed=done, total=total)
            if new_stage:  # every stage is drawn, even one shorter than the refresh period
                self.bar.refresh()

    def stop(self) -> None:
        with self.lock:
            if self.bar is not None:
                self.bar.stop()
                self.bar = None


@contextmanager
def shown(label: str) -> Iterator[None]:
    """Show the progress the work inside the block reports, as ``label <stage>``."""
    if not on_terminal():
        yield
        return
    line = _LazyBar(label)
    try:
        with reporting(line.update):
            yield
    finally:
        line.stop()


__all__ = ["on_terminal", "shown"]
