"""The schedule as an iCalendar file (RFC 5545, through the ``icalendar`` package).

One VEVENT per booking: its times in the album's time zone (with the VTIMEZONE that calendar
apps need, or UTC), the room as location, the songs in the summary, its people as attendees
(their e-mail when the roster has one, else a ``urn:producer:person:`` address) with their
DDEX role; a cancelled booking is an event with STATUS:CANCELLED, as calendars expect.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import quote

from icalendar import Calendar, Event, vCalAddress

from producer.model import Album
from producer.model.office import BookingStatus, Office, role_name
from producer.office.schedule import zone


def calendar(album: Album, office: Office, titles: Mapping[str, str], now: datetime) -> bytes:
    """The .ics bytes of every booking (``titles``: song slug → title; ``now``: DTSTAMP)."""
    tz = zone(album.timezone)
    cal = Calendar()
    cal.add("prodid", "-//producer//office schedule//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{album.title} — sessions")
    cal.add("x-wr-timezone", album.timezone)
    project = hashlib.sha256(f"{album.title}\0{album.artist}".encode()).hexdigest()[:12]
    years = [b.start.year for b in office.bookings.bookings] or [now.year]
    for b in office.bookings.bookings:
        ev = Event()
        ev.add("uid", f"{b.id}-{project}@producer")
        ev.add("dtstamp", now)
        ev.add("dtstart", b.start.replace(tzinfo=tz))
        ev.add("dtend", b.end.replace(tzinfo=tz))
        songs = ", ".join(titles.get(s, s) for s in b.songs)
        ev.add("summary", f"{b.what.value.capitalize()}: {songs}" if songs else b.what.value)
        ev.add("location", b.room)
        lines = [
            f"{p.person} — {role_name(p.role)}"
            + (f" ({', '.join(p.instruments)})" if p.instruments else "")
            for p in b.people
        ]
        if b.note:
            lines.append(b.note)
        ev.add("description", "\n".join(lines))
        ev.add("status", "CANCELLED" if b.status == BookingStatus.CANCELLED else "CONFIRMED")
        for p in b.people:
            person = office.people.person(p.person)
            email = person.email if person is not None else ""
            addr = vCalAddress(
                f"mailto:{email}" if email else f"urn:producer:person:{quote(p.person)}"
            )
            addr.params["cn"] = p.person
            addr.params["role"] = "REQ-PARTICIPANT"
            addr.params["x-ddex-role"] = p.role
            ev.add("attendee", addr, encode=False)
        cal.add_component(ev)
    cal.add_missing_timezones(
        first_date=datetime(min(years) - 1, 1, 1).date(),
        last_date=datetime(max(years) + 2, 1, 1).date(),
    )
    return bytes(cal.to_ical())


__all__ = ["calendar"]
