"""Versions, comments, approvals and the album board of the review studio.

A version is an exact render: ``publish`` renders the song's current mix through the mix
workflow (an identical render is reused by its render id), measures it with our BS.1770-4
meter, computes waveform peaks, and adds version N. Unresolved threads of version N-1 are
carried onto it, each copy naming where it came from. An approval names the render id it
approves; once the roles the album requires (``album set --require-approval``) approved a
render, the song document records it (``approved_render_id``) and, with an ISRC prefix, the
song gets the next ISRC of the studio's ledger. ``producer master`` asks
:func:`require_approvals` before mastering.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from producer.errors import LockedError, NotFoundError, UserError, ValidationError
from producer.model import Song
from producer.model.studio import APPROVER_ROLES, Activity, Comment, Principal, Upload, Version
from producer.storage import Project
from producer.workflows.studio.core import Studio, authorize


def warm_up() -> None:
    """Import what publishing, measuring and serving audio need: the mix workflow (engine,
    pedalboard, scipy) and the meter — seconds of imports that `producer serve` does on a
    thread after it starts answering, instead of before."""
    from producer.analysis import loudness, peaks  # noqa: F401
    from producer.workflows import mix  # noqa: F401


MAX_COMMENT_CHARS = 5000


def _finite(x: float, fallback: float = -70.0) -> float:
    return x if math.isfinite(x) else fallback


def peaks_json(path: Path) -> tuple[str, float]:
    """(the peaks document the player draws, duration in seconds) of an audio file."""
    from producer.analysis.peaks import PEAKS_PER_SECOND, peaks_file

    pk, rate, frames = peaks_file(path)
    doc = {
        "sample_rate": rate,
        "duration_s": round(frames / rate, 6),
        "peaks_per_second": PEAKS_PER_SECOND,
        "peaks": [[round(float(v), 4) for v in row] for row in pk],
    }
    return json.dumps(doc, separators=(",", ":")), frames / rate


# ---------------------------------------------------------------- versions


def publish(
    studio: Studio,
    principal: Principal,
    slug: str,
    note: str = "",
    progress: Callable[[str], None] | None = None,
) -> Version:
    """Render (or reuse) the song's current mix and add it as the next version."""
    authorize(principal, "publish", slug)
    tell = progress or (lambda _m: None)
    studio.project().song(slug)
    tell(f"{slug}: rendering the mix (reused when identical)")
    from producer.analysis import loudness
    from producer.workflows import mix

    rendered = mix.render_by_id(studio.root, slug)
    tell(f"{slug}: measuring {'the reused' if rendered.reused else 'the new'} render")
    report = loudness.measure_file(rendered.path)
    peaks, duration = peaks_json(rendered.path)
    version = studio.store.add_version(
        slug,
        rendered.render_id,
        duration,
        _finite(report.integrated_lufs),
        _finite(report.loudness_range_lu, 0.0),
        _finite(report.true_peak_dbtp, -120.0),
        note.strip()[:2000],
        peaks,
        principal.label,
    )
    studio.store.log(principal.name, f"published version {version.number}", slug)
    return version


def versions(studio: Studio, principal: Principal | None, slug: str) -> list[Version]:
    authorize(principal, "listen", slug)
    studio.project().song(slug)
    return studio.store.versions(slug)


def version(studio: Studio, principal: Principal | None, version_id: int, action: str) -> Version:
    """Version ``version_id`` if ``principal`` may do ``action`` on its song (404 otherwise)."""
    authorize(principal, action)
    v = studio.store.version(version_id)
    authorize(principal, action, v.song)
    return v


def _key(
    studio: Studio, principal: Principal | None, version_id: int, action: str
) -> tuple[str, int, str, float]:
    """(song, number, render_id, duration_s) of a version ``principal`` may ``action`` on
    (the cheap check of the hot routes: comments, peaks, audio)."""
    authorize(principal, action)
    key = studio.version_key(version_id)
    authorize(principal, action, key[0])
    return key


def audio_path(
    studio: Studio, principal: Principal | None, version_id: int, download: bool
) -> tuple[tuple[str, int], Path]:
    """(song, version number) and the render file: looked up by id, never from the URL."""
    song, number, render_id, _ = _key(
        studio, principal, version_id, "download" if download else "listen"
    )
    from producer.workflows import mix

    return (song, number), mix.cached_render_path(studio.root, render_id)


def peaks(studio: Studio, principal: Principal | None, version_id: int) -> str:
    _key(studio, principal, version_id, "listen")
    return studio.store.version_peaks(version_id)


