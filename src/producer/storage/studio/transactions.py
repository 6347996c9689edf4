"""One transaction per store method: the read and write sessions, the writers' queue, retries.

Every method of ``StudioStore`` is one unit of work: ``_read`` opens a session in a
transaction, ``_write`` one on the write engine (SQLite: ``BEGIN IMMEDIATE``, see ``db``)
behind this process's writers' lock; ``_retry`` runs a write again when a concurrent writer
took the same unique value first (a version number, an ISRC).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from producer.errors import ConflictError
from producer.storage.studio.db import WRITE

T = TypeVar("T")


class TransactionalStore:
    """The engine and the transactions every part of the store runs its queries in."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._write_engine = engine.execution_options(**{WRITE: True})
        # SQLite has one writer at a time; writers of this process queue on a lock rather
        # than on SQLite's busy handler, whose back-off sleeps (up to 100 ms) would be the
        # latency under load. Other processes still wait on the busy timeout.
        self._writers = threading.Lock() if engine.dialect.name == "sqlite" else None

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as s, s.begin():
            yield s

    @contextmanager
    def _write(self) -> Iterator[Session]:
        with (
            self._writers or nullcontext(),
            Session(self._write_engine, expire_on_commit=False) as s,
            s.begin(),
        ):
            yield s

    def _retry(self, fn: Callable[[], T], what: str, attempts: int = 5) -> T:
        """Run a write again when a concurrent writer took the same unique value first."""
        for i in range(attempts):
            try:
                return fn()
            except IntegrityError:
                if i + 1 == attempts:
                    raise ConflictError(f"{what}: conflicts with a concurrent change") from None
                time.sleep(0.01 * (i + 1))
        raise AssertionError("unreachable")  # pragma: no cover


__all__ = ["TransactionalStore"]
