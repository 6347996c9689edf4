"""Open the studio database: SQLite (WAL) in the project, or a PostgreSQL server.

``connect(url)`` makes the SQLAlchemy engine and brings the schema to the newest Alembic
revision this producer knows; a database whose revision it does not know (written by a newer
producer) is refused with one line, never touched.

SQLite: WAL journal (readers never wait for the writer), ``synchronous=NORMAL`` (in WAL mode a
commit survives a killed process; only a power cut may lose the last commits), foreign keys
on, a busy timeout, and writes opened with ``BEGIN IMMEDIATE`` so two writers queue on the
busy timeout instead of failing on a lock upgrade.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from producer.errors import FormatError, NotFoundError, UserError

MIGRATIONS = Path(__file__).with_name("migrations")
WRITE = "producer_write"
"""Execution option marking a connection that will write (SQLite: BEGIN IMMEDIATE)."""


def default_url(root: Path) -> str:
    """The project's own database: ``sqlite:///<root>/.producer/studio.db``."""
    return f"sqlite:///{(Path(root) / '.producer' / 'studio.db').resolve()}"


def display_url(url: str) -> str:
    """The URL with its password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _sqlite_engine(url: str, path: str) -> Engine:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"timeout": 30.0, "check_same_thread": False},
        pool_size=8,
        max_overflow=32,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see _on_begin)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (UserError naming the URL when it cannot be used)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UserError(
            f"--db {url!r}: not a database URL (sqlite:///path or postgresql+psycopg://...)"
        ) from None
    backend = parsed.get_backend_name()
    try:
        if backend == "sqlite":
            if not parsed.database or parsed.database == ":memory:":
                raise UserError(f"--db {url!r}: give the SQLite database a file path")
            return _sqlite_engine(url, parsed.database)
        if backend == "postgresql":
            return create_engine(url, pool_size=10, max_overflow=40, pool_pre_ping=True)
    except NoSuchModuleError:
        raise UserError(f"--db {display_url(url)}: no driver for this URL") from None
    except ImportError as exc:
        raise UserError(f"--db {display_url(url)}: driver not installed ({exc})") from None
    raise UserError(f"--db {display_url(url)}: use sqlite:///path or postgresql+psycopg://...")


def _config(connection: Any) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest schema revision this producer writes."""
    head = ScriptDirectory.from_config(_config(None)).get_current_head()
    assert head is not None
    return head


def migrate(engine: Engine) -> str:
    """Bring the schema to the newest revision; refuse a database of an unknown (newer) one.

    Returns the revision the database is at afterwards.
    """
    where = display_url(engine.url.render_as_string(hide_password=False))
    script = ScriptDirectory.from_config(_config(None))
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise NotFoundError(f"studio database {where}: cannot connect ({reason})") from None
    if current is not None:
        try:
            script.get_revision(current)
        except CommandError:
            raise FormatError(
                f"studio database {where}: schema revision {current!r} was written by a newer "
                "producer; update producer (nothing was changed)"
            ) from None
    head = script.get_current_head()
    if current != head:
        with engine.execution_options(**{WRITE: True}).begin() as conn:
            command.upgrade(_config(conn), "head")
    return head or ""


def connect(url: str) -> Engine:
    """The engine for ``url`` with its schema migrated (see :func:`migrate`)."""
    engine = make_engine(url)
    migrate(engine)
    return engine


__all__ = [
    "WRITE",
    "connect",
    "default_url",
    "display_url",
    "head_revision",
    "make_engine",
    "migrate",
]
