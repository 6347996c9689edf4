"""Credits derived from the work (takes, comps, sessions, contracts, split sheets, mixes and
masters on disk): liner notes, DDEX RIN names and the HTML page.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from producer.office import credits as cr
from producer.storage import Project
from producer.workflows.office.conventions import song_slug


def song_facts(project: Project) -> dict[str, cr.SongFacts]:
    """Mixes and masters of each song, from the files in renders/, mixes/ and masters/."""
    root = project.root
    out = {}
    for s in project.songs():
        name = re.compile(rf"(\d+-)?{re.escape(s.slug)}\.")
        mixed = any(
            name.match(p.name)
            for folder in (root / "renders", root / "mixes")
            if folder.is_dir()
            for p in folder.iterdir()
            if p.is_file()
        )
        masters = []
        masters_dir = root / "masters"
        if masters_dir.is_dir():
            # album masters sit in masters/<profile>/, a single song's in masters/<profile>/singles/
            reports = [
                *masters_dir.glob("*/*.report.json"),
                *masters_dir.glob("*/singles/*.report.json"),
            ]
            for report in sorted(reports):
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
    return out


@dataclass(frozen=True)
class CreditsResult:
    """The credits of the songs asked for, as liner notes, an HTML page and DDEX RIN names."""

    songs: list[cr.SongCredits]
    text: str
    html: str
    rin: dict[str, object]


def credits(root: Path, song: str | None = None) -> CreditsResult:
    project = Project.open(root)
    office = project.office
    songs = project.songs() if song is None else [project.song(song_slug(project, song))]
    result = cr.album_credits(songs, office, song_facts(project))
    return CreditsResult(
        result,
        cr.liner_notes(project.album, result),
        cr.credits_html(project.album, result),
        cr.rin_json(project.album, result, office),
    )


__all__ = ["CreditsResult", "credits", "song_facts"]
