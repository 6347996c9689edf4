"""A project folder: open, validate, change in undoable transactions, import media.

    my-album/
      album.json          the Album, with "format_version"
      songs/<slug>.json   one Song each, with "format_version"
      office/<doc>.json   the office (people, bookings, budget, contracts, splits), each with
                          "format_version"; a missing one is empty
      media/              imported audio, never modified (``producer.storage.media``)
      .producer/          lock, journal, history, snapshots, backups, caches

Reading needs no lock; every write takes the write lock (``producer.storage.lock``) and goes
through the journal of ``producer.storage.history``, so it is atomic across documents,
undoable after a restart and survives a kill at any point.

A broken document does not take the project down. A song or album document that cannot be
read is left as it is: the others load, reading it raises its FormatError with the way back
(``producer undo`` puts back its last good version, ``restore_damaged``), and a song's
validation or media problems are listed (``problems``), not raised, so that `show`,
`history` and edits of other songs work. A broken office document (unreadable, or breaking a
rule) does not block the songs either: ``project.office`` raises its problem, and
``Project.check`` lists it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

from producer.errors import FormatError, LockedError, NotFoundError, UserError, ValidationError
from producer.fileio import stale_partial
from producer.model import (
    Album,
    MediaRef,
    Office,
    Person,
    Roster,
    Song,
    validate_album,
    validate_office,
    validate_song,
)
from producer.model.office import OFFICE_DOCUMENTS
from producer.storage import gc, migrations, pins
from producer.storage.codec import from_dict, to_dict
from producer.storage.files import (
    atomic_copy,
    atomic_write_text,
    dumps,
    loads,
    read_text,
)
from producer.storage.history import Change, History, HistoryEntry, Step
from producer.storage.lock import WriteLock
from producer.storage.media import HashCache, import_file, media_problems
from producer.storage.parts import PARTS_DIR

ALBUM_FILE = "album.json"
SONGS_DIR = "songs"
OFFICE_DIR = "office"
META_DIR = ".producer"
SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_READ_ATTEMPTS = 20
SNAPSHOT_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

T = TypeVar("T")


def song_file(slug: str) -> str:
    """Relative path of a song's document."""
    return f"{SONGS_DIR}/{slug}.json"


def office_file(doc: str) -> str:
    """Relative path of an office document (``people`` → ``office/people.json``)."""
    return f"{OFFICE_DIR}/{doc}.json"


_OFFICE_TYPES: dict[str, type] = get_type_hints(Office)


def encode(obj: object) -> str:
    """The document text of an album, song or office document: format_version first, then
    every field."""
    return dumps({"format_version": migrations.FORMAT_VERSION, **to_dict(obj)})


def decode(cls: type[T], kind: str, text: str, name: str) -> tuple[T, int]:
    """Parse document text of file ``name``; returns the object and the version it was in."""
    data = loads(text, name)
    version = migrations.document_version(data, name)
    body = migrations.upgrade(kind, data, name)
    try:
        return from_dict(cls, body), version
    except FormatError as exc:
        raise FormatError(f"{name}: {exc.message}") from None


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


def _decode_album(text: str, name: str) -> tuple[Album, int, list[dict[str, Any]] | None]:
    """The album, its format version, and the people a format upgrade moved out of it."""
    data = loads(text, name)
    version = migrations.document_version(data, name)
    body = migrations.upgrade("album", data, name)
    moved = migrations.take_moved_people(body)
    try:
        return from_dict(Album, body), version, moved
    except FormatError as exc:
        raise FormatError(f"{name}: {exc.message}") from None


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


def _raise_problems(root: Path, problems: list[str]) -> None:
    if problems:
        raise ValidationError(problems[0], problems)


@dataclass(frozen=True)
class Restored:
    """A damaged document put back as the history last wrote it (``Project.restore_damaged``)."""

    path: str
    reason: str
    """Why it could not be read."""
    step: int
    label: str
    kept: str | None
    """Where the damaged file was kept (relative to the project), None when it was absent."""


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


