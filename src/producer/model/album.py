"""The album: what the project folder's ``album.json`` holds.

The people of the album live in the office's roster (``office/people.json``, see
``producer.model.office``) since format 2.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Album:
    """Title, artist, the project sample rate, the song order (slugs), the release facts, and
    the project's one currency (ISO 4217) and time zone (IANA) for the office."""

    title: str
    artist: str
    sample_rate: int = 48000
    songs: tuple[str, ...] = ()
    year: int = 0
    upc: str = ""
    require_approval: tuple[str, ...] = ()
    """Roles (artist, label, producer) whose approval of a song's current mix ``producer
    master`` requires; () = mastering needs no approval."""
    isrc_prefix: str = ""
    """ISRC prefix ``CCXXXYY`` (country, registrant, year of reference) from which the review
    studio assigns each approved song the next designation number; "" = none."""
    currency: str = "USD"
    timezone: str = "UTC"
