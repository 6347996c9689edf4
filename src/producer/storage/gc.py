"""What a project folder holds that nothing needs any more, and removing it (`producer gc`).

Three kinds of leftovers:

* **media** (``media/``: imported and recorded audio, which cannot be made again) that no
  document, snapshot, backup or history step refers to: the orphan of an import or recording
  killed before its document was saved. Media that any history step refers to is kept, so
  that every state `producer undo` can reach stays whole.
* **rendered parts** (``.producer/cache/parts/``, see ``producer.storage.parts``) that neither
  the documents, the snapshots nor the history steps of the last ``keep_days`` days use. They
  are a cache: an older state that needs one renders it again.
* **partial files** (``.<name>.<pid>.partial``, ``producer.fileio``) whose writer is gone: the
  remains of a killed render or import, anywhere in the project folder; and pin files of
  processes that are gone.

A file something refers to is never a leftover: references are found as text in every JSON
file of the project (documents, snapshots, backups, the journal, recordings' sidecars, and
whatever later features store there), so nothing is lost to a document this code does not
know; and files pinned by a running writer (``producer.storage.pins``) are kept.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from producer.fileio import stale_partial
from producer.storage import pins
from producer.storage.media import MEDIA_DIR
from producer.storage.parts import PARTS_DIR

DEFAULT_KEEP_DAYS = 7.0
"""Rendered parts used by history steps younger than this are kept (undo stays instant)."""

_REF_RE = re.compile(r"(?:media|\.producer/cache/parts)/[^\"\\\s]+")
_STEPS = ".producer/history/steps"
_CACHES = ".producer/cache"


@dataclass(frozen=True)
class Leftover:
    """A file `producer gc` removes: ``path`` relative to the project, its size, and why."""

    path: str
    bytes: int
    kind: str
    """"media", "rendered part", "partial file", "pin file", or a kind the caller adds
    ("recording", "analysis")."""
    why: str


@dataclass(frozen=True)
class Survey:
    """What `producer gc` would remove, and what it keeps."""

    leftovers: tuple[Leftover, ...]
    keep_days: float
    kept_media: int
    kept_parts: int
    kept_bytes: int
    kept_renders: int = 0
    notes: tuple[str, ...] = ()
    """What gc could not decide, said to the user (what it kept because of it)."""

    @property
    def bytes(self) -> int:
        return sum(x.bytes for x in self.leftovers)


def _walk(root: Path) -> Iterator[Path]:
    """Every file under ``root`` (symlinks not followed)."""
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            yield Path(folder) / name


def _refs(text: str) -> set[str]:
    return set(_REF_RE.findall(text))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def json_texts(root: Path) -> Iterator[tuple[str, str]]:
    """(path relative to ``root``, text) of every JSON file of the project that can refer to
    something: documents, snapshots, backups, history steps, reports, sidecars; not those of
    media/ and the caches (their own indexes, media hashes, refer to files but need none)."""
    for path in _walk(root):
        rel = path.relative_to(root).as_posix()
        if path.suffix == ".json" and not rel.startswith((MEDIA_DIR + "/", _CACHES + "/")):
            yield rel, _read(path)


def partial_leftovers(root: Path) -> list[Leftover]:
    """The partial files of dead writers anywhere in the project (a walk, no file read)."""
    root = Path(root)
    return [
        Leftover(
            path.relative_to(root).as_posix(),
            path.stat().st_size,
            "partial file",
            "its writer was stopped",
        )
        for path in _walk(root)
        if stale_partial(path)
    ]


def _step_time(text: str) -> float | None:
    try:
        value = json.loads(text).get("time")
    except (ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, int | float) else None


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in _walk(path))
    return path.stat().st_size if path.exists() else 0


def survey(
    root: Path,
    keep_days: float = DEFAULT_KEEP_DAYS,
    now: float | None = None,
    extra: Sequence[tuple[Path, str, str]] = (),
) -> Survey:
    """Find the leftovers of the project at ``root`` (nothing is changed).

    ``extra`` adds (file or folder, kind, why) that the caller knows to be leftovers from
    formats storage does not read (the saved captures of recordings).
    """
    root = Path(root)
    now = time.time() if now is None else now
    always: set[str] = set()  # named by documents, snapshots, backups...: kept, whatever it is
    history_old: set[str] = set()  # named only by history steps older than keep_days
    history_recent: set[str] = set()
    for rel, text in json_texts(root):
        if rel.startswith(_STEPS + "/"):
            when = _step_time(text)
            recent = when is None or now - when <= keep_days * 86400.0
            (history_recent if recent else history_old).update(_refs(text))
        else:
            always |= _refs(text)
    live_pins, dead_pin_files = pins.pinned(root)
    leftovers: list[Leftover] = []
    kept_media = kept_parts = kept_bytes = 0
    for folder, kind in ((MEDIA_DIR, "media"), (PARTS_DIR, "rendered part")):
        base = root / folder
        if not base.is_dir():
            continue
        for path in _walk(base):
            if stale_partial(path) or path.name.endswith(".partial"):
                continue  # a partial file: below, or a live writer's
            rel = path.relative_to(root).as_posix()
            size = path.stat().st_size
            if kind == "media":
                keep = rel in always or rel in history_recent or rel in history_old
            else:
                keep = rel in always or rel in history_recent
            if keep or rel in live_pins:
                kept_bytes += size
                if kind == "media":
                    kept_media += 1
                else:
                    kept_parts += 1
                continue
            if kind == "media":
                why = "no document, snapshot or history step refers to it"
            elif rel in history_old:
                why = f"used only by history steps older than {keep_days:g} days (renders again)"
            else:
                why = "no document, snapshot or recent history step uses it (renders again)"
            leftovers.append(Leftover(rel, size, kind, why))
    leftovers += partial_leftovers(root)
    for path in dead_pin_files:
        rel = path.relative_to(root).as_posix()
        leftovers.append(Leftover(rel, path.stat().st_size, "pin file", "its process is gone"))
    for path, kind, why in extra:
        rel = Path(path).resolve().relative_to(root.resolve()).as_posix()
        leftovers.append(Leftover(rel, _size(Path(path)), kind, why))
    return Survey(tuple(leftovers), keep_days, kept_media, kept_parts, kept_bytes)


def collect(root: Path, found: Survey) -> int:
    """Remove the leftovers of ``found`` (a ``survey`` of ``root``); returns bytes freed.

    The caller holds the project's write lock, so no document changes meanwhile; a file that
    is gone already is skipped.
    """
    freed = 0
    for x in found.leftovers:
        p = Path(root) / x.path
        try:
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()
        except FileNotFoundError:
            continue
        freed += x.bytes
    return freed


__all__ = [
    "DEFAULT_KEEP_DAYS",
    "Leftover",
    "Survey",
    "collect",
    "json_texts",
    "partial_leftovers",
    "survey",
]
