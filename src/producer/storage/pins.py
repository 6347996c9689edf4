"""Pins: files a running process has put into the project but no document refers to yet.

Importing a file or rendering a part writes the file first and the document that refers to it
a moment later (the render may take minutes, and must not hold the write lock all that time).
In between, `producer gc` would see a file nothing refers to. So the writer *pins* it: its
path goes into ``.producer/pins/<pid>.txt``, and gc keeps every path pinned by a process that
is still running. A pin ends when a committed document refers to the path (``settle``), or with
its process: a killed writer's pins are ignored (its pid is gone) and its file is an orphan
that gc may remove, which is what the pin is for.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PINS_DIR = ".producer/pins"

_mine: dict[Path, set[str]] = {}
"""This process's pins, per project folder (resolved)."""


def _file(root: Path) -> Path:
    return root / PINS_DIR / f"{os.getpid()}.txt"


def _write(root: Path, paths: set[str]) -> None:
    target = _file(root)
    if not paths:
        target.unlink(missing_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written in place: a torn pin file only pins less, and only of this live process.
    target.write_text("".join(f"{p}\n" for p in sorted(paths)), encoding="utf-8")


def pin(root: Path, rel: str) -> None:
    """Keep ``rel`` (a project-relative path) from `producer gc` while this process runs."""
    key = Path(root).resolve()
    paths = _mine.setdefault(key, set())
    if rel not in paths:
        paths.add(rel)
        with contextlib.suppress(OSError):  # a read-only project: nothing to collect there
            _write(key, paths)


def settle(root: Path, referenced: set[str]) -> None:
    """Drop this process's pins of paths a committed document now refers to."""
    key = Path(root).resolve()
    paths = _mine.get(key)
    if paths and paths & referenced:
        paths -= referenced
        with contextlib.suppress(OSError):
            _write(key, paths)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def pinned(root: Path) -> tuple[set[str], list[Path]]:
    """(paths pinned by running processes, pin files of processes that are gone)."""
    folder = Path(root) / PINS_DIR
    live: set[str] = set()
    stale: list[Path] = []
    if not folder.is_dir():
        return live, stale
    for f in folder.glob("*.txt"):
        if not f.stem.isdigit():
            continue
        if not _alive(int(f.stem)):
            stale.append(f)
            continue
        with contextlib.suppress(OSError, UnicodeDecodeError):
            live |= {line for line in f.read_text(encoding="utf-8").splitlines() if line}
    return live, stale


__all__ = ["PINS_DIR", "pin", "pinned", "settle"]