def analysis(studio: Studio, principal: Principal | None, version_id: int) -> tuple[Path, Path]:
    """(HTML, JSON) of the extra ear's analysis of a version's render (``producer analyze`` on
    the file, against the streaming profile). Made on first request and kept by render id in
    ``.producer/cache/analysis/``: a render never changes, so neither does its analysis."""
    song, _, render_id, _ = _key(studio, principal, version_id, "listen")
    from producer.workflows import analyze, mix

    folder = studio.root / analyze.ANALYSIS_DIR
    html, data = folder / f"{render_id}.html", folder / f"{render_id}.json"
    if not (html.is_file() and data.is_file()):
        folder.mkdir(parents=True, exist_ok=True)
        render = mix.cached_render_path(studio.root, render_id)
        title = f"{studio.project().song(song).title} (render {render_id[:12]})"
        analyze.analyze_version(render, json_out=data, html_out=html, title=title)
    return html, data


# ---------------------------------------------------------------- comments


def comments(studio: Studio, principal: Principal | None, version_id: int) -> list[Comment]:
    _key(studio, principal, version_id, "listen")
    return studio.store.comments(version_id)


def comments_json(studio: Studio, principal: Principal | None, version_id: int) -> str:
    """:func:`comments` as the API's JSON text, built by the database (see the store)."""
    _key(studio, principal, version_id, "listen")
    return studio.store.comments_json(version_id)


def add_comment(
    studio: Studio,
    principal: Principal | None,
    version_id: int,
    start_s: float,
    body: str,
    end_s: float | None = None,
    parent_id: int | None = None,
) -> Comment:
    """A comment at ``start_s`` (to ``end_s`` for a range), or a reply to ``parent_id``."""
    song, number, _, duration_s = _key(studio, principal, version_id, "comment")
    assert principal is not None
    text = body.strip()
    if not text:
        raise ValidationError("body: is empty")
    if len(text) > MAX_COMMENT_CHARS:
        raise ValidationError(f"body: longer than {MAX_COMMENT_CHARS} characters")
    if not math.isfinite(start_s) or not 0 <= start_s <= duration_s + 0.5:
        raise ValidationError(f"start_s: {start_s} s is outside the song (0 to {duration_s:.1f} s)")
    if end_s is not None and (not math.isfinite(end_s) or not start_s <= end_s <= duration_s + 0.5):
        raise ValidationError(f"end_s: {end_s} s is not between start_s and the song's end")
    what = (
        f"replied on version {number}"
        if parent_id
        else f"commented at {_clock(start_s)} on version {number}"
    )
    return studio.store.add_comment(
        version_id,
        start_s,
        end_s,
        text,
        principal.label,
        principal.role,
        parent_id,
        principal.name,
        activity=(principal.name, what, song),
    )


def set_resolved(
    studio: Studio, principal: Principal | None, comment_id: int, resolved: bool
) -> Comment:
    authorize(principal, "comment")
    assert principal is not None
    c = studio.store.comment(comment_id)
    v = version(studio, principal, c.version_id, "comment")
    out = studio.store.set_resolved(comment_id, resolved, principal.label)
    studio.store.log(
        principal.name,
        f"{'resolved' if resolved else 'reopened'} a comment on v{v.number}",
        v.song,
    )
    return out


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d}"


# ---------------------------------------------------------------- approvals


@dataclass(frozen=True)
class ApprovalResult:
    version: Version
    approved: bool
    """Whether the render now has every required approval (the song records it)."""
    isrc: str = ""


def _approved_roles(studio: Studio, slug: str, render_id: str) -> set[str]:
    return studio.store.approvals_for_render(slug, render_id)[1]


def _required(project: Project) -> tuple[str, ...]:
    return project.album.require_approval


def approve(studio: Studio, principal: Principal | None, version_id: int) -> ApprovalResult:
    """Record ``principal``'s approval of the version's render; when the required roles are
    complete, write ``approved_render_id`` (and a new ISRC) into the song document."""
    v = version(studio, principal, version_id, "approve")
    assert principal is not None
    key = principal.email or f"link:{principal.share_id}:{principal.name}"
    v = studio.store.add_approval(v.id, key, principal.name, principal.role, v.render_id)
    studio.store.log(principal.name, f"approved version {v.number}", v.song)
    project = studio.project()
    required = set(_required(project))
    roles = _approved_roles(studio, v.song, v.render_id)
    complete = required <= roles if required else bool(roles & set(APPROVER_ROLES))
    if not complete:
        return ApprovalResult(v, False)
    isrc = _record_approval(studio, v)
    return ApprovalResult(studio.store.version(v.id), True, isrc)


