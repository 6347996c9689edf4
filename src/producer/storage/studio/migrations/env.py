"""Alembic environment of the studio database: run by ``producer.storage.studio.db.migrate``
with an open connection in ``config.attributes["connection"]`` (never from an .ini file)."""

from __future__ import annotations

from alembic import context

from producer.storage.studio.tables import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things: later revisions rebuild tables in batch mode.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
