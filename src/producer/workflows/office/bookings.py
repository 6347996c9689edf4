"""Rooms and bookings: a session booked is refused when a person or the room is taken at the
time; a cancelled one stays, with the charges of the room's terms; the schedule exports to
iCalendar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from producer.errors import NotFoundError, ValidationError
from producer.fileio import atomic_output
from producer.model import Booking, Room, SessionKind
from producer.model.office import BookingStatus
from producer.office import estimate as est
from producer.office import ical, money
from producer.office import roster as ros
from producer.office import schedule as sch
from producer.storage import Project
from producer.workflows.office.conventions import now_in, song_slug


def room_add(
    root: Path,
    name: str,
    rates: Sequence[str],
    cancel_hours: int = 0,
    cancel_charge_pct: str = "100",
    note: str = "",
) -> Room:
    if not name.strip():
        raise ValidationError("room name: is empty")
    if cancel_hours < 0:
        raise ValidationError(f"--cancel-hours: {cancel_hours} is negative")
    pct = money.parse_amount(cancel_charge_pct, "--cancel-charge")
    if pct > money.HUNDRED:
        raise ValidationError(f"--cancel-charge: {pct} % is more than 100 %")
    room = Room(
        name.strip(),
        ros.merge_rates((), [ros.parse_rate(r) for r in rates]),
        cancel_hours,
        pct,
        note,
    )
    project = Project.open(root)
    with project.transaction(f"add room {room.name}") as tx:
        office = tx.office
        if office.bookings.room(room.name) is not None:
            raise ValidationError(f"room {room.name!r} exists already")
        schedule = replace(office.bookings, rooms=(*office.bookings.rooms, room))
        tx.put_office(replace(office, bookings=schedule))
    return room


def room_list(root: Path) -> list[Room]:
    return list(Project.open(root).office.bookings.rooms)


@dataclass(frozen=True)
class Booked:
    """A booking with its cost items (or cancellation charges) in the album's currency."""

    booking: Booking
    items: tuple[est.CostItem, ...]
    notes: tuple[str, ...]
    currency: str


def book(
    root: Path,
    songs: Sequence[str],
    what: str,
    room: str,
    start: str,
    hours: float | None = None,
    end: str | None = None,
    people: Sequence[str] = (),
    note: str = "",
) -> Booked:
    """Book a session; refused (exit 2, naming both bookings) on any conflict."""
    project = Project.open(root)
    tz = project.album.timezone
    try:
        kind = SessionKind(what.strip().lower())
    except ValueError:
        allowed = ", ".join(k.value for k in SessionKind)
        raise ValidationError(f"--what {what!r}: not one of {allowed}") from None
    slugs = tuple(dict.fromkeys(song_slug(project, s) for s in songs))
    begin = sch.parse_when(start, "--start", tz)
    if (hours is None) == (end is None):
        raise ValidationError("book: give either --hours or --end")
    if hours is not None:
        if not (0 < hours <= 24 * 14):
            raise ValidationError(f"--hours: {hours} is not more than 0 and at most 336")
        finish = begin + timedelta(seconds=int(Decimal(str(hours)) * 3600))
    else:
        assert end is not None
        finish = sch.parse_when(end, "--end", tz)
        if finish <= begin:
            raise ValidationError(f"--end {end}: is not after --start {start}")
    with project.transaction(f"book {kind.value} {', '.join(slugs) or ''}".strip()) as tx:
        office = tx.office
        parts = tuple(sch.parse_participant(p, office.people) for p in people)
        names = [(p.person, p.role) for p in parts]
        if len(set(names)) != len(names):
            raise ValidationError("--with: a person is named twice in the same role")
        the_room = office.bookings.room(room)
        if the_room is None:
            known = ", ".join(r.name for r in office.bookings.rooms) or "none yet"
            raise NotFoundError(
                f"room {room!r}: no such room ({known}); add it with `producer room add`"
            )
        candidate = Booking("", kind, the_room.name, begin, finish, slugs, parts, note=note)
        schedule, booking = sch.add_booking(office.bookings, office.people, candidate, tz)
        new_office = replace(office, bookings=schedule)
        tx.put_office(new_office)
    items, notes = est.booking_costs(booking, new_office, project.album.currency)
    return Booked(booking, tuple(items), tuple(notes), project.album.currency)


def book_cancel(root: Path, booking_id: str, at: str | None = None) -> Booked:
    """Cancel a booking (kept, with its status); returns the charges its terms impose."""
    project = Project.open(root)
    tz = project.album.timezone
    when = sch.parse_when(at, "--at", tz) if at else now_in(tz)
    with project.transaction(f"cancel booking {booking_id}") as tx:
        office = tx.office
        schedule, booking = sch.cancel_booking(office.bookings, booking_id, when)
        new_office = replace(office, bookings=schedule)
        tx.put_office(new_office)
    charges = est.cancellation_costs(booking, new_office, project.album.currency)
    return Booked(booking, tuple(charges), (), project.album.currency)


def schedule(root: Path, start: str | None = None, end: str | None = None) -> list[Booked]:
    project = Project.open(root)
    tz = project.album.timezone
    office = project.office
    lo = sch.parse_when(start, "--from", tz) if start else None
    hi = sch.parse_when(end, "--to", tz) if end else None
    out = []
    for b in sch.in_range(office.bookings.bookings, lo, hi):
        items, notes = (
            (est.cancellation_costs(b, office, project.album.currency), [])
            if b.status == BookingStatus.CANCELLED
            else est.booking_costs(b, office, project.album.currency)
        )
        out.append(Booked(b, tuple(items), tuple(notes), project.album.currency))
    return out


def schedule_export(root: Path, out: Path) -> int:
    """Write the schedule as iCalendar to ``out``; returns the number of events."""
    project = Project.open(root)
    office = project.office
    titles = {s.slug: s.title for s in project.songs()}
    data = ical.calendar(
        project.album, office, titles, datetime.now(ZoneInfo("UTC")).replace(microsecond=0)
    )
    with atomic_output(out) as tmp:
        tmp.write_bytes(data)
    return len(office.bookings.bookings)


__all__ = ["Booked", "book", "book_cancel", "room_add", "room_list", "schedule", "schedule_export"]
