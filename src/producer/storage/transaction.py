"""The pending changes of one ``with project.transaction(label)`` block (``Transaction``)."""

from __future__ import annotations

from dataclasses import replace

from producer.errors import NotFoundError, ValidationError
from producer.model import Album, Office, Song
from producer.storage.documents import SLUG_RE, song_file
from producer.storage.history import History
from producer.storage.project_load import _damaged_error, _office_error, _State


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
