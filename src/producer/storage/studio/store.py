"""``StudioStore``: every read and write of the studio database, as model records in and out.

The only SQL of producer: this module assembles the queries of each concern (``accounts``,
``review``, ``uploads``) over ``transactions``. Each method is one unit of work (one
transaction); the records it returns are frozen ``producer.model.studio`` dataclasses
(``records``), so nothing above storage ever holds a database session. Writes that must be
all-or-nothing (a new version with its carried-forward comments, an approval with its ISRC)
are single methods.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from producer.errors import ProducerError
from producer.storage.studio.accounts import AccountStore
from producer.storage.studio.db import connect, display_url
from producer.storage.studio.review import ReviewStore
from producer.storage.studio.settings import studio_db_url
from producer.storage.studio.uploads import UploadStore

T = TypeVar("T")


class StudioStore(AccountStore, ReviewStore, UploadStore):
    """The conversation of one project, in the database at ``url`` (migrated on open)."""

    @classmethod
    def open(cls, url: str) -> StudioStore:
        return cls(connect(url))

    @property
    def where(self) -> str:
        return display_url(self.engine.url.render_as_string(hide_password=False))

    def close(self) -> None:
        self.engine.dispose()


def read_studio(root: Path, read: Callable[[StudioStore], T]) -> T | None:
    """``read(store)`` on the project's studio database, for commands beside the studio
    (``gc``, the album board, credits): None when no studio was ever opened here (nothing is
    created); ProducerError naming the database when it is configured but cannot be read."""
    url = studio_db_url(root)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        return None
    try:
        store = StudioStore.open(url)
    except ProducerError as exc:
        raise ProducerError(f"the studio's database {display_url(url)}: {exc.message}") from None
    try:
        return read(store)
    except Exception as exc:  # a server that went away mid-query
        raise ProducerError(f"the studio's database {display_url(url)}: {exc}") from None
    finally:
        store.close()


__all__ = ["StudioStore", "read_studio"]
