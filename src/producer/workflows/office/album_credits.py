"""Credits derived from the work (takes, comps, sessions, contracts, split sheets, mixes and
masters on disk): liner notes, DDEX RIN names and the HTML page.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from producer.errors import ProducerError
from producer.model import Song
from producer.office import credits as cr
from producer.storage import Project
from producer.workflows.office.conventions import song_slug


@dataclass(frozen=True)
class WorkFacts:
    """What the project says about each song beyond its document, and what could not be read
    (said, never guessed: a song the studio could not be asked about shows its file facts)."""

    songs: dict[str, cr.SongFacts]
    notes: tuple[str, ...] = ()


def _published_songs(root: Path) -> tuple[set[str], tuple[str, ...]]:
    from producer.storage.studio import StudioStore, read_studio

    try:
        return read_studio(root, StudioStore.published_songs) or set(), ()
    except ProducerError as exc:
        return set(), (f"stages and credits from the project's files only: {exc.message}",)


def _file_names(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []


def _mixed(
    project: Project, song: Song, named: re.Pattern[str], published: set[str], files: set[str]
) -> bool:
    """A mix of the song exists: a version in the studio, its current or approved mix in
    renders/ (by render id, as ``master`` and the studio render it), or a file named after
    it in mixes/ (``producer mix``) or renders/ (``files``: the names in both)."""
    from producer.workflows.mix import render_id  # the engine: not for every command

    if song.slug in published:
        return True
    ids = {render_id(project, song), song.approved_render_id} - {""}
    return any(f"{rid}.wav" in files for rid in ids) or any(named.match(f) for f in files)


def song_facts(project: Project) -> WorkFacts:
    """Mixes and masters of each song: the studio's versions, the files in renders/, mixes/
    and masters/ (each folder listed once for all the songs)."""
    from producer.workflows.mix import RENDERS_DIR

    root = project.root
    published, notes = _published_songs(root)
    files = {*_file_names(root / RENDERS_DIR), *_file_names(root / "mixes")}
    masters_dir = root / "masters"
    # album masters sit in masters/<profile>/, a single song's in masters/<profile>/singles/
    reports = sorted(
        [*masters_dir.glob("*/*.report.json"), *masters_dir.glob("*/singles/*.report.json")]
    )
    out = {}
    for s in project.songs():
        name = re.compile(rf"(\d+-)?{re.escape(s.slug)}\.")
        mixed = _mixed(project, s, name, published, files)
        masters = []
        for report in reports:
            if not name.match(report.name):
                continue
            try:
                data = json.loads(report.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # a damaged report says nothing either way
            if isinstance(data, dict):
                masters.append(
                    (
                        str(data.get("profile", report.relative_to(masters_dir).parts[0])),
                        bool(data.get("passed")),
                    )
                )
        out[s.slug] = cr.SongFacts(mixed, tuple(masters))
    return WorkFacts(out, notes)


@dataclass(frozen=True)
class CreditsResult:
    """The credits of the songs asked for, as liner notes, an HTML page and DDEX RIN names."""

    songs: list[cr.SongCredits]
    text: str
    html: str
    rin: dict[str, object]
    notes: tuple[str, ...] = ()


def credits(root: Path, song: str | None = None) -> CreditsResult:
    project = Project.open(root)
    office = project.office
    songs = project.songs() if song is None else [project.song(song_slug(project, song))]
    facts = song_facts(project)
    result = cr.album_credits(songs, office, facts.songs)
    return CreditsResult(
        result,
        cr.liner_notes(project.album, result),
        cr.credits_html(project.album, result),
        cr.rin_json(project.album, result, office),
        facts.notes,
    )


__all__ = ["CreditsResult", "WorkFacts", "credits", "song_facts"]
