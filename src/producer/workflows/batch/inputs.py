"""What the user named on the command line, resolved into inputs: audio files and project songs.

An INPUT is

* an **audio file**: taken as audio whatever its extension (a file the user names explicitly
  is meant to be processed; if it is not audio, that is this input's error, reported);
* a **project folder** (it holds ``album.json``): each of its songs, in album order;
* a **folder**: walked recursively, sorted. Sub-folders that are projects give their songs
  (their ``media/`` pools are never walked into). Other files are audio when their extension
  is one libsndfile reads (:data:`AUDIO_EXTENSIONS`, any case) — deciding by extension keeps
  a walk of thousands of files cheap and leaves cover art, PDFs and session files alone; an
  audio-named file that turns out not to be audio is reported as that input's error. Hidden
  files and folders, half-written ``.partial`` files and the batch's own output folder are
  skipped; every other file left out is listed in :attr:`Expansion.ignored`, never silently;
* a **manifest** (a ``.csv`` file, header ``input,profile,output``; ``profile`` and ``output``
  may be empty or absent): each row's input (relative to the CSV's folder) is resolved by the
  rules above, with that row's profile and output.

A name that does not exist, or a project that does not open, becomes an input with an
``error``: reported with the rest, it never stops the batch. A malformed manifest is the
user's command being wrong, and refused at once (FormatError naming the file and line).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from producer.audio import AUDIO_EXTENSIONS
from producer.errors import FormatError, ProducerError

MANIFEST_COLUMNS = ("input", "profile", "output")
PROJECT_MARKER = "album.json"


@dataclass(frozen=True)
class Item:
    """One input: an audio file (``song`` empty) or the song ``song`` of the project ``path``.

    ``label`` names it for people (as given, or ``project:slug``); ``base`` is its folder
    relative to the folder that was walked ("" when named directly), kept in the output
    layout; ``profile``/``output`` come from a manifest row ("" = the command's own).
    """

    label: str
    path: Path
    song: str = ""
    base: str = ""
    profile: str = ""
    output: str = ""
    error: str = ""

    @property
    def is_song(self) -> bool:
        return bool(self.song)


@dataclass
class Expansion:
    """The inputs found, in order, and the files a folder walk left out (not audio)."""

    items: list[Item] = field(default_factory=list)
    ignored: list[Path] = field(default_factory=list)


def is_project(folder: Path) -> bool:
    return (folder / PROJECT_MARKER).is_file()


def _project_songs(root: Path, label: str, base: str, profile: str, output: str) -> list[Item]:
    from producer.storage import Project

    try:
        project = Project.open(root)
        slugs = [s.slug for s in project.songs()]
    except ProducerError as exc:
        return [Item(label, root, base=base, error=exc.message)]
    if not slugs:
        return [Item(label, root, base=base, error="the project has no songs")]
    return [Item(f"{label}:{slug}", root, slug, base, profile, output) for slug in slugs]


def _inside(path: Path, folder: Path | None) -> bool:
    if folder is None:
        return False
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def _walk(folder: Path, top: Path, exclude: Path | None, found: Expansion) -> None:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        found.items.append(Item(str(folder), folder, error=exc.strerror or str(exc)))
        return
    for entry in entries:
        path = Path(entry.path)
        if entry.name.startswith(".") or _inside(path, exclude):
            continue
        rel = path.relative_to(top).as_posix()
        if entry.is_dir():
            if is_project(path):
                found.items += _project_songs(path, str(path), rel, "", "")
            else:
                _walk(path, top, exclude, found)
        elif entry.is_file():
            if path.suffix.lower() in AUDIO_EXTENSIONS:
                parent = path.parent.relative_to(top).as_posix()
                found.items.append(Item(str(path), path, base="" if parent == "." else parent))
            else:
                found.ignored.append(path)


def _manifest_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise FormatError(f"{path}: a manifest must be UTF-8 text (CSV)") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "input" not in header:
        raise FormatError(
            f"{path}: line 1: a manifest starts with the header "
            f"{','.join(MANIFEST_COLUMNS)} (profile and output may be left out)"
        )
    unknown = [h for h in header if h not in MANIFEST_COLUMNS]
    if unknown:
        raise FormatError(
            f"{path}: line 1: unknown column(s) {', '.join(unknown)} "
            f"(known: {', '.join(MANIFEST_COLUMNS)})"
        )
    reader.fieldnames = header
    for row in reader:
        line = reader.line_num
        if None in row:  # more cells than columns
            raise FormatError(f"{path}: line {line}: more values than the header has columns")
        cells = {k: (v or "").strip() for k, v in row.items()}
        if not any(cells.values()):
            continue
        if not cells.get("input"):
            raise FormatError(f"{path}: line {line}: input is empty")
        yield line, cells


def _one(arg: Path, exclude: Path | None, found: Expansion, profile: str, output: str) -> None:
    # "." (a project run from inside it) is named by its folder's name.
    label = arg.resolve().name if str(arg) in (".", "") and arg.is_dir() else str(arg)
    if not arg.exists():
        found.items.append(Item(label, arg, error="no such file or folder"))
    elif arg.is_dir():
        if is_project(arg):
            found.items += _project_songs(arg, label, "", profile, output)
        elif profile or output:
            # A manifest row naming a folder: its files keep the row's profile and output.
            sub = Expansion()
            _walk(arg, arg, exclude, sub)
            found.items += [
                Item(i.label, i.path, i.song, i.base, profile, output, i.error) for i in sub.items
            ]
            found.ignored += sub.ignored
        else:
            _walk(arg, arg, exclude, found)
    else:
        found.items.append(Item(label, arg, profile=profile, output=output))


def expand(args: Sequence[Path], exclude: Path | None = None) -> Expansion:
    """Resolve the command's INPUT arguments (see the module docstring), in the order given.

    ``exclude`` is the batch's output folder: never walked into, so a rerun does not take
    yesterday's masters for inputs. The same input named twice counts once.
    """
    found = Expansion()
    for arg in args:
        if arg.is_file() and arg.suffix.lower() == ".csv":
            for line, cells in _manifest_rows(arg):
                where = f"{arg}: line {line}"
                target = Path(cells["input"])
                target = target if target.is_absolute() else arg.parent / target
                if target.suffix.lower() == ".csv":
                    raise FormatError(f"{where}: a manifest cannot name another manifest")
                before = len(found.items)
                _one(target, exclude, found, cells.get("profile", ""), cells.get("output", ""))
                for i in range(before, len(found.items)):
                    item = found.items[i]
                    if item.error:
                        found.items[i] = Item(
                            f"{where}: {item.label}", item.path, item.song, error=item.error
                        )
        else:
            _one(arg, exclude, found, "", "")
    seen: set[tuple[str, str, str, str]] = set()
    unique: list[Item] = []
    for item in found.items:
        ident = (str(item.path.resolve()), item.song, item.profile, item.output)
        if ident in seen and not item.error:
            continue
        seen.add(ident)
        unique.append(item)
    found.items = unique
    return found


__all__ = ["AUDIO_EXTENSIONS", "MANIFEST_COLUMNS", "Expansion", "Item", "expand", "is_project"]
