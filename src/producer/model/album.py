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
    require_approval: tuple[str, ...] = ()
    """Roles (artist, label, producer) whose approval of a song's current mix ``producer
    master`` requires; () = mastering needs no approval."""
    isrc_prefix: str = ""
    """ISRC prefix ``CCXXXYY`` (country, registrant, year of reference) from which the review
    studio assigns each approved song the next designation number; "" = none."""
