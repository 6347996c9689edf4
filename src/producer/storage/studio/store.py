"""``StudioStore``: every read and write of the studio database, as model records in and out.

The only module that builds queries. Each method is one unit of work (one transaction); the
records it returns are frozen ``producer.model.studio`` dataclasses, so nothing above storage
ever holds a database session. Writes that must be all-or-nothing (a new version with its
carried-forward comments, an approval with its ISRC) are single methods.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import TypeVar

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from producer.errors import ConflictError, NotFoundError, UserError
from producer.model.studio import (
    Activity,
    Approval,
    Comment,
    Origin,
    Principal,
    ShareLink,
    Upload,
    User,
    Version,
)
from producer.storage.studio.db import WRITE, connect, display_url
from producer.storage.studio.tables import (
    ActivityRow,
    ApprovalRow,
    CommentRow,
    IsrcRow,
    LoginFailureRow,
    SessionRow,
    ShareRow,
    UploadRow,
    UserRow,
    VersionRow,
)

T = TypeVar("T")


def _user(r: UserRow) -> User:
    return User(r.id, r.email, r.name, r.role, r.created_at)


def _share(r: ShareRow) -> ShareLink:
    return ShareLink(
        r.id, r.song, r.role, r.created_at, r.expires_at, r.allow_download, r.revoked, r.created_by
    )


def _comment(r: CommentRow) -> Comment:
    origin = None
    if r.origin_comment_id is not None:
        origin = Origin(r.origin_comment_id, r.origin_version_id or 0, r.origin_version_number or 0)
    return Comment(
        r.id,
        r.version_id,
        r.parent_id,
        r.start_s,
        r.end_s,
        r.body,
        r.author,
        r.author_name,
        r.author_role,
        r.created_at,
        r.resolved,
        r.resolved_by,
        r.resolved_at,
        origin,
    )


def _upload(r: UploadRow) -> Upload:
    return Upload(
        r.id,
        r.song,
        r.kind,
        r.name,
        r.media_path,
        r.sha256,
        r.duration_s,
        r.integrated_lufs,
        r.true_peak_dbtp,
        r.created_at,
        r.created_by,
        r.track,
    )


def _approval(r: ApprovalRow) -> Approval:
    return Approval(r.role, r.user_key, r.user_name, r.render_id, r.at)


def _version(r: VersionRow, approvals: Sequence[ApprovalRow]) -> Version:
    return Version(
        r.id,
        r.song,
        r.number,
        r.render_id,
        r.duration_s,
        r.integrated_lufs,
        r.loudness_range_lu,
        r.true_peak_dbtp,
        r.note,
        r.created_at,
        r.created_by,
        tuple(_approval(a) for a in sorted(approvals, key=lambda a: (a.at, a.id))),
    )


class StudioStore:
    """The conversation of one project, in the database at ``url`` (migrated on open)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._write_engine = engine.execution_options(**{WRITE: True})
        # SQLite has one writer at a time; writers of this process queue on a lock rather
        # than on SQLite's busy handler, whose back-off sleeps (up to 100 ms) would be the
        # latency under load. Other processes still wait on the busy timeout.
        self._writers = threading.Lock() if engine.dialect.name == "sqlite" else None

    @classmethod
    def open(cls, url: str) -> StudioStore:
        return cls(connect(url))

    @property
    def where(self) -> str:
        return display_url(self.engine.url.render_as_string(hide_password=False))

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as s, s.begin():
            yield s

    @contextmanager
    def _write(self) -> Iterator[Session]:
        with (
            self._writers or nullcontext(),
            Session(self._write_engine, expire_on_commit=False) as s,
            s.begin(),
        ):
            yield s

    def _retry(self, fn: Callable[[], T], what: str, attempts: int = 5) -> T:
        """Run a write again when a concurrent writer took the same unique value first."""
        for i in range(attempts):
            try:
                return fn()
            except IntegrityError:
                if i + 1 == attempts:
                    raise ConflictError(f"{what}: conflicts with a concurrent change") from None
                time.sleep(0.01 * (i + 1))
        raise AssertionError("unreachable")  # pragma: no cover

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
            return _user(row)

    def users(self) -> list[User]:
        with self._read() as s:
            rows = s.scalars(select(UserRow).where(UserRow.removed.is_(False)).order_by(UserRow.id))
            return [_user(r) for r in rows]

    def user_with_hash(self, email: str) -> tuple[User, str] | None:
        with self._read() as s:
            row = s.scalars(
                select(UserRow).where(UserRow.email == email, UserRow.removed.is_(False))
            ).first()
            return (_user(row), row.password_hash) if row else None

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
            return _share(row)

    def share_by_hash(self, token_hash: str) -> ShareLink | None:
        with self._read() as s:
            row = s.scalars(select(ShareRow).where(ShareRow.token_hash == token_hash)).first()
            return _share(row) if row else None

    def shares(self) -> list[ShareLink]:
        with self._read() as s:
            return [_share(r) for r in s.scalars(select(ShareRow).order_by(ShareRow.id))]

    def revoke_share(self, share_id: int) -> ShareLink:
        with self._write() as s:
            row = s.get(ShareRow, share_id)
            if row is None:
                raise NotFoundError(f"no share link {share_id}")
            row.revoked = True
            s.execute(delete(SessionRow).where(SessionRow.share_id == share_id))
            return _share(row)

    # ------------------------------------------------------------ versions

    def add_version(
        self,
        song: str,
        render_id: str,
        duration_s: float,
        integrated_lufs: float,
        loudness_range_lu: float,
        true_peak_dbtp: float,
        note: str,
        peaks_json: str,
        created_by: str,
    ) -> Version:
        """Add the next version of ``song`` and carry the previous version's open threads
        forward onto it (each copy names the comment, version and number it came from)."""

        def attempt() -> Version:
            with self._write() as s:
                last = s.scalars(
                    select(VersionRow)
                    .where(VersionRow.song == song)
                    .order_by(VersionRow.number.desc())
                    .limit(1)
                ).first()
                row = VersionRow(
                    song=song,
                    number=(last.number + 1) if last else 1,
                    render_id=render_id,
                    duration_s=duration_s,
                    integrated_lufs=integrated_lufs,
                    loudness_range_lu=loudness_range_lu,
                    true_peak_dbtp=true_peak_dbtp,
                    note=note,
                    peaks=peaks_json,
                    created_at=time.time(),
                    created_by=created_by,
                )
                s.add(row)
                s.flush()
                if last is not None:
                    self._carry_forward(s, last, row)
                return _version(row, [])

        return self._retry(attempt, f"song {song!r}: new version")

    @staticmethod
    def _carry_forward(s: Session, old: VersionRow, new: VersionRow) -> None:
        rows = list(
            s.scalars(
                select(CommentRow).where(CommentRow.version_id == old.id).order_by(CommentRow.id)
            )
        )
        open_roots = {r.id for r in rows if r.parent_id is None and not r.resolved}
        copies: dict[int, CommentRow] = {}
        for r in rows:  # ids ascend, so a parent is copied before its replies
            root = r.id if r.parent_id is None else r.parent_id
            if root not in open_roots or (r.parent_id is not None and r.parent_id not in copies):
                continue
            copy = CommentRow(
                version_id=new.id,
                parent_id=copies[r.parent_id].id if r.parent_id is not None else None,
                start_s=r.start_s,
                end_s=r.end_s,
                body=r.body,
                author=r.author,
                author_name=r.author_name,
                author_role=r.author_role,
                created_at=r.created_at,
                resolved=False,
                resolved_by="",
                resolved_at=None,
                # The first origin is kept through several carries: "from v1", not "from v2".
                origin_comment_id=r.origin_comment_id or r.id,
                origin_version_id=r.origin_version_id or old.id,
                origin_version_number=r.origin_version_number or old.number,
            )
            s.add(copy)
            s.flush()
            copies[r.id] = copy

    def _approvals_of(self, s: Session, ids: Sequence[int]) -> dict[int, list[ApprovalRow]]:
        out: dict[int, list[ApprovalRow]] = {i: [] for i in ids}
        if ids:
            for a in s.scalars(select(ApprovalRow).where(ApprovalRow.version_id.in_(ids))):
                out[a.version_id].append(a)
        return out

    def versions(self, song: str) -> list[Version]:
        with self._read() as s:
            rows = list(
                s.scalars(
                    select(VersionRow).where(VersionRow.song == song).order_by(VersionRow.number)
                )
            )
            approvals = self._approvals_of(s, [r.id for r in rows])
            return [_version(r, approvals[r.id]) for r in rows]

    def version(self, version_id: int) -> Version:
        with self._read() as s:
            row = s.get(VersionRow, version_id)
            if row is None:
                raise NotFoundError(f"no version {version_id}")
            return _version(row, self._approvals_of(s, [row.id])[row.id])

    def version_key(self, version_id: int) -> tuple[str, int, str, float]:
        """(song, number, render_id, duration_s) of a version: what never changes."""
        q = select(VersionRow.song, VersionRow.number, VersionRow.render_id, VersionRow.duration_s)
        with self.engine.connect() as conn:
            row = conn.execute(q.where(VersionRow.id == version_id)).first()
        if row is None:
            raise NotFoundError(f"no version {version_id}")
        return (row[0], row[1], row[2], row[3])

    def version_peaks(self, version_id: int) -> str:
        with self._read() as s:
            peaks = s.scalars(select(VersionRow.peaks).where(VersionRow.id == version_id)).first()
            if peaks is None:
                raise NotFoundError(f"no version {version_id}")
            return peaks

    def latest_versions(self) -> dict[str, Version]:
        """Each song's newest version, by song slug."""
        with self._read() as s:
            newest = (
                select(VersionRow.song, func.max(VersionRow.number).label("n"))
                .group_by(VersionRow.song)
                .subquery()
            )
            rows = list(
                s.scalars(
                    select(VersionRow).join(
                        newest,
                        (VersionRow.song == newest.c.song) & (VersionRow.number == newest.c.n),
                    )
                )
            )
            approvals = self._approvals_of(s, [r.id for r in rows])
            return {r.song: _version(r, approvals[r.id]) for r in rows}

    def open_comment_counts(self) -> dict[int, int]:
        """Unresolved top-level comments per version id."""
        with self._read() as s:
            rows = s.execute(
                select(CommentRow.version_id, func.count())
                .where(CommentRow.parent_id.is_(None), CommentRow.resolved.is_(False))
                .group_by(CommentRow.version_id)
            )
            return {v: n for v, n in rows}

    # ------------------------------------------------------------ comments

    def add_comment(
        self,
        version_id: int,
        start_s: float,
        end_s: float | None,
        body: str,
        author: str,
        author_role: str,
        parent_id: int | None = None,
        author_name: str = "",
        activity: tuple[str, str, str] | None = None,
    ) -> Comment:
        """Add a comment (and, in the same transaction, its ``(who, what, song)`` activity)."""
        with self._write() as s:
            if s.get(VersionRow, version_id) is None:
                raise NotFoundError(f"no version {version_id}")
            if parent_id is not None:
                parent = s.get(CommentRow, parent_id)
                if parent is None or parent.version_id != version_id:
                    raise NotFoundError(f"no comment {parent_id} on version {version_id}")
                if parent.parent_id is not None:
                    parent_id = parent.parent_id  # threads are one level deep: reply to the root
            row = CommentRow(
                version_id=version_id,
                parent_id=parent_id,
                start_s=start_s,
                end_s=end_s,
                body=body,
                author=author,
                author_name=author_name or author,
                author_role=author_role,
                created_at=time.time(),
                resolved=False,
                resolved_by="",
            )
            s.add(row)
            if activity is not None:
                who, what, song = activity
                s.add(ActivityRow(at=row.created_at, who=who, what=what, song=song))
            s.flush()
            return _comment(row)

    def comments(self, version_id: int) -> list[Comment]:
        # Core rows, not ORM objects: a long list is read on every player poll. The rows have
        # the columns' names as attributes, which is all _comment reads.
        q = select(*CommentRow.__table__.columns).where(CommentRow.version_id == version_id)
        with self.engine.connect() as conn:
            rows = conn.execute(q.order_by(CommentRow.id)).all()
        return [_comment(r) for r in rows]  # type: ignore[arg-type]

    def comment(self, comment_id: int) -> Comment:
        with self._read() as s:
            row = s.get(CommentRow, comment_id)
            if row is None:
                raise NotFoundError(f"no comment {comment_id}")
            return _comment(row)

    def set_resolved(self, comment_id: int, resolved: bool, who: str) -> Comment:
        with self._write() as s:
            row = s.get(CommentRow, comment_id)
            if row is None:
                raise NotFoundError(f"no comment {comment_id}")
            row.resolved = resolved
            row.resolved_by = who if resolved else ""
            row.resolved_at = time.time() if resolved else None
            return _comment(row)

    # ------------------------------------------------------------ approvals and ISRCs

    def add_approval(
        self, version_id: int, user_key: str, user_name: str, role: str, render_id: str
    ) -> Version:
        """Record the approval (again approving is a no-op); returns the version with all."""

        def attempt() -> Version:
            with self._write() as s:
                row = s.get(VersionRow, version_id)
                if row is None:
                    raise NotFoundError(f"no version {version_id}")
                exists = s.scalars(
                    select(ApprovalRow.id).where(
                        ApprovalRow.version_id == version_id,
                        ApprovalRow.user_key == user_key,
                        ApprovalRow.role == role,
                    )
                ).first()
                if exists is None:
                    s.add(
                        ApprovalRow(
                            version_id=version_id,
                            user_key=user_key,
                            user_name=user_name,
                            role=role,
                            render_id=render_id,
                            at=time.time(),
                        )
                    )
                    s.flush()
                return _version(row, self._approvals_of(s, [row.id])[row.id])

        return self._retry(attempt, f"version {version_id}: approval")

    def approvals_for_render(self, song: str, render_id: str) -> tuple[Version | None, set[str]]:
        """The newest version of ``song`` with ``render_id`` and the roles that approved it."""
        with self._read() as s:
            row = s.scalars(
                select(VersionRow)
                .where(VersionRow.song == song, VersionRow.render_id == render_id)
                .order_by(VersionRow.number.desc())
                .limit(1)
            ).first()
            if row is None:
                return None, set()
            roles = set(
                s.scalars(
                    select(ApprovalRow.role)
                    .join(VersionRow, VersionRow.id == ApprovalRow.version_id)
                    .where(VersionRow.song == song, ApprovalRow.render_id == render_id)
                )
            )
            return _version(row, self._approvals_of(s, [row.id])[row.id]), roles

    def isrc_codes(self, prefix: str) -> list[str]:
        with self._read() as s:
            return list(s.scalars(select(IsrcRow.code).where(IsrcRow.code.like(f"{prefix}%"))))

    def isrc_of_song(self, song: str) -> str | None:
        with self._read() as s:
            return s.scalars(
                select(IsrcRow.code).where(IsrcRow.song == song).order_by(IsrcRow.assigned_at)
            ).first()

    def assign_isrc(
        self, song: str, prefix: str, first: int, version_id: int, render_id: str
    ) -> str:
        """Take the next free designation number under ``prefix`` (at least ``first``) for
        ``song`` and record it for good; the ledger never gives a code twice."""

        def attempt() -> str:
            with self._write() as s:
                codes = s.scalars(select(IsrcRow.code).where(IsrcRow.code.like(f"{prefix}%")))
                used = [int(c[len(prefix) :]) for c in codes if c[len(prefix) :].isdigit()]
                n = max([first - 1, *used]) + 1
                if n > 99999:
                    raise UserError(f"ISRC prefix {prefix}: all 99999 designation numbers are used")
                code = f"{prefix}{n:05d}"
                s.add(
                    IsrcRow(
                        code=code,
                        song=song,
                        version_id=version_id,
                        render_id=render_id,
                        assigned_at=time.time(),
                    )
                )
                s.flush()
                return code

        return self._retry(attempt, f"song {song!r}: ISRC")

    # ------------------------------------------------------------ uploads

    def add_upload(
        self,
        song: str,
        kind: str,
        name: str,
        media_path: str,
        sha256: str,
        duration_s: float,
        integrated_lufs: float,
        true_peak_dbtp: float,
        peaks_json: str,
        created_by: str,
        track: str = "",
    ) -> Upload:
        with self._write() as s:
            row = UploadRow(
                song=song,
                kind=kind,
                name=name,
                media_path=media_path,
                sha256=sha256,
                duration_s=duration_s,
                integrated_lufs=integrated_lufs,
                true_peak_dbtp=true_peak_dbtp,
                peaks=peaks_json,
                track=track,
                created_at=time.time(),
                created_by=created_by,
            )
            s.add(row)
            s.flush()
            return _upload(row)

    def uploads(self, song: str) -> list[Upload]:
        with self._read() as s:
            rows = s.scalars(select(UploadRow).where(UploadRow.song == song).order_by(UploadRow.id))
            return [_upload(r) for r in rows]

    def upload(self, upload_id: int) -> Upload:
        with self._read() as s:
            row = s.get(UploadRow, upload_id)
            if row is None:
                raise NotFoundError(f"no upload {upload_id}")
            return _upload(row)

    def upload_peaks(self, upload_id: int) -> str:
        with self._read() as s:
            peaks = s.scalars(select(UploadRow.peaks).where(UploadRow.id == upload_id)).first()
            if peaks is None:
                raise NotFoundError(f"no upload {upload_id}")
            return peaks

    # ------------------------------------------------------------ activity

    def log(self, who: str, what: str, song: str = "") -> None:
        with self._write() as s:
            s.add(ActivityRow(at=time.time(), who=who, what=what, song=song))

    def activity(self, limit: int = 20) -> list[Activity]:
        with self._read() as s:
            rows = s.scalars(select(ActivityRow).order_by(ActivityRow.id.desc()).limit(limit))
            return [Activity(r.at, r.who, r.what, r.song) for r in rows]


__all__ = ["StudioStore"]
