"""The studio of one project: its database, its secret, its settings — and who may do what.

``open_studio(root)`` is what every studio use case starts from (the CLI per command, the web
app once at start). :func:`authorize` is the single gate: every page, API call and command
asks it before acting, with the action names of ``producer.model.studio``.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from producer.errors import AuthenticationError, PermissionDeniedError
from producer.model.studio import Principal, allowed
from producer.storage import Project
from producer.storage.studio import StudioStore, load_secret, studio_db_url

DEFAULT_MAX_UPLOAD_MB = 1024
SESSION_CACHE_S = 2.0
"""How long a server remembers who holds a token before asking the database again. A logout,
removal or revocation made by this process takes effect at once; one made by another process
(``producer share --revoke`` while the server runs) within this many seconds."""


@dataclass
class Studio:
    """An open studio: the project folder, the conversation's store and the secret key."""

    root: Path
    store: StudioStore
    secret: bytes
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_MB * 1024 * 1024
    _project: Project | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _keys: dict[int, tuple[str, int, str, float]] = field(default_factory=dict, repr=False)
    _sessions: OrderedDict[str, tuple[float, tuple[Principal, str] | None]] = field(
        default_factory=OrderedDict, repr=False
    )

    def version_key(self, version_id: int) -> tuple[str, int, str, float]:
        """(song, number, render_id, duration_s) of a version, cached: they never change."""
        key = self._keys.get(version_id)
        if key is None:
            key = self._keys[version_id] = self.store.version_key(version_id)
        return key

    def session(self, token: str) -> tuple[Principal, str] | None:
        """(principal, csrf) of a session token, asked of the database at most every
        ``SESSION_CACHE_S`` seconds per token."""
        digest = self.sign(token)
        now = time.monotonic()
        with self._lock:
            hit = self._sessions.get(digest)
            if hit is not None and now - hit[0] < SESSION_CACHE_S:
                return hit[1]
        found = self.store.principal(digest, time.time())
        with self._lock:
            self._sessions[digest] = (now, found)
            self._sessions.move_to_end(digest)
            while len(self._sessions) > 4096:
                self._sessions.popitem(last=False)
        return found

    def forget_sessions(self) -> None:
        """After a logout, a removed account or a revoked link: ask the database again."""
        with self._lock:
            self._sessions.clear()

    def project(self) -> Project:
        """The project's documents, re-read only when a file changed since the last read."""
        with self._lock:
            if self._project is None:
                self._project = Project.open(self.root)
            else:
                self._project.reload_if_changed()
            return self._project

    def sign(self, token: str) -> str:
        """What the database keeps of a token: its HMAC-SHA256 under the project secret."""
        return hmac.new(self.secret, token.encode("utf-8"), hashlib.sha256).hexdigest()

    def close(self) -> None:
        self.store.close()


def open_studio(
    root: Path,
    db: str | None = None,
    remember: bool = False,
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB,
) -> Studio:
    """Open the studio of the project at ``root`` (its database migrated, see
    ``producer.storage.studio``). ``db`` is a URL (``--db``); ``remember`` keeps it."""
    root = Path(root)
    Project.open(root)  # a project, readable: NotFoundError/ValidationError name the problem
    url = studio_db_url(root, db, remember)
    store = StudioStore.open(url)
    return Studio(root, store, load_secret(root), int(max_upload_mb * 1024 * 1024))


def command_line_principal() -> Principal:
    """Whoever runs ``producer`` on the project folder acts as its producer."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "someone"
    return Principal(None, f"{who} (command line)", "producer", email=f"{who}@command-line")


def authorize(principal: Principal | None, action: str, song: str | None = None) -> Principal:
    """The one permission check: raises AuthenticationError (nobody) or PermissionDeniedError
    (a role without the right, a share link of another song); returns the principal."""
    if principal is None:
        raise AuthenticationError("log in first (or use a share link)")
    if not allowed(principal.role, action):
        raise PermissionDeniedError(f"a {principal.role} may not {action}")
    if principal.song is not None and song is not None and song != principal.song:
        raise PermissionDeniedError("this share link opens another song")
    if action == "download" and not principal.can_download:
        raise PermissionDeniedError("this share link does not allow downloads")
    return principal


__all__ = [
    "DEFAULT_MAX_UPLOAD_MB",
    "Studio",
    "authorize",
    "command_line_principal",
    "open_studio",
]