class Transaction:
    """The pending changes of one ``with project.transaction(label)`` block.

    Reads (``album``, ``song``, ``songs``) see the pending changes; nothing reaches the disk
    until the block ends without an exception, then all of it as one undo step.
    """

    def __init__(self, state: _State, history: History) -> None:
        self.album = state.album
        self._songs = dict(state.songs)
        self._office = state.office
        self._office_problems = list(state.office_problems)
        self._base = state
        self._history = history

    def song(self, slug: str) -> Song:
        rel = song_file(slug)
        if slug not in self._songs and rel in self._base.broken and slug in self.album.songs:
            raise _damaged_error(self._base, rel, self._history)
        if slug not in self._songs:
            known = ", ".join(self.album.songs) or "none"
            raise NotFoundError(f"no song {slug!r} (songs: {known})")
        return self._songs[slug]

    def songs(self) -> list[Song]:
        return [self._songs[s] for s in self.album.songs if s in self._songs]

    def put_song(self, song: Song) -> None:
        """Add or replace a song (a new slug is appended to the album's song order)."""
        if not SLUG_RE.fullmatch(song.slug):
            raise ValidationError(f"slug: {song.slug!r} is not a slug (a-z, 0-9, hyphens)")
        self._songs[song.slug] = song
        if song.slug not in self.album.songs:
            self.album = replace(self.album, songs=(*self.album.songs, song.slug))

    def remove_song(self, slug: str) -> None:
        if song_file(slug) not in self._base.broken:  # a damaged document may be removed
            self.song(slug)
        self._songs.pop(slug, None)
        self.album = replace(self.album, songs=tuple(s for s in self.album.songs if s != slug))

    def put_album(self, album: Album) -> None:
        self.album = album

    @property
    def office(self) -> Office:
        """The office as this transaction changed it (ValidationError if it is broken)."""
        if self._office_problems:
            raise _office_error(self._office_problems)
        return self._office

    def put_office(self, office: Office) -> None:
        """Replace the office documents (validated when the transaction commits)."""
        self._office = office
        self._office_problems = []

    def state(self) -> _State:
        return _State(
            self.album,
            dict(self._songs),
            self._office,
            self._office_problems,
            dict(self._base.broken),
            list(self._base.problems),
        )


def _all_problems(state: _State, history: History) -> list[str]:
    """What `validate` lists from the documents: albums and songs (damaged ones with the way
    back), the office, offline media."""
    offline = [
        line for slug, song in state.songs.items() for line in offline_media(song, song_file(slug))
    ]
    return _with_hints(state, history) + state.office_problems + offline


