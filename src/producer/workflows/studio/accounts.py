"""Accounts, logins, sessions and share links of the review studio.

Passwords are argon2id hashes (argon2-cffi's defaults, rehashed when those change). A login
gives a random token: a cookie for the browser (with a CSRF secret for its forms and calls)
or a bearer token for scripts; the database keeps only the token's HMAC under the project
secret. Five failed logins for one account within a minute lock it for a minute (429), with
the right password too, so guessing costs a minute per five tries.
"""

from __future__ import annotations

import contextlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from producer.errors import (
    AuthenticationError,
    RateLimitedError,
    ValidationError,
)
from producer.model.studio import ROLES, Principal, ShareLink, User
from producer.workflows.studio.core import Studio, authorize

FAILED_LOGINS = 5
"""Failed logins for one account within ``FAILED_WINDOW_S`` that lock it..."""
FAILED_WINDOW_S = 60.0
LOCK_S = 60.0
"""...for this long after the last of them."""
COOKIE_SESSION_S = 14 * 86400.0
TOKEN_SESSION_S = 30 * 86400.0
SHARE_SESSION_S = 7 * 86400.0
MIN_PASSWORD = 8
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+")

_hasher = PasswordHasher()


@dataclass(frozen=True)
class Session:
    """A new session: ``token`` goes to the client once (cookie or bearer); ``csrf`` guards
    the browser's state-changing calls."""

    token: str
    csrf: str
    principal: Principal
    expires_at: float


def _email(email: str) -> str:
    e = email.strip().lower()
    if not EMAIL_RE.fullmatch(e):
        raise ValidationError(f"email {email!r}: not an e-mail address")
    return e


def _role(role: str, choices: tuple[str, ...] = ROLES) -> str:
    if role not in choices:
        raise ValidationError(f"role {role!r}: use one of {', '.join(choices)}")
    return role


# ---------------------------------------------------------------- accounts


def add_user(studio: Studio, email: str, name: str, role: str, password: str) -> User:
    """Add an account (``producer user add``)."""
    e = _email(email)
    _role(role)
    if not name.strip():
        raise ValidationError("--name: is empty")
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"password: use at least {MIN_PASSWORD} characters")
    user = studio.store.add_user(e, name.strip(), role, _hasher.hash(password))
    studio.store.log("producer", f"invited {name.strip()} as {role}")
    return user


def list_users(studio: Studio) -> list[User]:
    return studio.store.users()


def remove_user(studio: Studio, email: str) -> None:
    """Disable the account and end its sessions; what it wrote stays in the conversation."""
    e = _email(email)
    studio.store.remove_user(e)
    studio.forget_sessions()
    studio.store.log("producer", f"removed the account {e}")


# ---------------------------------------------------------------- logins and sessions


def _new_session(
    studio: Studio,
    name: str,
    role: str,
    lifetime_s: float,
    user_id: int | None = None,
    share_id: int | None = None,
) -> tuple[str, str, float]:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    expires = time.time() + lifetime_s
    studio.store.add_session(studio.sign(token), csrf, name, role, expires, user_id, share_id)
    return token, csrf, expires


def login(studio: Studio, email: str, password: str, for_script: bool = False) -> Session:
    """Check the password; a new session (cookie) or token (``for_script``).

    AuthenticationError for a wrong e-mail or password (one message for both: no probing
    which accounts exist), RateLimitedError after five failures within a minute.
    """
    e = email.strip().lower()
    now = time.time()
    failures = studio.store.login_failures_since(e, now - FAILED_WINDOW_S - LOCK_S)
    recent = [t for t in failures if t >= failures[-1] - FAILED_WINDOW_S] if failures else []
    if len(recent) >= FAILED_LOGINS and now - recent[-1] < LOCK_S:
        wait = LOCK_S - (now - recent[-1])
        raise RateLimitedError(
            f"too many failed logins for {e}; try again in {wait:.0f} s", retry_after_s=wait
        )
    found = studio.store.user_with_hash(e)
    ok = False
    if found is not None:
        user, stored = found
        try:
            ok = _hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
    else:
        # Spend the same time as a real check, so the answer's timing tells nothing.
        with contextlib.suppress(VerifyMismatchError, VerificationError, InvalidHashError):
            _hasher.verify(_DUMMY_HASH, password)
    if not ok or found is None:
        studio.store.record_login_failure(e, now)
        raise AuthenticationError("wrong e-mail or password")
    user, stored = found
    if _hasher.check_needs_rehash(stored):
        studio.store.set_password_hash(user.id, _hasher.hash(password))
    studio.store.clear_login_failures(e)
    lifetime = TOKEN_SESSION_S if for_script else COOKIE_SESSION_S
    token, csrf, expires = _new_session(studio, user.name, user.role, lifetime, user_id=user.id)
    principal = Principal(user.id, user.name, user.role, user.email)
    studio.store.log(user.name, "logged in" + (" (token)" if for_script else ""))
    return Session(token, csrf, principal, expires)


