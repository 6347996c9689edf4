"""The studio database's tables (SQLAlchemy 2 declarative, typed ``Mapped[...]`` columns).

Times are seconds since the epoch as floats (one portable type on SQLite and PostgreSQL).
Secrets never appear here in clear: session tokens and share-link tokens are stored as their
HMAC under the project's secret (``producer.workflows.studio.secrets``), passwords as argon2
hashes. Every change of these classes needs a new Alembic revision in ``migrations/versions``.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[float] = mapped_column(Float)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)


class ShareRow(Base):
    __tablename__ = "share_links"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    song: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)
    allow_download: Mapped[bool] = mapped_column(Boolean)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(320))


class SessionRow(Base):
    """A logged-in browser (cookie) or script (bearer token), or a share-link visitor."""

    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    share_id: Mapped[int | None] = mapped_column(ForeignKey("share_links.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)


class LoginFailureRow(Base):
    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_email_at", "email", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    at: Mapped[float] = mapped_column(Float)


class VersionRow(Base):
    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("song", "number", name="uq_versions_song_number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    song: Mapped[str] = mapped_column(String(200), index=True)
    number: Mapped[int] = mapped_column(Integer)
    render_id: Mapped[str] = mapped_column(String(64))
    duration_s: Mapped[float] = mapped_column(Float)
    integrated_lufs: Mapped[float] = mapped_column(Float)
    loudness_range_lu: Mapped[float] = mapped_column(Float)
    true_peak_dbtp: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text)
    peaks: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)
    created_by: Mapped[str] = mapped_column(String(320))


class CommentRow(Base):
    __tablename__ = "comments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("versions.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float | None] = mapped_column(Float)
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(320))
    author_name: Mapped[str] = mapped_column(String(200), default="")
    author_role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[float] = mapped_column(Float)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    resolved_by: Mapped[str] = mapped_column(String(320), default="")
    resolved_at: Mapped[float | None] = mapped_column(Float)
    origin_comment_id: Mapped[int | None] = mapped_column(Integer)
    origin_version_id: Mapped[int | None] = mapped_column(Integer)
    origin_version_number: Mapped[int | None] = mapped_column(Integer)


class ApprovalRow(Base):
    __tablename__ = "approvals"
    __table_args__ = (
        UniqueConstraint("version_id", "user_key", "role", name="uq_approvals_version_user_role"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("versions.id", ondelete="CASCADE"), index=True
    )
    user_key: Mapped[str] = mapped_column(String(320))
    user_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    render_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[float] = mapped_column(Float)


class IsrcRow(Base):
    """Every ISRC the studio ever assigned: a designation number is never given twice."""

    __tablename__ = "isrc_codes"
    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    song: Mapped[str] = mapped_column(String(200))
    version_id: Mapped[int | None] = mapped_column(Integer)
    render_id: Mapped[str] = mapped_column(String(64))
    assigned_at: Mapped[float] = mapped_column(Float)


class UploadRow(Base):
    __tablename__ = "uploads"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    song: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(300))
    media_path: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    duration_s: Mapped[float] = mapped_column(Float)
    integrated_lufs: Mapped[float] = mapped_column(Float)
    true_peak_dbtp: Mapped[float] = mapped_column(Float)
    peaks: Mapped[str] = mapped_column(Text)
    track: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[float] = mapped_column(Float)
    created_by: Mapped[str] = mapped_column(String(320))


class ActivityRow(Base):
    __tablename__ = "activity"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[float] = mapped_column(Float, index=True)
    who: Mapped[str] = mapped_column(String(320))
    what: Mapped[str] = mapped_column(Text)
    song: Mapped[str] = mapped_column(String(200), default="")
