"""The album: what the project folder's ``album.json`` holds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    name: str
    roles: tuple[str, ...] = ()
    email: str = ""


@dataclass(frozen=True)
class Album:
    """Title, artist, the project sample rate, the song order (slugs) and the people."""

    title: str
    artist: str
    sample_rate: int = 48000
    songs: tuple[str, ...] = ()
    people: tuple[Person, ...] = ()
    year: int = 0
    upc: str = ""
