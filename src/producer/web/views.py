"""Records → the JSON the API returns (and the pages' scripts read): the product's interface.

Times are ISO 8601 UTC strings; loudness in LUFS, peaks in dBTP, durations in seconds.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from producer.model.studio import Comment, Principal, Upload, User, Version, rights
from producer.workflows.studio.review import BoardRow


def iso(t: float | None) -> str | None:
    if t is None:
        return None
    # whole seconds, cut (not rounded) as the database's own text of the comments list is
    whole = math.floor(t)
    return dt.datetime.fromtimestamp(whole, dt.UTC).isoformat().replace("+00:00", "Z")


def version(v: Version) -> dict[str, Any]:
    return {
        "id": v.id,
        "song": v.song,
        "number": v.number,
        "render_id": v.render_id,
        "duration_s": round(v.duration_s, 3),
        "integrated_lufs": round(v.integrated_lufs, 2),
        "loudness_range_lu": round(v.loudness_range_lu, 2),
        "true_peak_dbtp": round(v.true_peak_dbtp, 2),
        "note": v.note,
        "created_at": iso(v.created_at),
        "created_by": v.created_by,
        "approvals": [
            {
                "role": a.role,
                "user": a.user,
                "user_name": a.user_name,
                "render_id": a.render_id,
                "at": iso(a.at),
            }
            for a in v.approvals
        ],
        "audio_url": f"/api/versions/{v.id}/audio",
        "peaks_url": f"/api/versions/{v.id}/peaks",
        "comments_url": f"/api/versions/{v.id}/comments",
    }


def comment(c: Comment) -> dict[str, Any]:
    return {
        "id": c.id,
        "version_id": c.version_id,
        "parent_id": c.parent_id,
        "start_s": round(c.start_s, 3),
        "end_s": None if c.end_s is None else round(c.end_s, 3),
        "body": c.body,
        "author": c.author,
        "author_name": c.author_name,
        "author_role": c.author_role,
        "created_at": iso(c.created_at),
        "resolved": c.resolved,
        "resolved_by": c.resolved_by or None,
        "resolved_at": iso(c.resolved_at),
        "origin": None
        if c.origin is None
        else {
            "comment_id": c.origin.comment_id,
            "version_id": c.origin.version_id,
            "version_number": c.origin.version_number,
        },
    }


def upload(u: Upload) -> dict[str, Any]:
    return {
        "id": u.id,
        "song": u.song,
        "kind": u.kind,
        "name": u.name,
        "sha256": u.sha256,
        "duration_s": round(u.duration_s, 3),
        "integrated_lufs": round(u.integrated_lufs, 2),
        "true_peak_dbtp": round(u.true_peak_dbtp, 2),
        "track": u.track or None,
        "created_at": iso(u.created_at),
        "created_by": u.created_by,
        "audio_url": f"/api/uploads/{u.id}/audio",
        "peaks_url": f"/api/uploads/{u.id}/peaks",
    }


def board_row(r: BoardRow) -> dict[str, Any]:
    return {
        "slug": r.slug,
        "title": r.title,
        "latest_version": None if r.latest is None else version(r.latest),
        "open_comments": r.open_comments,
        "approval": {
            "required": list(r.required),
            "approved_roles": list(r.approved_roles),
            "approved": r.approved,
        },
        "isrc": r.isrc or None,
        "versions_url": f"/api/songs/{r.slug}/versions",
        "page_url": f"/songs/{r.slug}",
    }


def principal(p: Principal) -> dict[str, Any]:
    return {
        "name": p.name,
        "email": p.email or None,
        "role": p.role,
        "rights": list(rights(p.role)),
        "song": p.song,
        "can_download": p.can_download,
    }


def user(u: User) -> dict[str, Any]:
    return {
        "id": u.id,
        "email": u.email,
        "name": u.name,
        "role": u.role,
        "created_at": iso(u.created_at),
    }


__all__ = ["board_row", "comment", "iso", "principal", "upload", "user", "version"]
