"""``batch.jsonl``: the record of finished tasks, one JSON object per line, in the output folder.

Only the driver (the ``producer batch`` process) writes it — workers return their results to
the driver — so there is one writer per folder, which :class:`Journal` makes sure of with an
``flock`` on ``.batch.lock`` (dropped by the kernel when the holder dies: a ``kill -9`` leaves
no stale lock). Each record is one ``write`` of a whole line to a file opened ``O_APPEND``,
then ``fsync``: a record is on disk before the task counts as done, and a later run skips it.

A killed writer can leave a torn last line. Reading skips a line that is not JSON, and opening
for writing first cuts the file back to its last complete line, so the next record never glues
onto the torn one. Old records are never rewritten: a task done twice has two lines and the
last one counts. Failures are recorded too: a rerun skips a task whose last record is ``done``
(outputs still there) or a failure that was the input's own fault (``final``).
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from producer.errors import LockedError
from producer.fileio import fsync_dir

NAME = "batch.jsonl"
LOCK_NAME = ".batch.lock"


@dataclass(frozen=True)
class Entry:
    """One record: ``key`` of the task, its ``status`` and the rest of the line as written."""

    key: str
    status: str
    data: dict[str, Any]


def read(folder: Path) -> dict[str, Entry]:
    """The last record of each task key in ``folder/batch.jsonl`` (empty when there is none).

    Lines that are not complete JSON objects (a torn last line) are skipped.
    """
    path = folder / NAME
    entries: dict[str, Entry] = {}
    try:
        text = path.read_bytes().decode("utf-8", "replace")
    except FileNotFoundError:
        return entries
    for line in text.splitlines():
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict) and isinstance(data.get("key"), str):
            entries[data["key"]] = Entry(data["key"], str(data.get("status", "")), data)
    return entries


def _cut_torn_tail(path: Path) -> None:
    """Truncate ``path`` after its last newline (a record cut short by a kill)."""
    with open(path, "rb+") as f:
        size = f.seek(0, os.SEEK_END)
        if size == 0:
            return
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return
        # Walk back to the last newline; records are short, read from the end in chunks.
        end = size
        while end > 0:
            start = max(0, end - 65536)
            f.seek(start)
            chunk = f.read(end - start)
            i = chunk.rfind(b"\n")
            if i >= 0:
                f.truncate(start + i + 1)
                break
            end = start
        else:
            f.truncate(0)
        f.flush()
        os.fsync(f.fileno())


class Journal:
    """The open journal of one output folder: the lock held, records appended durably."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / NAME
        folder.mkdir(parents=True, exist_ok=True)
        self._lock_fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self._lock_fd, 64, 0).decode("ascii", "replace").strip()
            os.close(self._lock_fd)
            who = f"process {holder}" if holder else "another process"
            raise LockedError(
                f"{folder}: {who} is running a batch into this folder; "
                "wait for it to finish (or name another -o folder)"
            ) from None
        os.ftruncate(self._lock_fd, 0)
        os.pwrite(self._lock_fd, f"{os.getpid()}\n".encode("ascii"), 0)
        existed = self.path.exists()
        if existed:
            _cut_torn_tail(self.path)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        if not existed:
            fsync_dir(folder)
        self.entries = read(folder)

    def last(self, key: str) -> Entry | None:
        """The last record of task ``key``, if there is one."""
        return self.entries.get(key)

    def append(self, record: dict[str, Any]) -> None:
        """Write ``record`` (with its ``key`` and ``status``) as one line and fsync it."""
        line = json.dumps(record, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        data = (line + "\n").encode("utf-8")
        written = os.write(self._fd, data)
        if written != len(data):  # a full disk: say so rather than leave half a record
            raise OSError(f"{self.path}: short write ({written} of {len(data)} bytes)")
        os.fsync(self._fd)
        key = str(record["key"])
        self.entries[key] = Entry(key, str(record.get("status", "")), record)

    def close(self) -> None:
        os.close(self._fd)
        os.ftruncate(self._lock_fd, 0)
        fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        os.close(self._lock_fd)

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["LOCK_NAME", "NAME", "Entry", "Journal", "read"]
