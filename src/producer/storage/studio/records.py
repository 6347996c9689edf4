"""The studio's rows as the frozen records of ``producer.model.studio``: what every store
method hands back, so nothing above storage ever holds a database session or a row."""

from __future__ import annotations

from collections.abc import Sequence

from producer.model.studio import Approval, Comment, Origin, ShareLink, Upload, User, Version
from producer.storage.studio.tables import (
    ApprovalRow,
    CommentRow,
    ShareRow,
    UploadRow,
    UserRow,
    VersionRow,
)


def as_user(r: UserRow) -> User:
    return User(r.id, r.email, r.name, r.role, r.created_at)


def as_share(r: ShareRow) -> ShareLink:
    return ShareLink(
        r.id, r.song, r.role, r.created_at, r.expires_at, r.allow_download, r.revoked, r.created_by
    )


def as_comment(r: CommentRow) -> Comment:
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


def as_upload(r: UploadRow) -> Upload:
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


def as_approval(r: ApprovalRow) -> Approval:
    return Approval(r.role, r.user_key, r.user_name, r.render_id, r.at)


def as_version(r: VersionRow, approvals: Sequence[ApprovalRow]) -> Version:
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
        tuple(as_approval(a) for a in sorted(approvals, key=lambda a: (a.at, a.id))),
    )


__all__ = ["as_approval", "as_comment", "as_share", "as_upload", "as_user", "as_version"]
