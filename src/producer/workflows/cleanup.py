"""Use cases of keeping a project small: `producer gc`, and the leftovers `validate` reports.

See ``producer.storage.gc`` for what counts as a leftover (unreferenced media, rendered parts
no recent state uses, partial files of killed writers) and what is never removed. This module
adds what storage cannot judge alone:

* **mix renders** (``renders/<render id>.wav``, the cache of whole-song mixes that
  ``producer master`` and the review studio play) that no song's current mix, no studio
  version or approval, and no project file names, and that are older than ``--keep-days``.
  They render again from the state they were made of. When the studio's database cannot be
  read, every render is kept and gc says why: a version's audio is never guessed away.
* recordings whose takes are saved, and the studio's analyses of renders that are gone (or
  removed in the same run).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from producer.errors import ProducerError, ValidationError
from producer.storage import Project
from producer.storage.gc import (
    DEFAULT_KEEP_DAYS,
    Leftover,
    Survey,
    json_texts,
    partial_leftovers,
    survey,
)
from producer.storage.project import ALBUM_FILE
from producer.workflows.mix import RENDER_ID, RENDERS_DIR, render_id


@dataclass
class _Renders:
    """The verdict on ``renders/``: leftovers (as gc's extras), what is kept, and a note."""

    leftovers: list[tuple[Path, str, str]] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)  # ids whose file is missing or removed now
    kept: int = 0
    kept_bytes: int = 0
    notes: list[str] = field(default_factory=list)


def _studio_render_ids(root: Path) -> set[str]:
    """Render ids the studio's database names (empty when the project has no studio yet);
    ProducerError when a database is configured but cannot be read."""
    from producer.storage.studio import StudioStore, read_studio

    return read_studio(root, StudioStore.render_ids) or set()


def _named_render_ids(root: Path) -> set[str]:
    """Render ids something needs: each song's current mix, the studio's versions and
    approvals, and any id written in a project file (an approval in a document or a history
    step, a master's report)."""
    project = Project.open(root)
    named = {render_id(project, song) for song in project.songs()}
    named |= _studio_render_ids(root)
    for _rel, text in json_texts(root):
        named.update(RENDER_ID.findall(text))
    return named


def _renders(root: Path, keep_days: float, now: float) -> _Renders:
    folder = root / RENDERS_DIR
    found = _Renders()
    files = sorted(folder.glob("*.wav")) if folder.is_dir() else []
    files = [p for p in files if RENDER_ID.fullmatch(p.stem) and p.is_file()]
    if not files:
        return found
    try:
        named = _named_render_ids(root)
    except ProducerError as exc:
        found.kept = len(files)
        found.kept_bytes = sum(p.stat().st_size for p in files)
        found.notes.append(f"kept every mix render in {RENDERS_DIR}/: {exc.message}")
        return found
    for p in files:
        st = p.stat()
        if p.stem in named or now - st.st_mtime <= keep_days * 86400.0:
            found.kept += 1
            found.kept_bytes += st.st_size
            continue
        why = (
            f"an earlier mix, older than {keep_days:g} days, that no song, studio version, "
            "approval or report names (renders again from its state)"
        )
        found.leftovers.append((p, "mix render", why))
        found.gone.add(p.stem)
    return found


def _extras(root: Path, renders: _Renders) -> list[tuple[Path, str, str]]:
    """Leftovers of formats storage does not read: mix renders (``renders``, judged before),
    recordings whose takes are saved, and the studio's analyses of renders that are gone."""
    from producer.workflows.analyze import ANALYSIS_DIR
    from producer.workflows.tracking import saved_captures

    why = "a recording whose takes are saved in media/"
    found = [(folder, "recording", why) for folder in saved_captures(root)]
    found += renders.leftovers
    analyses = root / ANALYSIS_DIR
    if analyses.is_dir():
        for p in sorted(analyses.iterdir()):
            if not p.is_file():
                continue
            if p.stem in renders.gone:
                reason = f"the analysis of render {p.stem[:12]}, removed with it"
            elif not (root / RENDERS_DIR / f"{p.stem}.wav").is_file():
                reason = f"the analysis of render {p.stem[:12]}, whose file is gone"
            else:
                continue
            found.append((p, "analysis", reason))
    return found


def _with_renders(found: Survey, renders: _Renders) -> Survey:
    return replace(
        found,
        kept_renders=renders.kept,
        kept_bytes=found.kept_bytes + renders.kept_bytes,
        notes=(*found.notes, *renders.notes),
    )


def gc(
    root: Path, keep_days: float = DEFAULT_KEEP_DAYS, dry_run: bool = False
) -> tuple[Survey, int]:
    """Remove the project's leftovers (none with ``dry_run``); returns (survey, bytes freed)."""
    if not math.isfinite(keep_days) or keep_days < 0:
        raise ValidationError(f"--keep-days: {keep_days} is not a number of days of 0 or more")
    root = Path(root)
    # Opening a project sweeps the partial files of dead writers in the folders it writes to:
    # list them first, so that what gc removed is all said.
    before = partial_leftovers(root) if (root / ALBUM_FILE).is_file() else []
    renders = _Renders()

    def extras() -> list[tuple[Path, str, str]]:
        # Judged under the project's write lock (Project.garbage), so no document changes
        # between the verdict and the removal.
        nonlocal renders
        renders = _renders(root, keep_days, time.time())
        return _extras(root, renders)

    found, freed = Project.open(root).garbage(keep_days, remove=not dry_run, extra=extras)
    found = _with_renders(found, renders)
    swept = [x for x in before if not (root / x.path).exists()]
    if swept:
        found = replace(found, leftovers=(*swept, *found.leftovers))
        freed += sum(x.bytes for x in swept) if not dry_run else 0
    return found, freed


def leftovers(root: Path) -> Survey:
    """What `producer gc` would remove with its default retention (nothing is changed); nothing
    for a folder that is not a project (its problem is reported by `validate` itself)."""
    root = Path(root)
    if not (root / ALBUM_FILE).is_file():
        return Survey((), DEFAULT_KEEP_DAYS, 0, 0, 0)
    # Judging the renders opens the project, which sweeps dead writers' partial files: list
    # them first (the caller says which are gone already).
    before = partial_leftovers(root)
    renders = _renders(root, DEFAULT_KEEP_DAYS, time.time())
    found = _with_renders(survey(root, extra=_extras(root, renders)), renders)
    swept = [x for x in before if not (root / x.path).exists()]
    return replace(found, leftovers=(*swept, *found.leftovers)) if swept else found


__all__ = ["DEFAULT_KEEP_DAYS", "Leftover", "Survey", "gc", "leftovers"]
