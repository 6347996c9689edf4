"""The review studio's vocabulary: roles, what each may do, and the records of the conversation.

Pure data, stdlib only. The conversation itself (accounts, share links, versions, comments,
approvals, activity) lives in a database (``producer.storage.studio``); these are the frozen
records it hands out, and :func:`allowed` is the one table of who may do what — the web shell
and the workflows both ask it, so a role's rights are written down exactly once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ROLES = ("producer", "engineer", "artist", "label", "guest")
"""Account and share-link roles, most rights first."""

APPROVER_ROLES = ("artist", "label", "producer")
"""Roles whose approval counts (``album set --require-approval`` names some of them)."""

ACTIONS = (
    "listen",  # play versions, read comments, see the board
    "download",  # take a version's audio file home
    "comment",  # comment, reply, resolve and reopen
    "publish",  # publish a new version of a song
    "approve",  # approve a version (an approval names its render id)
    "upload",  # upload a take or a reference track
    "admin",  # manage accounts and share links from the page
)

_RIGHTS: dict[str, frozenset[str]] = {
    "producer": frozenset(ACTIONS),
    "engineer": frozenset({"listen", "download", "comment", "publish", "upload"}),
    "artist": frozenset({"listen", "download", "comment", "approve", "upload"}),
    "label": frozenset({"listen", "download", "comment", "approve"}),
    "guest": frozenset({"listen", "comment"}),
}

ISRC_PREFIX_RE = re.compile(r"[A-Z]{2}[A-Z0-9]{3}[0-9]{2}")
"""An ISRC prefix as ``album set --isrc-prefix`` stores it: country (2 letters), registrant
(3 alphanumerics) and year of reference (2 digits), without the display hyphens."""


def allowed(role: str, action: str) -> bool:
    """Whether ``role`` may do ``action`` (unknown roles and actions may do nothing)."""
    return action in _RIGHTS.get(role, frozenset())


def rights(role: str) -> tuple[str, ...]:
    """The actions ``role`` may do, in ``ACTIONS`` order (for pages that hide buttons)."""
    return tuple(a for a in ACTIONS if allowed(role, a))


def normalise_isrc_prefix(text: str) -> str:
    """``"cc-xxx-26"`` → ``"CCXXX26"`` (hyphens and spaces are display only)."""
    return text.replace("-", "").replace(" ", "").strip().upper()


@dataclass(frozen=True)
class User:
    id: int
    email: str
    name: str
    role: str
    created_at: float


@dataclass(frozen=True)
class Principal:
    """Who is asking: an account, or a visitor through a share link (limited to one song)."""

    user_id: int | None
    name: str
    role: str
    email: str = ""
    share_id: int | None = None
    song: str | None = None
    """For a share link: the only song it opens."""
    can_download: bool = True

    @property
    def label(self) -> str:
        return self.email or self.name


@dataclass(frozen=True)
class ShareLink:
    id: int
    song: str
    role: str
    created_at: float
    expires_at: float
    allow_download: bool
    revoked: bool
    created_by: str


@dataclass(frozen=True)
class Approval:
    role: str
    user: str
    user_name: str
    render_id: str
    at: float


@dataclass(frozen=True)
class Version:
    """Version ``number`` of a song: an exact render, measured by our meter."""

    id: int
    song: str
    number: int
    render_id: str
    duration_s: float
    integrated_lufs: float
    loudness_range_lu: float
    true_peak_dbtp: float
    note: str
    created_at: float
    created_by: str
    approvals: tuple[Approval, ...] = ()


@dataclass(frozen=True)
class Origin:
    """Where a carried-forward comment came from."""

    comment_id: int
    version_id: int
    version_number: int


@dataclass(frozen=True)
class Comment:
    id: int
    version_id: int
    parent_id: int | None
    start_s: float
    end_s: float | None
    body: str
    author: str
    author_name: str
    author_role: str
    created_at: float
    resolved: bool
    resolved_by: str
    resolved_at: float | None
    origin: Origin | None = None


@dataclass(frozen=True)
class Upload:
    """A take or a reference track uploaded to a song, imported into the media pool."""

    id: int
    song: str
    kind: str
    name: str
    media_path: str
    sha256: str
    duration_s: float
    integrated_lufs: float
    true_peak_dbtp: float
    created_at: float
    created_by: str
    track: str = ""


@dataclass(frozen=True)
class Activity:
    at: float
    who: str
    what: str
    song: str


__all__ = [
    "ACTIONS",
    "APPROVER_ROLES",
    "ISRC_PREFIX_RE",
    "ROLES",
    "Activity",
    "Approval",
    "Comment",
    "Origin",
    "Principal",
    "ShareLink",
    "Upload",
    "User",
    "Version",
    "allowed",
    "normalise_isrc_prefix",
    "rights",
]
