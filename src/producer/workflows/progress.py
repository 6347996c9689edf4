"""How long work reports progress: a small callback the shell installs, no UI in here.

A workflow calls :func:`report` with what it is doing (``"mixing song-2"``) and, when it
knows, how far it is (``done`` of ``total``, in any unit: frames, songs, parts). The shell
decides what to show: the CLI installs a rich progress bar when stderr is a terminal and
nothing otherwise (``producer.cli.progress``); tests and scripts get silence.

The callback travels in a ``ContextVar`` rather than as a parameter because long work sits
deep inside use cases that call each other (``master`` renders the mix; every arrangement edit
re-renders MIDI parts): threading a ``progress`` argument through all of them would be noise
in every signature for something only the outermost shell cares about. Worker threads do not
inherit it; :func:`report` is called from the thread that runs the use case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Report = Callable[[str, float, float | None], None]
"""``report(stage, done, total)``; ``total`` None when the amount of work is unknown."""


def _quiet(stage: str, done: float, total: float | None) -> None:
    return None


_current: ContextVar[Report] = ContextVar("producer_progress", default=_quiet)


def report(stage: str, done: float = 0.0, total: float | None = None) -> None:
    """Say what is being done now, and how far (``done`` of ``total``) when known."""
    _current.get()(stage, done, total)


@contextmanager
def reporting(callback: Report) -> Iterator[None]:
    """Send every :func:`report` made inside the block to ``callback``."""
    token = _current.set(callback)
    try:
        yield
    finally:
        _current.reset(token)


def current() -> Report:
    """The callback in effect here: hand it to worker threads, which do not inherit it."""
    return _current.get()


def frames(stage: str) -> Callable[[int, int], None]:
    """An engine ``progress(frames_done, frames_expected)`` that reports as ``stage``."""
    callback = _current.get()

    def engine_progress(done: int, expected: int) -> None:
        callback(stage, float(done), float(max(expected, 1)))

    return engine_progress


__all__ = ["Report", "current", "frames", "report", "reporting"]