class Project:
    """An open project folder. See the module docstring for the layout."""

    def __init__(self, root: Path, state: _State) -> None:
        self.root = root
        self._state = state
        self._seen: tuple[tuple[str, int, int, int], ...] | None = None
        self._lock = WriteLock(root / META_DIR / "lock", str(root))
        self._history = History(root)

    # ------------------------------------------------------------ opening

    @classmethod
    def create(cls, root: Path, title: str, artist: str, sample_rate: int = 48000) -> Project:
        """Make a new project in ``root`` (created; refused when it holds anything)."""
        root = Path(root)
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            what = "a project already" if (root / ALBUM_FILE).exists() else "files"
            raise UserError(f"{root}: folder holds {what}; choose a new or empty folder")
        album = Album(title=title, artist=artist, sample_rate=sample_rate)
        problems = [f"{ALBUM_FILE}: {p}" for p in validate_album(album)]
        _raise_problems(root, problems)
        for sub in (SONGS_DIR, "media", META_DIR):
            (root / sub).mkdir(parents=True, exist_ok=True)
        atomic_write_text(root / ALBUM_FILE, encode(album))
        return cls(root, _State(album, {}))

    @classmethod
    def open(cls, root: Path) -> Project:
        """Open ``root``: finish an interrupted write, load and validate every document.

        Raises NotFoundError when ``root`` is no project. A document that cannot be read does
        not stop the others: reading it (``song``, ``album``) raises its FormatError, naming
        the file and field; ``problems`` lists everything ``validate`` reports.
        """
        root = Path(root)
        project = cls(root, _State(Album(title="", artist=""), {}))
        if (root / ALBUM_FILE).is_file():
            try:
                project._lock.acquire()
            except (LockedError, OSError):
                pass  # a writer finishes its own journal; a read-only folder is read as it is
            else:
                try:
                    project._history.recover()
                    _sweep_temp_files(root)
                finally:
                    project._lock.release()
        project.reload()
        return project

    @staticmethod
    def check(root: Path) -> list[str]:
        """Every problem of the project at ``root`` (unreadable files included), for `validate`."""
        history = History(Path(root))
        try:
            state = _load(Path(root), False, history.pending_files())
        except (FormatError, NotFoundError) as exc:
            return [exc.message]
        return _all_problems(state, history)

    def _fingerprint(self) -> tuple[tuple[str, int, int, int], ...]:
        """(name, inode, size, mtime) of every document: every save renames a new file into
        place (a new inode), and a hand edit changes the mtime, so equal fingerprints mean
        the documents are the ones already loaded."""
        paths = [self.root / ALBUM_FILE, self._history.journal_path]
        songs_dir = self.root / SONGS_DIR
        if songs_dir.is_dir():
            paths += sorted(songs_dir.glob("*.json"))
        paths += [self.root / office_file(doc) for doc in OFFICE_DOCUMENTS]
        out = []
        for p in paths:
            try:
                st = p.stat()
            except FileNotFoundError:
                out.append((p.name, 0, 0, 0))
                continue
            out.append((p.name, st.st_ino, st.st_size, st.st_mtime_ns))
        return tuple(out)

    def reload(self) -> None:
        """Read and validate every document again (``problems`` and ``damaged`` list what is wrong).

        Without the lock another process may be writing: documents are read as the journal
        says they will be, and the read is repeated if a document was replaced meanwhile
        (optimistic: the fingerprint before and after the read must agree).
        """
        for attempt in range(_READ_ATTEMPTS):
            seen = self._fingerprint()
            state = _load(self.root, True, self._history.pending_files())
            if self._fingerprint() == seen or attempt + 1 == _READ_ATTEMPTS:
                break
            time.sleep(0.01 * (attempt + 1))
        self._state = state
        self._seen = seen

    def reload_if_changed(self) -> None:
        """Read the documents again only if another process (or a hand edit) changed them."""
        self._refresh()

    def _refresh(self) -> None:
        """Under the lock: reload only if another process (or a hand edit) changed a document
        since this object read them, so open-then-edit reads the documents once."""
        if self._seen is None or self._fingerprint() != self._seen:
            self.reload()

    # ------------------------------------------------------------ reading

    @property
    def album(self) -> Album:
        if ALBUM_FILE in self._state.broken:
            raise _damaged_error(self._state, ALBUM_FILE, self._history)
        return self._state.album

    @property
    def problems(self) -> list[str]:
        """Every problem found when the documents were read (what `validate` lists from them:
        unreadable documents with the way back, the office, offline media)."""
        return _all_problems(self._state, self._history)

    def song_problems(self, slug: str) -> list[str]:
        """The problems of song ``slug``'s document and its media (what a render would hit)."""
        prefix = song_file(slug) + ":"
        return [p for p in self._state.problems if p.startswith(prefix)]

    def damaged(self) -> dict[str, str]:
        """Documents that cannot be read: path → why, and the way back when there is one
        (a history state file that had to be rebuilt included)."""
        out = {
            rel: _damaged_error(self._state, rel, self._history).message
            for rel in self._state.broken
        }
        self._history.state()
        if self._history.damaged_state:
            out[".producer/history/state.json"] = self._history.damaged_state
        return out

    def song(self, slug: str) -> Song:
        rel = song_file(slug)
        if ALBUM_FILE in self._state.broken:  # the song list itself cannot be read
            raise _damaged_error(self._state, ALBUM_FILE, self._history)
        if rel in self._state.broken and slug in self._state.album.songs:
            raise _damaged_error(self._state, rel, self._history)
        if slug not in self._state.songs:
            known = ", ".join(self._state.album.songs) or "none"
            raise NotFoundError(f"no song {slug!r} (songs: {known})")
        return self._state.songs[slug]

    def songs(self) -> list[Song]:
        """All songs in album order (those whose document cannot be read are left out)."""
        return [self._state.songs[s] for s in self.album.songs if s in self._state.songs]

    @property
    def office(self) -> Office:
        """The office documents (ValidationError naming the file if one is broken)."""
        if self._state.office_problems:
            raise _office_error(self._state.office_problems)
        return self._state.office

    def document_text(self, slug: str | None = None) -> str:
        """The stored text of a song's document (or of album.json)."""
        rel = ALBUM_FILE if slug is None else song_file(self.song(slug).slug)
        return read_text(self.root / rel, rel)

    def media_path(self, ref: MediaRef) -> Path:
        p = self.root / ref.path
        if not p.is_file():
            raise NotFoundError(f"{ref.path}: missing media file in {self.root}")
        return p

    # ------------------------------------------------------------ writing

    @contextmanager
    def transaction(self, label: str) -> Iterator[Transaction]:
        """One undoable step: ``with project.transaction("gain") as tx: tx.put_song(...)``.

        Takes the write lock (LockedError if another process writes), re-reads the documents
        so that no other writer's step is lost, and on success validates and writes all
        changed documents through the journal. On an exception nothing is written.
        """
        self._lock.acquire()
        try:
            self._history.recover()
            self._refresh()
            if ALBUM_FILE in self._state.broken:
                raise _damaged_error(self._state, ALBUM_FILE, self._history)
            tx = Transaction(self._state, self._history)
            yield tx
            self._commit(label, tx.state())
        finally:
            self._lock.release()

    def _commit(self, label: str, new: _State) -> Step | None:
        problems = [f"{ALBUM_FILE}: {p}" for p in validate_album(new.album)]
        listed = set(new.album.songs)
        broken = {Path(rel).stem for rel in new.broken if rel != ALBUM_FILE} - set(new.songs)
        if listed - broken != set(new.songs):
            problems.append(f"{ALBUM_FILE}: songs: the song order does not list every song")
        cache = HashCache(self.root)
        changes: list[Change] = []

        def change(rel: str, after: str | None) -> None:
            path = self.root / rel
            before = read_text(path, rel) if path.exists() else None
            changes.append(Change(rel, before, after))

        change(ALBUM_FILE, encode(new.album))
        album_changed = new.album != self._state.album
        for slug, song in new.songs.items():
            if slug in self._state.songs and self._state.songs[slug] == song:
                if album_changed:  # e.g. the album's rate: every song must still agree
                    problems += _song_problems(song, song_file(slug), slug, new.album)
                continue  # unchanged: not written again
            name = song_file(slug)
            problems += _song_problems(song, name, slug, new.album)
            problems += _media_problems(self.root, song, name, cache)
            change(name, encode(song))
        for slug in self._state.songs:
            if slug not in new.songs:
                change(song_file(slug), None)
        for slug in broken - listed:  # a damaged song removed from the album
            change(song_file(slug), None)  # its text stays in the step: undo brings it back
        office_problems = self._office_changes(new, change)
        cache.save()
        # Only what this change brings in is refused: a problem the documents had before (a
        # missing media file, a hand edit) must not block every other edit of the song.
        before = set(self._state.problems)
        _raise_problems(self.root, [p for p in problems if p not in before] + office_problems)
        step = self._history.commit(label, changes)
        written = {c.path for c in changes}
        kept = [p for p in self._state.problems if p.split(":", 1)[0] not in written]
        new.broken = {rel: why for rel, why in new.broken.items() if rel not in written}
        new.problems = list(dict.fromkeys([*kept, *problems]))
        self._state = new
        self._seen = self._fingerprint()
        pins.settle(self.root, media_paths(new.songs.values()))
        return step

    def _office_changes(self, new: _State, change: Any) -> list[str]:
        """Record the office documents ``new`` changes; returns the office's problems.

        A document is written when it changed, or when it exists only in memory (the roster
        moved out of a format-1 album.json, which this very step rewrites without it).
        """
        old = self._state.office
        changed = new.office != old or new.office_problems != self._state.office_problems
        problems = validate_office(new.office) if changed and not new.office_problems else []
        for doc in OFFICE_DOCUMENTS:
            rel = office_file(doc)
            value = getattr(new.office, doc)
            missing = not (self.root / rel).exists()
            if value != getattr(old, doc) or (missing and value != getattr(Office(), doc)):
                change(rel, encode(value))
        return problems

    def undo(self) -> Step:
        """Revert the last applied step (NotFoundError if there is none)."""
        return self._history_move(self._history.undo)

    def redo(self) -> Step:
        """Re-apply the last undone step (NotFoundError if there is none)."""
        return self._history_move(self._history.redo)

    def _history_move(self, move: Any) -> Step:
        self._lock.acquire()
        try:
            self._history.recover()
            step: Step = move()
            self.reload()
            return step
        finally:
            self._lock.release()

    def history(self) -> list[HistoryEntry]:
        return self._history.entries()

    def restore_damaged(self) -> list[Restored]:
        """Put every document that cannot be read back as the history last wrote it.

        The damaged file is kept under ``.producer/damaged/`` (nothing is lost) and the
        history is not moved: the document becomes what the current step says it is, so
        undo and redo carry on from there. Documents the history never wrote stay as they are.
        """
        self._lock.acquire()
        try:
            self._history.recover()
            self.reload()
            out: list[Restored] = []
            stamp = time.strftime("%Y%m%d-%H%M%S")
            for rel, why in sorted(self._state.broken.items()):
                if migrations.NEWER in why:  # a newer producer's document: never overwritten
                    continue
                found = _good_version(self._history, rel)
                if found is None:
                    continue  # no version that reads: left as it is
                step, text = found
                src = self.root / rel
                kept: str | None = None
                if src.exists():
                    kept = f"{META_DIR}/damaged/{stamp}-{Path(rel).name}"
                    atomic_copy(src, self.root / kept)
                atomic_write_text(src, text)
                out.append(Restored(rel, why, step.number, step.label, kept))
            self.reload()
            return out
        finally:
            self._lock.release()

    # ------------------------------------------------------------ snapshots

    def _snapshot_path(self, name: str) -> Path:
        if not SNAPSHOT_NAME_RE.fullmatch(name):
            raise UserError(f"snapshot name {name!r}: use letters, digits, '.', '_' and '-'")
        return self.root / META_DIR / "snapshots" / f"{name}.json"

    def snapshot_save(self, name: str, replace: bool = False) -> None:
        """Store the current documents under ``name``. Without ``replace`` an existing name is
        refused: a snapshot is the user's saved state and nothing else brings it back."""
        path = self._snapshot_path(name)
        self._lock.acquire()
        try:
            if path.is_file() and not replace:
                raise UserError(
                    f"snapshot {name!r} exists already; choose another name, or replace it "
                    "with --replace"
                )
            self._history.recover()
            self._refresh()
            for rel in self._state.broken:  # a snapshot without it would delete it on restore
                raise _damaged_error(self._state, rel, self._history)
            files = {ALBUM_FILE: encode(self.album)}
            files.update({song_file(s.slug): encode(s) for s in self.songs()})
            for doc in OFFICE_DOCUMENTS:
                rel = office_file(doc)
                if self._state.office_problems:  # kept as it is, to be mended later
                    if (self.root / rel).is_file():
                        files[rel] = read_text(self.root / rel, rel)
                    continue
                value = getattr(self._state.office, doc)
                if (self.root / rel).is_file() or value != getattr(Office(), doc):
                    files[rel] = encode(value)
            atomic_write_text(path, dumps({"name": name, "time": time.time(), "files": files}))
        finally:
            self._lock.release()

    def snapshots(self) -> list[str]:
        folder = self.root / META_DIR / "snapshots"
        return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []

    def snapshot_song(self, name: str, slug: str) -> Song:
        """Song ``slug`` as it was at snapshot ``name`` (read only: nothing is restored)."""
        path = self._snapshot_path(name)
        if not path.is_file():
            known = ", ".join(self.snapshots()) or "none"
            raise NotFoundError(f"no snapshot {name!r} (snapshots: {known})")
        rel = f"{META_DIR}/snapshots/{path.name}"
        data = loads(read_text(path, rel), rel)
        files: dict[str, Any] = data.get("files", {}) if isinstance(data, dict) else {}
        name_ = song_file(slug)
        if name_ not in files:
            raise NotFoundError(f"snapshot {name!r} has no song {slug!r}")
        song, _ = decode(Song, "song", files[name_], f"{rel}:{name_}")
        return song

    def snapshot_restore(self, name: str) -> Step | None:
        """Make the documents what they were at snapshot ``name``, as one undoable step."""
        path = self._snapshot_path(name)
        if not path.is_file():
            known = ", ".join(self.snapshots()) or "none"
            raise NotFoundError(f"no snapshot {name!r} (snapshots: {known})")
        rel = f"{META_DIR}/snapshots/{path.name}"
        data = loads(read_text(path, rel), rel)
        files: dict[str, Any] = data.get("files", {}) if isinstance(data, dict) else {}
        album, _, moved = _decode_album(files.get(ALBUM_FILE, "null"), f"{rel}:{ALBUM_FILE}")
        songs = {}
        for slug in album.songs:
            name_ = song_file(slug)
            songs[slug], _ = decode(Song, "song", files.get(name_, "null"), f"{rel}:{name_}")
        office: Office | None = None
        if any(k.startswith(f"{OFFICE_DIR}/") for k in files):
            # A snapshot from before the office existed leaves the office as it is.
            office, office_problems = _load_office(lambda r: files.get(r), lambda r, v: None, moved)
            if office_problems:
                raise _office_error([f"{rel}:{p}" for p in office_problems])
        with self.transaction(f"restore snapshot {name}") as tx:
            for slug in list(tx.album.songs):
                if slug not in songs:
                    tx.remove_song(slug)
            tx.put_album(album)
            for song in songs.values():
                tx.put_song(song)
            if office is not None:
                tx.put_office(office)
        position, _ = self._history.state()
        return self._history.step(position) if position else None

    # ------------------------------------------------------------ media

    def garbage(
        self,
        keep_days: float = gc.DEFAULT_KEEP_DAYS,
        remove: bool = False,
        extra: Callable[[], Sequence[tuple[Path, str, str]]] = tuple,
    ) -> tuple[gc.Survey, int]:
        """What the project holds that nothing needs (``producer.storage.gc``; ``extra()``
        lists more, found under the lock), and with ``remove`` take it away, under the write
        lock; returns (survey, bytes freed)."""
        self._lock.acquire()
        try:
            self._history.recover()
            found = gc.survey(self.root, keep_days, extra=extra())
            return found, gc.collect(self.root, found) if remove else 0
        finally:
            self._lock.release()

    def import_media(self, path: Path) -> MediaRef:
        """Copy (or convert to the project rate) ``path`` into media/; the source is only read."""
        self._lock.acquire()
        try:
            return import_file(self.root, Path(path), self.album.sample_rate)
        finally:
            self._lock.release()


__all__ = [
    "ALBUM_FILE",
    "OFFICE_DIR",
    "SONGS_DIR",
    "Project",
    "Restored",
    "Transaction",
    "decode",
    "encode",
    "office_file",
    "offline_media",
    "song_file",
]
