"""Loading a project's documents: read, validate, and say what is wrong and the way back.

``_load`` reads every document into a ``_State``: one that cannot be read is listed in
``broken`` (the others load), every validation and media problem in ``problems``, the office's
in ``office_problems``. A document written in an older format is backed up before its first
upgrade (``_backup``); half-written temporary files a killed writer left are swept on open
(``_sweep_temp_files``). A damaged document's error says how to get it back from the history
(``_damaged_error``: ``producer undo``, or by hand when the history has no good version).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from producer.errors import FormatError, NotFoundError, ValidationError
from producer.fileio import stale_partial
from producer.model import (
    Album,
    Office,
    Person,
    Roster,
    Song,
    validate_album,
    validate_office,
    validate_song,
)
from producer.model.office import OFFICE_DOCUMENTS
from producer.storage import migrations
from producer.storage.codec import from_dict
from producer.storage.documents import (
    ALBUM_FILE,
    META_DIR,
    OFFICE_DIR,
    SLUG_RE,
    SONGS_DIR,
    _decode_album,
    decode,
    office_file,
    song_file,
)
from producer.storage.files import atomic_copy, read_text
from producer.storage.history import History, Step
from producer.storage.media import HashCache, media_problems
from producer.storage.parts import PARTS_DIR

_OFFICE_TYPES: dict[str, type] = get_type_hints(Office)


@dataclass
class _State:
    album: Album
    songs: dict[str, Song]
    office: Office = field(default_factory=Office)
    office_problems: list[str] = field(default_factory=list)
    """Why the office cannot be used (unreadable or invalid documents); empty when sound."""
    broken: dict[str, str] = field(default_factory=dict)
    """Document path → why it cannot be read (the FormatError); such a file is left as it is,
    and the other documents stay usable."""
    problems: list[str] = field(default_factory=list)
    """Every validation and media problem of the album and songs found when loading."""


def _office_error(problems: list[str]) -> ValidationError:
    return ValidationError(problems[0], problems)


def _load_office(
    text_of: Any, backup: Any, moved_people: list[dict[str, Any]] | None
) -> tuple[Office, list[str]]:
    """The office documents (a missing one is empty), and every problem found in them."""
    docs: dict[str, Any] = {}
    problems: list[str] = []
    for doc in OFFICE_DOCUMENTS:
        rel = office_file(doc)
        text = text_of(rel)
        if text is None:
            if doc == "people" and moved_people:
                # Format 1 kept the people in album.json: they are the roster until it is saved.
                try:
                    people = tuple(
                        from_dict(Person, p, f"{ALBUM_FILE}: people[{i}]")
                        for i, p in enumerate(moved_people)
                    )
                except FormatError as exc:
                    problems.append(exc.message)
                else:
                    docs[doc] = Roster(people)
            continue
        value: object
        try:
            value, version = decode(_OFFICE_TYPES[doc], "office", text, rel)
        except FormatError as exc:
            problems.append(exc.message)
            continue
        backup(rel, version)
        docs[doc] = value
    office = Office(**docs)
    if not problems:
        problems = validate_office(office)
    return office, problems


def _song_problems(song: Song, name: str, slug: str, album: Album) -> list[str]:
    problems = [f"{name}: {p}" for p in validate_song(song)]
    if song.slug != slug:
        problems.append(f"{name}: slug: {song.slug!r} differs from the file name {slug!r}")
    if song.sample_rate != album.sample_rate and song.sample_rate > 0 < album.sample_rate:
        problems.append(
            f"{name}: sample_rate: {song.sample_rate} differs from the album's {album.sample_rate}"
        )
    return problems


def media_paths(songs: Iterable[Song]) -> set[str]:
    """Paths of every file the clips of ``songs`` refer to (media and rendered parts)."""
    return {c.media.path for s in songs for t in s.tracks for lane in t.lanes for c in lane.clips}


def _media_problems(root: Path, song: Song, name: str, cache: HashCache) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for t in song.tracks:
        for lane in t.lanes:
            for c in lane.clips:
                if c.media.path in seen:
                    continue
                seen.add(c.media.path)
                problems += media_problems(
                    root, c.media, cache, f"{name}: tracks[{t.name}].clips[{c.id}]"
                )
    return problems


def offline_media(song: Song, name: str) -> list[str]:
    """One line per clip whose media is offline (imported from another DAW's session without
    its audio): listed by `validate`, never blocking the project from opening."""
    return [
        f"{name}: tracks[{t.name}].clips[{c.id}].media: offline — {c.media.source_name!r} was "
        "not found when the session was imported; the clip plays silence"
        for t in song.tracks
        for lane in t.lanes
        for c in lane.clips
        if c.media.offline
    ]


def _load(root: Path, backup: bool, pending: dict[str, str | None] | None = None) -> _State:
    """Read every document: unreadable ones in ``broken``, validation problems in ``problems``.

    One broken document does not take the project down: the others load, and the state says
    which cannot be read and why. ``pending`` holds the documents of a write in progress (the
    journal of another process): they are read from there, so a reader sees the step whole,
    never half applied.
    """
    pending = pending or {}

    def text_of(rel: str) -> str | None:
        if rel in pending:
            return pending[rel]
        path = root / rel
        return read_text(path, rel) if path.is_file() else None

    album_text = text_of(ALBUM_FILE)
    if album_text is None:
        raise NotFoundError(
            f"{root}: not a producer project (no {ALBUM_FILE}); create one with `producer new`"
        )
    try:
        album, version, moved_people = _decode_album(album_text, ALBUM_FILE)
    except FormatError as exc:
        return _State(
            Album(title="", artist=""), {}, broken={ALBUM_FILE: exc.message}, problems=[exc.message]
        )

    def backup_older(rel: str, version: int) -> None:
        if backup and version < migrations.FORMAT_VERSION and rel not in pending:
            _backup(root, rel, version)

    backup_older(ALBUM_FILE, version)
    problems = [f"{ALBUM_FILE}: {p}" for p in validate_album(album)]
    songs: dict[str, Song] = {}
    broken: dict[str, str] = {}
    cache = HashCache(root)
    for slug in album.songs:
        name = song_file(slug)
        if not SLUG_RE.fullmatch(slug):
            problems.append(f"{ALBUM_FILE}: songs: {slug!r} is not a slug (a-z, 0-9, hyphens)")
            continue
        try:
            text = text_of(name)
            if text is None:
                problems.append(f"{ALBUM_FILE}: songs: {slug!r} has no document {name}")
                continue
            song, version = decode(Song, "song", text, name)
        except FormatError as exc:
            broken[name] = exc.message
            problems.append(exc.message)
            continue
        if backup and version < migrations.FORMAT_VERSION and name not in pending:
            _backup(root, name, version)
        songs[slug] = song
        problems += _song_problems(song, name, slug, album)
        problems += _media_problems(root, song, name, cache)
    songs_dir = root / SONGS_DIR
    files = (
        {f"{SONGS_DIR}/{p.name}" for p in songs_dir.glob("*.json")} if songs_dir.is_dir() else set()
    )
    files |= {
        rel for rel, text in pending.items() if text is not None and rel.startswith(f"{SONGS_DIR}/")
    }
    files -= {rel for rel, text in pending.items() if text is None}
    for rel in sorted(files):
        if Path(rel).stem not in album.songs:
            problems.append(f"{rel}: not listed in {ALBUM_FILE} songs")
    cache.save()
    office, office_problems = _load_office(text_of, backup_older, moved_people)
    return _State(album, songs, office, office_problems, broken, problems)


def _backup(root: Path, rel: str, version: int) -> None:
    """Keep the file as it was before its first upgrade (Ardour's ``.bak`` habit)."""
    dst = root / META_DIR / "backups" / f"format-{version}" / rel
    if not dst.exists():
        atomic_copy(root / rel, dst)


def _sweep_temp_files(root: Path) -> None:
    """Delete half-written temporary files (``.<name>.<pid>.partial``) that a killed writer left
    in the folders producer writes to (documents, media, the parts cache, mixes, masters).

    Called under the write lock, and only for pids that are gone, so no live write loses its
    file. They never hold committed data: a save only counts once renamed into place.
    `producer gc` looks in every folder of the project.
    """
    folders = [
        root,
        root / SONGS_DIR,
        root / OFFICE_DIR,
        root / "media",
        root / META_DIR,
        root / META_DIR / "history",
        root / META_DIR / "history" / "steps",
        root / PARTS_DIR,
    ]
    for outputs in ("mixes", "renders", "masters"):
        base = root / outputs
        if base.is_dir():
            folders += [base, *(p for p in base.rglob("*") if p.is_dir())]
    for folder in folders:
        if not folder.is_dir():
            continue
        for p in folder.iterdir():
            if stale_partial(p):
                p.unlink(missing_ok=True)


def _good_version(history: History, rel: str) -> tuple[Step, str] | None:
    """The step that last wrote document ``rel`` and its text, when that text reads."""
    found = history.last_version(rel)
    if found is None:
        return None
    step, text = found
    if text is None:
        return None
    try:
        if rel == ALBUM_FILE:
            _decode_album(text, rel)
        else:
            decode(Song, "song", text, rel)
    except FormatError:
        return None  # the history's own text does not read either
    return step, text


def _damaged_error(state: _State, rel: str, history: History) -> FormatError:
    """The error of reading damaged document ``rel``, with the way back when there is one."""
    if migrations.NEWER in state.broken[rel]:  # written by a newer producer: not damage
        return FormatError(state.broken[rel])
    found = _good_version(history, rel)
    if found is not None:
        hint = f"`producer undo` brings back its last good version (step {found[0].number})"
    else:
        hint = "the history holds no earlier version: fix the file by hand"
    return FormatError(f"{state.broken[rel]} ({hint})")


def _with_hints(state: _State, history: History) -> list[str]:
    """The state's problems, a damaged document's with the way back (``_damaged_error``)."""
    return [
        _damaged_error(state, p.split(":", 1)[0], history).message
        if p.split(":", 1)[0] in state.broken
        else p
        for p in state.problems
    ]


def _all_problems(state: _State, history: History) -> list[str]:
    """What `validate` lists from the documents: albums and songs (damaged ones with the way
    back), the office, offline media."""
    offline = [
        line for slug, song in state.songs.items() for line in offline_media(song, song_file(slug))
    ]
    return _with_hints(state, history) + state.office_problems + offline
