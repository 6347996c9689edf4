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

The pieces: ``documents`` (where each document lives, its text form), ``project_load``
(reading and validating the documents, the way back for a damaged one), ``transaction``
(the pending changes of one step); ``Project`` here ties them to the lock and the history.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from producer.errors import FormatError, LockedError, NotFoundError, UserError, ValidationError
from producer.model import Album, MediaRef, Office, Song, validate_album, validate_office
from producer.model.office import OFFICE_DOCUMENTS
from producer.storage import gc, migrations, pins
from producer.storage.documents import (
    ALBUM_FILE,
    META_DIR,
    OFFICE_DIR,
    SONGS_DIR,
    _decode_album,
    decode,
    encode,
    office_file,
    song_file,
)
from producer.storage.files import atomic_copy, atomic_write_text, dumps, loads, read_text
from producer.storage.history import Change, History, HistoryEntry, Step
from producer.storage.lock import WriteLock
from producer.storage.media import HashCache, import_file
from producer.storage.project_load import (
    _all_problems,
    _damaged_error,
    _good_version,
    _load,
    _load_office,
    _media_problems,
    _office_error,
    _song_problems,
    _State,
    _sweep_temp_files,
    media_paths,
    offline_media,
)
from producer.storage.transaction import Transaction

_READ_ATTEMPTS = 20
SNAPSHOT_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


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
