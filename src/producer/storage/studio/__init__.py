"""The studio database: the conversation (accounts, share links, versions, comments,
approvals, ISRC ledger, uploads, activity) in SQLite or PostgreSQL.

``StudioStore.open(url)`` connects and migrates (Alembic revisions in ``migrations/``; a
database written by a newer producer is refused); its methods take and return the frozen
records of ``producer.model.studio``. The only SQL of producer lives in this package.
"""

from producer.storage.studio.db import default_url, display_url, head_revision
from producer.storage.studio.settings import load_secret, studio_db_url
from producer.storage.studio.store import StudioStore, read_studio

__all__ = [
    "StudioStore",
    "default_url",
    "display_url",
    "head_revision",
    "load_secret",
    "read_studio",
    "studio_db_url",
]
