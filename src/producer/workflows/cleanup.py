"""Use cases of keeping a project small: `producer gc`, and the leftovers `validate` reports.

See ``producer.storage.gc`` for what counts as a leftover (unreferenced media, rendered parts
no recent state uses, partial files of killed writers) and what is never removed.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

from producer.errors import ValidationError
from producer.storage import Project
from producer.storage.gc import DEFAULT_KEEP_DAYS, Leftover, Survey, survey
from producer.storage.project import ALBUM_FILE


def gc(
    root: Path, keep_days: float = DEFAULT_KEEP_DAYS, dry_run: bool = False
) -> tuple[Survey, int]:
    """Remove the project's leftovers (none with ``dry_run``); returns (survey, bytes freed)."""
    if not math.isfinite(keep_days) or keep_days < 0:
        raise ValidationError(f"--keep-days: {keep_days} is not a number of days of 0 or more")
    # Opening a project sweeps the partial files of dead writers in the folders it writes to:
    # list them first, so that what gc removed is all said.
    if (Path(root) / ALBUM_FILE).is_file():
        before = [x for x in survey(Path(root), keep_days).leftovers if x.kind == "partial file"]
    else:
        before = []
    found, freed = Project.open(root).garbage(
        keep_days, remove=not dry_run, extra=lambda: _captures(Path(root))
    )
    swept = [x for x in before if not (Path(root) / x.path).exists()]
    if swept:
        found = replace(found, leftovers=(*swept, *found.leftovers))
        freed += sum(x.bytes for x in swept) if not dry_run else 0
    return found, freed


def _captures(root: Path) -> list[tuple[Path, str, str]]:
    """Leftovers of formats storage does not read: recordings whose takes are saved, and
    the studio's analyses of renders that are gone."""
    from producer.workflows.analyze import ANALYSIS_DIR
    from producer.workflows.tracking import saved_captures

    why = "a recording whose takes are saved in media/"
    found = [(folder, "recording", why) for folder in saved_captures(root)]
    analyses = root / ANALYSIS_DIR
    if analyses.is_dir():
        found += [
            (p, "analysis", f"the analysis of render {p.stem[:12]}, whose file is gone")
            for p in sorted(analyses.iterdir())
            if p.is_file() and not (root / "renders" / f"{p.stem}.wav").is_file()
        ]
    return found


def leftovers(root: Path) -> Survey:
    """What `producer gc` would remove with its default retention (nothing is changed); nothing
    for a folder that is not a project (its problem is reported by `validate` itself)."""
    if not (Path(root) / ALBUM_FILE).is_file():
        return Survey((), DEFAULT_KEEP_DAYS, 0, 0, 0)
    return survey(Path(root), extra=_captures(Path(root)))


__all__ = ["DEFAULT_KEEP_DAYS", "Leftover", "Survey", "gc", "leftovers"]
