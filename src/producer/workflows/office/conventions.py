"""How the office names songs, keeps time, prints money and writes pages: what every office
use case uses.

Bookings are wall-clock times in the album's time zone, to the minute (``now_in``); amounts
are kept exact (``Decimal``) and rounded to the currency's minor unit only when printed
(``money_text``); a command names a song by its slug or its title (``song_slug``); a page
(split sheet, credits) is written like every output (``write_page``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from producer.errors import NotFoundError
from producer.fileio import atomic_output
from producer.office import money
from producer.office import schedule as sch
from producer.storage import Project


def now_in(tz: str) -> datetime:
    """The wall-clock time now in zone ``tz`` (minutes; no UTC offset), as bookings are kept."""
    return (
        datetime.now(ZoneInfo("UTC"))
        .astimezone(sch.zone(tz))
        .replace(tzinfo=None, second=0, microsecond=0)
    )


def money_text(amount: Decimal, currency: str, grouped: bool = True) -> str:
    """An amount as printed: rounded to the currency's minor unit ("5,000.00"; "5000.00")."""
    value = money.rounded(amount, currency)
    return f"{value:,}" if grouped else format(value, "f")


def song_slug(project: Project, name: str) -> str:
    """A song named by slug or title."""
    for s in project.songs():
        if name == s.slug or s.title.casefold() == name.strip().casefold():
            return s.slug
    known = ", ".join(project.album.songs) or "none"
    raise NotFoundError(f"no song {name!r} (songs: {known})")


def write_page(out: Path, text: str) -> None:
    """Write a page (split sheet, credits) to ``out`` as every output is written: its folder
    made, the file appearing only complete."""
    with atomic_output(out, durable=False) as tmp:
        tmp.write_text(text, encoding="utf-8")


__all__ = ["money_text", "now_in", "song_slug", "write_page"]
