"""The studio's per-project secret and database choice, kept outside the documents.

``.producer/studio.secret``: 32 random bytes (hex), created on first use with mode 0600; the
key under which session and share-link tokens are stored (as HMACs) and CSRF is checked.
``.producer/studio.db-url``: the database ``producer serve --db URL`` last used (mode 0600, it
may hold a password), so ``producer user add`` or ``producer master`` read the same
conversation the server does. Neither file is a project document: not in history, snapshots
or diffs.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from producer.errors import FormatError
from producer.storage.studio.db import default_url

SECRET_FILE = ".producer/studio.secret"
DB_URL_FILE = ".producer/studio.db-url"


def _write_private(path: Path, text: str) -> None:
    """Create ``path`` with mode 0600 from the start (never world-readable, not even briefly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def load_secret(root: Path) -> bytes:
    """The project's secret key (made on first use); its mode is kept at 0600."""
    path = Path(root) / SECRET_FILE
    if not path.exists():
        _write_private(path, secrets.token_hex(32) + "\n")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        os.chmod(path, 0o600)  # someone loosened it: tighten, the key is still ours
    text = path.read_text(encoding="utf-8").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 32:
        raise FormatError(f"{path}: not a studio secret (64 hex digits); delete it to make one")
    return key


def studio_db_url(root: Path, explicit: str | None = None, remember: bool = False) -> str:
    """The studio database of ``root``: ``explicit`` (``--db``), else ``$PRODUCER_STUDIO_DB``,
    else the one ``producer serve --db`` remembered, else SQLite in ``.producer/studio.db``.

    With ``remember`` an explicit URL is kept for the next commands.
    """
    path = Path(root) / DB_URL_FILE
    if explicit:
        if remember:
            _write_private(path, explicit + "\n")
        return explicit
    env = os.environ.get("PRODUCER_STUDIO_DB")
    if env:
        return env
    if path.is_file():
        text = path.read_text(encoding="utf-8").strip()
        if text:
            return text
    return default_url(root)


__all__ = ["DB_URL_FILE", "SECRET_FILE", "load_secret", "studio_db_url"]
