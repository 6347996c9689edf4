"""The review's queries: versions (with open threads carried forward), comments, approvals and
the ISRC ledger.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, Numeric, Text, case, cast, func, literal, null, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from producer.errors import NotFoundError, UserError
from producer.model.studio import Comment, Version
from producer.storage.studio.records import as_comment, as_version
from producer.storage.studio.tables import ActivityRow, ApprovalRow, CommentRow, IsrcRow, VersionRow
from producer.storage.studio.transactions import TransactionalStore


class ReviewStore(TransactionalStore):
    """Versions, comments, approvals and ISRCs: the conversation about each mix."""

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
                return as_version(row, [])

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
            return [as_version(r, approvals[r.id]) for r in rows]

    def version(self, version_id: int) -> Version:
        with self._read() as s:
            row = s.get(VersionRow, version_id)
            if row is None:
                raise NotFoundError(f"no version {version_id}")
            return as_version(row, self._approvals_of(s, [row.id])[row.id])

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
            return {r.song: as_version(r, approvals[r.id]) for r in rows}

    def render_ids(self) -> set[str]:
        """Every render id a version or an approval names: the mixes the studio plays or
        approved (``producer gc`` keeps their files)."""
        with self.engine.connect() as conn:
            ids = set(conn.scalars(select(VersionRow.render_id).distinct()))
            ids.update(conn.scalars(select(ApprovalRow.render_id).distinct()))
        return ids

    def published_songs(self) -> set[str]:
        """The songs with at least one version: mixes the studio has played to someone."""
        with self.engine.connect() as conn:
            return set(conn.scalars(select(VersionRow.song).distinct()))

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
            return as_comment(row)

    def comments(self, version_id: int) -> list[Comment]:
        # Core rows, not ORM objects: a long list is read on every player poll. The rows have
        # the columns' names as attributes, which is all _comment reads.
        q = select(*CommentRow.__table__.columns).where(CommentRow.version_id == version_id)
        with self.engine.connect() as conn:
            rows = conn.execute(q.order_by(CommentRow.id)).all()
        return [as_comment(r) for r in rows]  # type: ignore[arg-type]

    def comments_json(self, version_id: int) -> str:
        """The comments of a version as the API lists them (``web.views.comment`` of each, in
        id order), built by the database as one JSON text.

        Why not in Python: with a thousand comments, making records and encoding them held
        the GIL for ~25 ms per call, and every other request of the server waited behind it
        (p95 190 ms in the bench's load test). The database builds it without the GIL. A
        test holds this text equal to ``views.comment`` on SQLite and PostgreSQL.
        """
        c = CommentRow.__table__.c
        postgres = self.engine.dialect.name == "postgresql"
        if postgres:
            obj, agg = func.json_build_object, func.json_agg

            def when(t: Any) -> Any:
                stamp = func.to_timestamp(func.floor(t)).op("AT TIME ZONE")(literal("UTC"))
                return func.to_char(stamp, literal('YYYY-MM-DD"T"HH24:MI:SS"Z"'))

            def rounded(x: Any) -> Any:
                return func.round(cast(x, Numeric), 3)

            resolved: Any = c.resolved
        else:  # SQLite's JSON1, built in since 3.38
            obj, agg = func.json_object, func.json_group_array

            def when(t: Any) -> Any:
                return func.strftime("%Y-%m-%dT%H:%M:%SZ", cast(t, Integer), "unixepoch")

            def rounded(x: Any) -> Any:
                return func.round(x, 3)

            # booleans are integers in SQLite: json('true') keeps the JSON type
            resolved = func.json(case((c.resolved, "true"), else_="false"))
        origin = case(
            (c.origin_comment_id.is_(None), null()),
            else_=obj(
                "comment_id",
                c.origin_comment_id,
                "version_id",
                func.coalesce(c.origin_version_id, 0),
                "version_number",
                func.coalesce(c.origin_version_number, 0),
            ),
        )
        one = obj(
            "id", c.id, "version_id", c.version_id, "parent_id", c.parent_id,
            "start_s", rounded(c.start_s), "end_s", rounded(c.end_s), "body", c.body,
            "author", c.author, "author_name", c.author_name, "author_role", c.author_role,
            "created_at", when(c.created_at), "resolved", resolved,
            "resolved_by", func.nullif(c.resolved_by, ""), "resolved_at", when(c.resolved_at),
            "origin", origin,
        )  # fmt: skip
        where = c.version_id == version_id
        if postgres:
            q = select(cast(agg(aggregate_order_by(one, c.id)), Text)).where(where)
        else:  # in the subquery's id order (SQLite before 3.44 has no ORDER BY in aggregates)
            rows = select(one.label("j")).where(where).order_by(c.id).subquery()
            q = select(agg(func.json(rows.c.j)))
        with self.engine.connect() as conn:
            text = conn.execute(q).scalar()
        return text or "[]"

    def comment(self, comment_id: int) -> Comment:
        with self._read() as s:
            row = s.get(CommentRow, comment_id)
            if row is None:
                raise NotFoundError(f"no comment {comment_id}")
            return as_comment(row)

    def set_resolved(self, comment_id: int, resolved: bool, who: str) -> Comment:
        with self._write() as s:
            row = s.get(CommentRow, comment_id)
            if row is None:
                raise NotFoundError(f"no comment {comment_id}")
            row.resolved = resolved
            row.resolved_by = who if resolved else ""
            row.resolved_at = time.time() if resolved else None
            return as_comment(row)

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
                return as_version(row, self._approvals_of(s, [row.id])[row.id])

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
            return as_version(row, self._approvals_of(s, [row.id])[row.id]), roles

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


__all__ = ["ReviewStore"]
