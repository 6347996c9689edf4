"""The accounts' queries: users, login sessions, login failures and share links."""

from __future__ import annotations

import time

from sqlalchemy import delete, select, update

from producer.errors import ConflictError, NotFoundError
from producer.model.studio import Principal, ShareLink, User
from producer.storage.studio.records import as_share, as_user
from producer.storage.studio.tables import LoginFailureRow, SessionRow, ShareRow, UserRow
from producer.storage.studio.transactions import TransactionalStore


class AccountStore(TransactionalStore):
    """Users, sessions (by the HMAC of their token), login failures, share links."""

    # ------------------------------------------------------------ accounts

    def add_user(self, email: str, name: str, role: str, password_hash: str) -> User:
        """Add an account (or bring back a removed one with this e-mail)."""
        with self._write() as s:
            row = s.scalars(select(UserRow).where(UserRow.email == email)).first()
            if row is not None and not row.removed:
                raise ConflictError(f"user {email!r} exists already")
            if row is None:
                row = UserRow(email=email, created_at=time.time())
                s.add(row)
            row.name, row.role, row.password_hash, row.removed = name, role, password_hash, False
            s.flush()
            return as_user(row)

    def users(self) -> list[User]:
        with self._read() as s:
            rows = s.scalars(select(UserRow).where(UserRow.removed.is_(False)).order_by(UserRow.id))
            return [as_user(r) for r in rows]

    def user_with_hash(self, email: str) -> tuple[User, str] | None:
        with self._read() as s:
            row = s.scalars(
                select(UserRow).where(UserRow.email == email, UserRow.removed.is_(False))
            ).first()
            return (as_user(row), row.password_hash) if row else None

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        with self._write() as s:
            s.execute(
                update(UserRow).where(UserRow.id == user_id).values(password_hash=password_hash)
            )

    def remove_user(self, email: str) -> None:
        """Disable the account and end its sessions; its comments and approvals stay."""
        with self._write() as s:
            row = s.scalars(
                select(UserRow).where(UserRow.email == email, UserRow.removed.is_(False))
            ).first()
            if row is None:
                raise NotFoundError(f"no user {email!r}")
            row.removed = True
            s.execute(delete(SessionRow).where(SessionRow.user_id == row.id))

    # ------------------------------------------------------------ sessions and login failures

    def add_session(
        self,
        token_hash: str,
        csrf: str,
        name: str,
        role: str,
        expires_at: float,
        user_id: int | None = None,
        share_id: int | None = None,
    ) -> None:
        with self._write() as s:
            s.add(
                SessionRow(
                    token_hash=token_hash,
                    user_id=user_id,
                    share_id=share_id,
                    name=name,
                    role=role,
                    csrf=csrf,
                    created_at=time.time(),
                    expires_at=expires_at,
                )
            )

    def principal(self, token_hash: str, now: float) -> tuple[Principal, str] | None:
        """Who holds the session ``token_hash`` (and its CSRF secret), or None when it is
        unknown, expired, its account removed, or its share link revoked or expired.

        One query (every API call asks it): the session joined to its account or link."""
        q = (
            select(
                SessionRow.expires_at,
                SessionRow.csrf,
                SessionRow.name,
                UserRow.id,
                UserRow.name,
                UserRow.role,
                UserRow.email,
                UserRow.removed,
                ShareRow.id,
                ShareRow.role,
                ShareRow.song,
                ShareRow.allow_download,
                ShareRow.revoked,
                ShareRow.expires_at,
            )
            .outerjoin(UserRow, UserRow.id == SessionRow.user_id)
            .outerjoin(ShareRow, ShareRow.id == SessionRow.share_id)
            .where(SessionRow.token_hash == token_hash)
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        if row is None or row[0] <= now:
            return None
        (_, csrf, visitor, uid, uname, urole, email, removed, sid, srole, song, dl, rev, sexp) = row
        if uid is not None:
            return None if removed else (Principal(uid, uname, urole, email), csrf)
        if sid is not None and not rev and sexp > now:
            return Principal(None, visitor, srole, share_id=sid, song=song, can_download=dl), csrf
        return None

    def delete_session(self, token_hash: str) -> None:
        with self._write() as s:
            s.execute(delete(SessionRow).where(SessionRow.token_hash == token_hash))

    def record_login_failure(self, email: str, at: float) -> None:
        with self._write() as s:
            s.add(LoginFailureRow(email=email, at=at))
            # Keep the table small: failures older than an hour count for nothing.
            s.execute(delete(LoginFailureRow).where(LoginFailureRow.at < at - 3600))

    def login_failures_since(self, email: str, since: float) -> list[float]:
        with self._read() as s:
            rows = s.scalars(
                select(LoginFailureRow.at)
                .where(LoginFailureRow.email == email, LoginFailureRow.at >= since)
                .order_by(LoginFailureRow.at)
            )
            return list(rows)

    def clear_login_failures(self, email: str) -> None:
        with self._write() as s:
            s.execute(delete(LoginFailureRow).where(LoginFailureRow.email == email))

    # ------------------------------------------------------------ share links

    def add_share(
        self,
        token_hash: str,
        song: str,
        role: str,
        expires_at: float,
        allow_download: bool,
        created_by: str,
    ) -> ShareLink:
        with self._write() as s:
            row = ShareRow(
                token_hash=token_hash,
                song=song,
                role=role,
                created_at=time.time(),
                expires_at=expires_at,
                allow_download=allow_download,
                revoked=False,
                created_by=created_by,
            )
            s.add(row)
            s.flush()
            return as_share(row)

    def share_by_hash(self, token_hash: str) -> ShareLink | None:
        with self._read() as s:
            row = s.scalars(select(ShareRow).where(ShareRow.token_hash == token_hash)).first()
            return as_share(row) if row else None

    def shares(self) -> list[ShareLink]:
        with self._read() as s:
            return [as_share(r) for r in s.scalars(select(ShareRow).order_by(ShareRow.id))]

    def revoke_share(self, share_id: int) -> ShareLink:
        with self._write() as s:
            row = s.get(ShareRow, share_id)
            if row is None:
                raise NotFoundError(f"no share link {share_id}")
            row.revoked = True
            s.execute(delete(SessionRow).where(SessionRow.share_id == share_id))
            return as_share(row)


__all__ = ["AccountStore"]
