"""Files that appear only when complete: the one atomic-output rule of producer. Stdlib only.

Every writer (project documents, imported media, renders, masters, MIDI exports) writes to a
temporary name in the target's folder and renames it over the target when the write
succeeded, so an interrupted run never leaves a file that looks finished under the final
name (POSIX rename(2) is atomic within one file system). ``durable=True`` also fsyncs the
file before the rename and the folder after it, so the new name survives a power loss.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def fsync_dir(folder: Path) -> None:
    """Make a rename or unlink in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temporary_name(path: Path) -> Path:
    """A hidden name beside ``path``, unique to this process."""
    return path.with_name(f".{path.name}.{os.getpid()}.partial")


_PARTIAL_RE = re.compile(r"\..+\.(\d+)\.partial")


def stale_partial(path: Path) -> bool:
    """Whether ``path`` is a temporary file of ``temporary_name`` whose writer is gone (a killed
    render, import or save): never committed data, safe to delete."""
    m = _PARTIAL_RE.fullmatch(path.name)
    if m is None:
        return False
    try:
        os.kill(int(m.group(1)), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):
        return False
    return False


def remove_stale_partials(path: Path) -> None:
    """Delete what killed earlier writers of ``path`` left beside it (a rerun cleans up)."""
    try:
        siblings = list(path.parent.glob(f".{glob.escape(path.name)}.*.partial"))
    except OSError:
        return
    for p in siblings:
        if stale_partial(p):
            p.unlink(missing_ok=True)


@contextmanager
def atomic_output(path: str | os.PathLike[str], *, durable: bool = True) -> Iterator[Path]:
    """Yield a temporary path to write; on a clean exit it replaces ``path``.

    On an exception the temporary file is removed and ``path`` is left as it was.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(final)
    tmp = temporary_name(final)
    try:
        yield tmp
        if durable:
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()
    if durable:
        fsync_dir(final.parent)


def names_file(out: Path) -> bool:
    """Whether an output path (``-o``) names a file: it has an extension and is not an
    existing folder (a folder called "Masters v1.2" holds outputs; "master.wav" is one)."""
    return bool(out.suffix) and not out.is_dir()


__all__ = [
    "atomic_output",
    "fsync_dir",
    "names_file",
    "remove_stale_partials",
    "stale_partial",
    "temporary_name",
]
