"""The project's write lock: ``fcntl.flock`` on ``.producer/lock``.

flock locks belong to the open file and the kernel drops them when the holder dies, so a
killed process never leaves a lock that blocks the next command (no stale-lock guessing by
pid or age). The holder writes its pid into the file only so the error can name it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from producer.errors import LockedError


class WriteLock:
    """A re-entrant (within one object) exclusive lock on ``path``; non-blocking."""

    def __init__(self, path: Path, project_name: str) -> None:
        self.path = path
        self.project_name = project_name
        self._fd: int | None = None
        self._depth = 0

    @property
    def held(self) -> bool:
        return self._depth > 0

    def acquire(self) -> None:
        if self._depth:
            self._depth += 1
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            finally:
                os.close(fd)
            if holder == str(os.getpid()):
                # flock conflicts between two open files of one process too: a bug in the
                # caller (a second Project object writing inside another's transaction).
                raise LockedError(
                    f"{self.project_name}: this process is already writing the project "
                    "(nested transaction on a second Project object)"
                ) from None
            who = f"process {holder}" if holder else "another process"
            raise LockedError(
                f"{self.project_name}: {who} is writing this project; try again when it is done"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        self._fd = fd
        self._depth = 1

    def release(self) -> None:
        if not self._depth:
            return
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            # Leave the file in place (removing it would race with a waiting locker), empty it.
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


__all__ = ["WriteLock"]