def _next_free_designation(project: Project, prefix: str) -> int:
    """One past the highest designation any song document already holds under ``prefix``."""
    used = [
        int(s.isrc[len(prefix) :])
        for s in project.songs()
        if s.isrc.startswith(prefix) and s.isrc[len(prefix) :].isdigit()
    ]
    return max(used, default=0) + 1


def _record_approval(studio: Studio, v: Version, attempts: int = 50) -> str:
    """Write the approval into the song document, under the project lock (retried while
    another process holds it). Returns the ISRC assigned now, or ""."""
    for i in range(attempts):
        project = Project.open(studio.root)
        try:
            with project.transaction(f"studio: approve version {v.number} of {v.song}") as tx:
                song = tx.song(v.song)
                prefix = tx.album.isrc_prefix
                isrc = ""
                if prefix and not song.isrc:
                    isrc = studio.store.isrc_of_song(v.song) or studio.store.assign_isrc(
                        v.song, prefix, _next_free_designation(project, prefix), v.id, v.render_id
                    )
                changed = replace(song, approved_render_id=v.render_id, isrc=isrc or song.isrc)
                if changed != song:
                    tx.put_song(changed)
            if isrc:
                studio.store.log("studio", f"assigned ISRC {isrc}", v.song)
            return isrc
        except LockedError:
            if i + 1 == attempts:
                raise
            time.sleep(0.1)
    return ""  # pragma: no cover


def require_approvals(root: Path, song: Song, render_id: str, db: str | None = None) -> None:
    """Refuse (UserError, exit 2) unless every role of ``album set --require-approval``
    approved this render id of ``song``. Called by ``producer master`` before rendering."""
    from producer.workflows.studio.core import open_studio

    project = Project.open(root)
    required = _required(project)
    if not required:
        return
    studio = open_studio(root, db)
    try:
        v, roles = studio.store.approvals_for_render(song.slug, render_id)
        versions_ = studio.store.versions(song.slug)
    finally:
        studio.close()
    missing = [r for r in required if r not in roles]
    if not missing:
        return
    if v is None:
        latest = f"; the latest version is {versions_[-1].number}" if versions_ else ""
        raise UserError(
            f"song {song.slug!r}: the current mix (render {render_id[:12]}) is not a published "
            f"version{latest}; publish it and get approval from {', '.join(missing)} "
            "(or master with --force)"
        )
    raise UserError(
        f"song {song.slug!r}: version {v.number} (render {render_id[:12]}) lacks approval by "
        f"{', '.join(missing)} (or master with --force)"
    )


# ---------------------------------------------------------------- board


@dataclass(frozen=True)
class BoardRow:
    slug: str
    title: str
    latest: Version | None
    open_comments: int
    required: tuple[str, ...]
    approved_roles: tuple[str, ...]
    approved: bool
    isrc: str


def board(studio: Studio, principal: Principal | None) -> list[BoardRow]:
    """Every song (a share link: its one song) with its latest version, open comments and
    approval state."""
    authorize(principal, "listen")
    assert principal is not None
    project = studio.project()
    latest = studio.store.latest_versions()
    counts = studio.store.open_comment_counts()
    required = _required(project)
    rows = []
    for song in project.songs():
        if principal.song is not None and song.slug != principal.song:
            continue
        v = latest.get(song.slug)
        roles = tuple(sorted({a.role for a in v.approvals})) if v else ()
        done = bool(v) and (set(required) <= set(roles) if required else bool(roles))
        rows.append(
            BoardRow(
                song.slug,
                song.title,
                v,
                counts.get(v.id, 0) if v else 0,
                required,
                roles,
                done,
                song.isrc,
            )
        )
    return rows


def song_title(studio: Studio, principal: Principal | None, slug: str) -> str:
    authorize(principal, "listen", slug)
    return studio.project().song(slug).title


def activity(studio: Studio, principal: Principal | None, limit: int = 30) -> list[Activity]:
    """The latest events (a share link sees only its song's)."""
    p = authorize(principal, "listen")
    return [a for a in studio.store.activity(limit) if p.song is None or a.song == p.song]


def uploads(studio: Studio, principal: Principal | None, slug: str) -> list[Upload]:
    authorize(principal, "listen", slug)
    return studio.store.uploads(slug)


__all__ = [
    "ApprovalResult",
    "BoardRow",
    "NotFoundError",
    "activity",
    "add_comment",
    "analysis",
    "approve",
    "audio_path",
    "board",
    "comments",
    "comments_json",
    "peaks",
    "peaks_json",
    "publish",
    "require_approvals",
    "set_resolved",
    "song_title",
    "uploads",
    "version",
    "versions",
    "warm_up",
]
