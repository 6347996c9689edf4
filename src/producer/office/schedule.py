"""Rooms and bookings: parsing what people type, conflicts, cancellation. Pure functions.

A booking is ``[start, end)`` in wall-clock time of the album's time zone; two bookings clash
when these intervals overlap as instants (so back-to-back sessions, one ending at 13:00 and the
next starting at 13:00, do not). A cancelled booking clashes with nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from producer.errors import NotFoundError, ValidationError
from producer.model.office import (
    PERFORMER_ROLES,
    Booking,
    BookingStatus,
    Participant,
    Roster,
    Schedule,
    role_name,
)
from producer.office.roster import need_person, parse_role

MAX_BOOKING_HOURS = Decimal(24 * 14)


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (ValidationError naming it when unknown)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            f"time zone {name!r}: not an IANA time zone like Europe/Berlin or UTC"
        ) from None


def parse_when(text: str, what: str, tz: str) -> datetime:
    """A wall-clock time in zone ``tz`` from ``2027-01-12T10:00`` (or with a space; a time
    with a UTC offset is converted to ``tz``)."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(
            f"{what} {text!r}: write a date and time like 2027-01-12T10:00"
        ) from None
    if when.tzinfo is not None:
        when = when.astimezone(zone(tz)).replace(tzinfo=None)
    return when.replace(second=0, microsecond=0) if when.second == 0 else when


def instant(when: datetime, tz: str) -> datetime:
    """The UTC instant of a wall-clock time in ``tz``."""
    return when.replace(tzinfo=zone(tz)).astimezone(ZoneInfo("UTC"))


def parse_participant(text: str, roster: Roster) -> Participant:
    """``NAME``, ``NAME:ROLE`` or ``NAME:ROLE:INSTRUMENT[,INSTRUMENT...]`` (``--with``)."""
    name, _, rest = text.partition(":")
    role_text, _, instruments_text = rest.partition(":")
    person = need_person(roster, name.strip(), "--with")
    if role_text.strip():
        role = parse_role(role_text)
    elif len(person.roles) == 1:
        role = person.roles[0]
    else:
        raise ValidationError(
            f'--with {text!r}: say in which role, like "{person.name}:'
            f'{person.roles[0] if person.roles else "StudioMusician"}"'
        )
    instruments = tuple(i.strip() for i in instruments_text.split(",") if i.strip())
    if not instruments and role in PERFORMER_ROLES and person.instruments:
        instruments = person.instruments[:1]
    return Participant(person.name, role, instruments)


def _span(b: Booking) -> str:
    day = b.start.strftime("%Y-%m-%d %H:%M")
    end = b.end.strftime("%H:%M" if b.end.date() == b.start.date() else "%Y-%m-%d %H:%M")
    return f"{b.what} {day}-{end}"


def describe(b: Booking) -> str:
    """``b3 (tracking 2027-01-12 10:00-13:00)``, or ``the new booking (...)``."""
    return f"{b.id or 'the new booking'} ({_span(b)})"


