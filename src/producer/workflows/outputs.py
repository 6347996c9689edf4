"""The rules every writer of a user-visible file follows (mixes, stems, masters, MIDI, click).

* Never over the project itself: a render, a MIDI export or a click track named into
  ``media/`` (the pool the documents point into, never modified), ``songs/``, ``office/``,
  ``.producer/``
  or over ``album.json`` would destroy work that cannot be re-created. Refused, one line.
* Never over the file it is made from (a master written over its input, a click over the
  recording it is for): refused.
* A file that replaces another says so: :func:`existing` is asked before the write and the
  shells print "replaced ..." for each.
"""

from __future__ import annotations

from pathlib import Path

from producer.errors import UserError

#: Folders and files of a project that hold the user's work (``storage`` owns them).
PROJECT_PARTS = ("media", "songs", "office", ".producer", "album.json")


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def check_output(path: Path, project_root: Path | None = None, *inputs: Path | None) -> None:
    """Refuse to write ``path`` over project documents, the media pool, or an input."""
    if project_root is not None and (project_root / "album.json").is_file():
        for part in PROJECT_PARTS:
            if _inside(path, project_root / part):
                raise UserError(
                    f"{path}: is inside the project's {part} (the project's own files); "
                    "write the output somewhere else"
                )
    for source in inputs:
        if source is not None and path.exists() and source.exists() and path.samefile(source):
            raise UserError(f"{path}: is an input of this command; name another output")


def existing(*paths: Path) -> tuple[Path, ...]:
    """The paths that already exist: a write will replace them (and must say so)."""
    return tuple(p for p in paths if p.exists())


__all__ = ["PROJECT_PARTS", "check_output", "existing"]
