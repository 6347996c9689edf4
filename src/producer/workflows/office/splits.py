"""Split sheets: composition and master shares (each column exactly 100 %), accepted by every
party against the sheet's SHA-256, and the printable sheet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from producer.errors import ValidationError
from producer.model import Acceptance, Share
from producer.office import splits as spl
from producer.storage import Project
from producer.workflows.office.conventions import song_slug


def split_set(
    root: Path,
    song: str,
    writers: Sequence[str] = (),
    publishers: Sequence[str] = (),
    masters: Sequence[str] = (),
) -> spl.SetResult:
    if not (writers or publishers or masters):
        raise ValidationError("split set: give --writer, --publisher or --master shares")
    project = Project.open(root)
    slug = song_slug(project, song)
    title = project.song(slug).title
    with project.transaction(f"split sheet of {slug}") as tx:
        office = tx.office

        def col(values: Sequence[str], column: str) -> tuple[Share, ...] | None:
            if not values:
                return None
            return tuple(spl.parse_share(v, column, office.people) for v in values)

        result = spl.set_sheet(
            office.splits,
            slug,
            title,
            col(writers, "writer"),
            col(publishers, "publisher"),
            col(masters, "master"),
        )
        tx.put_office(replace(office, splits=result.splits))
    return result


def split_accept(root: Path, song: str, by: str) -> Acceptance:
    project = Project.open(root)
    slug = song_slug(project, song)
    title = project.song(slug).title
    with project.transaction(f"{by} accepts the split sheet of {slug}") as tx:
        office = tx.office
        splits, acceptance = spl.accept(
            office.splits, slug, title, by, datetime.now(ZoneInfo("UTC")).replace(microsecond=0)
        )
        tx.put_office(replace(office, splits=splits))
    return acceptance


def split_show(root: Path, song: str) -> tuple[spl.SheetStatus, str]:
    """The sheet's status and its printable HTML page."""
    project = Project.open(root)
    slug = song_slug(project, song)
    sheet = spl.need_sheet(project.office.splits, slug)
    status = spl.status(sheet, project.song(slug).title)
    return status, spl.html_sheet(status, project.album.title, project.album.artist)


__all__ = ["split_accept", "split_set", "split_show"]
