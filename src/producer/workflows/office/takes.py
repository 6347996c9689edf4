"""Who played a take: the performer, instrument, role and session of a take lane, checked
against the roster and the schedule before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from producer.errors import NotFoundError, UserError, ValidationError
from producer.model import SessionKind, Song
from producer.model.office import BookingStatus, Schedule
from producer.office import roster as ros
from producer.office import schedule as sch
from producer.storage import Project
from producer.workflows.office.conventions import now_in, song_slug


@dataclass(frozen=True)
class TakeCredit:
    """Who played a take and in which session (all empty: nobody is credited)."""

    performer: str = ""
    instrument: str = ""
    role: str = ""
    booking: str = ""


def take_credit(
    project: Project,
    slug: str,
    performer: str | None,
    instrument: str | None = None,
    role: str | None = None,
    booking: str | None = None,
    now: datetime | None = None,
) -> TakeCredit:
    """Who plays a take about to be recorded or imported (checked before anything is written):
    a person of the roster in a performing role; the session is ``booking``, else the song's
    tracking or overdub booking in progress now."""
    if not performer and (instrument or role):
        raise UserError("--instrument and --role describe a --performer: name one")
    if not (performer or booking):
        try:
            office = project.office
        except ValidationError:
            return TakeCredit()  # a broken office must not stop a recording nobody credits
    office = project.office
    schedule_: Schedule = office.bookings
    session = ""
    if booking:
        b = sch.need_booking(schedule_, booking)
        if slug not in b.songs:
            raise ValidationError(f"--booking {b.id}: is not a session of song {slug!r}")
        session = b.id
    else:
        when = now or now_in(project.album.timezone)
        for b in schedule_.bookings:
            if (
                slug in b.songs
                and b.status == BookingStatus.CONFIRMED
                and b.what in (SessionKind.TRACKING, SessionKind.OVERDUB)
                and b.start <= when < b.end
            ):
                session = b.id
    if not performer:
        return TakeCredit(booking=session)
    person = ros.need_person(office.people, performer, "--performer")
    value = ros.performer_role(person, role)
    inst = (instrument or "").strip() or (person.instruments[0] if person.instruments else "")
    return TakeCredit(person.name, inst, value, session)


def credit_lane(song: Song, track: str, lane_id: str, credit: TakeCredit) -> Song:
    """``song`` with the take lane credited (nothing to do for an empty credit)."""
    if credit == TakeCredit():
        return song
    from producer.model import edit as ed

    t = ed.get_track(song, track)
    lanes = tuple(
        replace(
            lane,
            performer=credit.performer,
            instrument=credit.instrument,
            role=credit.role,
            booking=credit.booking,
        )
        if lane.id == lane_id
        else lane
        for lane in t.lanes
    )
    return ed.update_track(song, track, lanes=lanes)


def take_credit_set(
    root: Path,
    slug: str,
    track: str,
    take: int,
    performer: str,
    instrument: str | None = None,
    role: str | None = None,
    booking: str | None = None,
) -> TakeCredit:
    """Say who played an existing take (`producer take credit`)."""
    project = Project.open(root)
    slug = song_slug(project, slug)
    with project.transaction(f"credit take {take} of {track} to {performer}") as tx:
        from producer.model import edit as ed

        song = tx.song(slug)
        t = ed.get_track(song, track)
        if not 1 <= take <= len(t.lanes):
            raise NotFoundError(f"track {track!r}: no take {take} (it has {len(t.lanes)} take(s))")
        credit = take_credit(
            project, slug, performer, instrument, role, booking or t.lanes[take - 1].booking or None
        )
        tx.put_song(credit_lane(song, track, t.lanes[take - 1].id, credit))
    return credit


__all__ = ["TakeCredit", "credit_lane", "take_credit", "take_credit_set"]
