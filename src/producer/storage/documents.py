"""Where each document of a project folder lives, and its text form.

The album is ``album.json``, a song ``songs/<slug>.json``, an office document
``office/<doc>.json`` (the layout in ``producer.storage.project``). Each document's text is
its JSON with ``format_version`` first (``encode``); reading it back upgrades an older format
(``producer.storage.migrations``) and names the file and field of anything wrong (``decode``).
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from producer.errors import FormatError
from producer.model import Album
from producer.storage import migrations
from producer.storage.codec import from_dict, to_dict
from producer.storage.files import dumps, loads

ALBUM_FILE = "album.json"
SONGS_DIR = "songs"
OFFICE_DIR = "office"
META_DIR = ".producer"
SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

T = TypeVar("T")


def song_file(slug: str) -> str:
    """Relative path of a song's document."""
    return f"{SONGS_DIR}/{slug}.json"


def office_file(doc: str) -> str:
    """Relative path of an office document (``people`` → ``office/people.json``)."""
    return f"{OFFICE_DIR}/{doc}.json"


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