_DUMMY_HASH = _hasher.hash("not a password anyone has")


def session_principal(studio: Studio, token: str | None) -> tuple[Principal, str] | None:
    """(principal, csrf) of a cookie or bearer ``token``; None when it is unknown or expired."""
    if not token or len(token) > 200:
        return None
    return studio.session(token)


def check_csrf(expected: str, given: str | None) -> bool:
    """Whether the browser sent its session's CSRF secret (constant-time comparison)."""
    return bool(given) and hmac.compare_digest(expected, given or "")


def logout(studio: Studio, token: str) -> None:
    studio.store.delete_session(studio.sign(token))
    studio.forget_sessions()


# ---------------------------------------------------------------- share links

_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_UNIT_S = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 7 * 86400.0}


def parse_duration(text: str) -> float:
    """``"7d"`` → seconds (s, m, h, d, w); ValidationError naming ``--expires``."""
    m = _DURATION_RE.fullmatch(text.strip().lower())
    if not m or float(m.group(1)) <= 0:
        raise ValidationError(f"--expires {text!r}: write a duration like 30m, 12h, 7d or 2w")
    return float(m.group(1)) * _UNIT_S[m.group(2)]


@dataclass(frozen=True)
class NewShare:
    link: ShareLink
    token: str

    def url(self, base: str) -> str:
        return f"{base.rstrip('/')}/s/{self.token}"


def create_share(
    studio: Studio,
    principal: Principal,
    song: str,
    role: str,
    expires: str,
    allow_download: bool = True,
) -> NewShare:
    """A share link to ``song`` for a guest or the artist (``producer share``)."""
    authorize(principal, "admin", song)
    studio.project().song(song)  # NotFoundError naming the songs
    _role(role, ("guest", "artist"))
    lifetime = parse_duration(expires)
    token = secrets.token_urlsafe(24)
    link = studio.store.add_share(
        studio.sign(token), song, role, time.time() + lifetime, allow_download, principal.label
    )
    studio.store.log(principal.name, f"shared with a {role} (link {link.id})", song)
    return NewShare(link, token)


def list_shares(studio: Studio) -> list[ShareLink]:
    return studio.store.shares()


def revoke_share(studio: Studio, principal: Principal, share_id: int) -> ShareLink:
    authorize(principal, "admin")
    link = studio.store.revoke_share(share_id)
    studio.forget_sessions()
    studio.store.log(principal.name, f"revoked share link {share_id}", link.song)
    return link


def visit_share(studio: Studio, token: str, name: str = "") -> Session:
    """A share-link visitor's session (limited to the link's song and role).

    AuthenticationError when the link is unknown, revoked or expired.
    """
    link = studio.store.share_by_hash(studio.sign(token)) if 0 < len(token) <= 200 else None
    if link is None:
        raise AuthenticationError("this share link is not valid")
    if link.revoked:
        raise AuthenticationError("this share link was revoked")
    now = time.time()
    if link.expires_at <= now:
        raise AuthenticationError("this share link has expired")
    who = name.strip()[:80] or ("Artist" if link.role == "artist" else "Guest")
    lifetime = min(SHARE_SESSION_S, link.expires_at - now)
    token_, csrf, expires = _new_session(studio, who, link.role, lifetime, share_id=link.id)
    principal = Principal(
        None, who, link.role, share_id=link.id, song=link.song, can_download=link.allow_download
    )
    studio.store.log(f"{who} (link {link.id})", "opened the share link", link.song)
    return Session(token_, csrf, principal, expires)


__all__ = [
    "FAILED_LOGINS",
    "LOCK_S",
    "NewShare",
    "Session",
    "add_user",
    "check_csrf",
    "create_share",
    "list_shares",
    "list_users",
    "login",
    "logout",
    "parse_duration",
    "remove_user",
    "revoke_share",
    "session_principal",
    "visit_share",
]