def problems(schedule: Schedule, roster: Roster, booking: Booking, tz: str) -> list[str]:
    """Why ``booking`` cannot be added to (or kept in) ``schedule``; each names both bookings."""
    out: list[str] = []
    if booking.end <= booking.start:
        out.append(f"{describe(booking)}: ends before it starts")
        return out
    hours = Decimal(int((booking.end - booking.start).total_seconds())) / 3600
    if hours > MAX_BOOKING_HOURS:
        out.append(f"{describe(booking)}: {hours} hours is longer than two weeks")
    if schedule.room(booking.room) is None:
        known = ", ".join(r.name for r in schedule.rooms) or "none yet"
        out.append(
            f"room {booking.room!r}: no such room ({known}); add it with `producer room add`"
        )
    for part in booking.people:
        person = roster.person(part.person)
        if person is None:
            out.append(f"{part.person!r}: not in the roster")
            continue
        if part.role not in person.roles:
            have = ", ".join(role_name(r) for r in person.roles) or "none"
            out.append(
                f"{person.name} is booked as {role_name(part.role)}, a role they do not have "
                f"(roles: {have})"
            )
        missing = [
            i
            for i in part.instruments
            if person.instruments and i.casefold() not in {x.casefold() for x in person.instruments}
        ]
        if missing:
            out.append(
                f"{person.name} does not play {', '.join(missing)} "
                f"(instruments: {', '.join(person.instruments)})"
            )
    if booking.status == BookingStatus.CANCELLED:
        return out
    a0, a1 = instant(booking.start, tz), instant(booking.end, tz)
    names = {p.person.casefold() for p in booking.people}
    for other in schedule.bookings:
        if other.id == booking.id or other.status == BookingStatus.CANCELLED:
            continue
        b0, b1 = instant(other.start, tz), instant(other.end, tz)
        if not (a0 < b1 and b0 < a1):
            continue  # back to back is fine
        both = f"{describe(other)} and {describe(booking)}"
        if other.room.casefold() == booking.room.casefold():
            out.append(f"room {other.room!r} is booked twice at once: {both}")
        for p in other.people:
            if p.person.casefold() in names:
                out.append(f"{p.person} is booked twice at once: {both}")
    return out


def next_id(schedule: Schedule) -> str:
    numbers = [int(m.group(1)) for b in schedule.bookings if (m := re.fullmatch(r"b(\d+)", b.id))]
    return f"b{max(numbers, default=0) + 1}"


def add_booking(
    schedule: Schedule, roster: Roster, booking: Booking, tz: str
) -> tuple[Schedule, Booking]:
    """``schedule`` with ``booking`` (given the next id); ValidationError listing every conflict."""
    found = problems(schedule, roster, replace(booking, id=""), tz)
    if found:
        raise ValidationError(found[0], found)
    booking = replace(booking, id=next_id(schedule))
    return replace(schedule, bookings=(*schedule.bookings, booking)), booking


def need_booking(schedule: Schedule, booking_id: str) -> Booking:
    b = schedule.booking(booking_id)
    if b is None:
        known = ", ".join(x.id for x in schedule.bookings) or "none yet"
        raise NotFoundError(f"booking {booking_id!r}: no such booking ({known})")
    return b


def cancel_booking(schedule: Schedule, booking_id: str, at: datetime) -> tuple[Schedule, Booking]:
    """Keep the booking, marked cancelled at ``at`` (its charges follow from the terms)."""
    b = need_booking(schedule, booking_id)
    if b.status == BookingStatus.CANCELLED:
        raise ValidationError(f"booking {b.id} was cancelled already ({b.cancelled_at})")
    if at >= b.end:
        raise ValidationError(f"booking {describe(b)} is over; it cannot be cancelled")
    new = replace(b, status=BookingStatus.CANCELLED, cancelled_at=at)
    bookings = tuple(new if x is b else x for x in schedule.bookings)
    return replace(schedule, bookings=bookings), new


def in_range(
    bookings: Sequence[Booking], start: datetime | None, end: datetime | None
) -> list[Booking]:
    """Bookings overlapping ``[start, end)`` (open sides unbounded), in time order."""
    out = [
        b for b in bookings if (start is None or b.end > start) and (end is None or b.start < end)
    ]
    return sorted(out, key=lambda b: (b.start, b.id))


def upcoming(bookings: Sequence[Booking], now: datetime, song: str | None = None) -> list[Booking]:
    """Confirmed bookings that have not ended by ``now`` (of ``song``), in time order."""
    return [
        b
        for b in in_range(bookings, now, None)
        if b.status == BookingStatus.CONFIRMED and (song is None or song in b.songs)
    ]


def duration_text(b: Booking) -> str:
    minutes = int((b.end - b.start) / timedelta(minutes=1))
    return f"{minutes // 60} h" + (f" {minutes % 60} min" if minutes % 60 else "")


__all__ = [
    "add_booking",
    "cancel_booking",
    "describe",
    "duration_text",
    "in_range",
    "instant",
    "need_booking",
    "next_id",
    "parse_participant",
    "parse_when",
    "problems",
    "upcoming",
    "zone",
]
