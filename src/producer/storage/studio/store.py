"""``StudioStore``: every read and write of the studio database, as model records in and out.

The only SQL of producer: this module assembles the queries of each concern (``accounts``,
``review``, ``uploads``) over ``transactions``. Each method is one unit of work (one
transaction); the records it returns are frozen ``producer.model.studio`` dataclasses
(``records``), so nothing above storage ever holds a database session. Writes that must be
all-or-nothing (a new version with its carried-forward comments, an approval with its ISRC)
are single methods.
"""

from __future__ import annotations

from producer.storage.studio.accounts import AccountStore
from producer.storage.studio.db import connect, display_url
from producer.storage.studio.review import ReviewStore
from producer.storage.studio.uploads import UploadStore


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


__all__ = ["StudioStore"]
