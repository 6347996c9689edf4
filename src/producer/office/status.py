"""The album board: each song's stage, what blocks it, the budget line and the next booking.

Stages follow from the project's own data: *pre-production* (sections, MIDI parts, nothing
recorded), *tracking* (audio takes), *mixing* (a mix rendered), *mastering* (masters, none
passing its profile yet), *delivered* (a master that passes its delivery profile).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from producer.model import COMP, Song, TrackKind
from producer.model.office import Booking, Office
from producer.office.budget import BudgetReport, report
from producer.office.credits import SongFacts
from producer.office.money import text
from producer.office.schedule import describe, upcoming
from producer.office.splits import status as split_status

STAGES = ("pre-production", "tracking", "mixing", "mastering", "delivered")


@dataclass(frozen=True)
class SongStatus:
    slug: str
    title: str
    stage: str
    blocks: tuple[str, ...]
    next_booking: Booking | None

    def to_json(self) -> dict[str, object]:
        return {
            "song": self.slug,
            "title": self.title,
            "stage": self.stage,
            "blocks": list(self.blocks),
            "next_booking": None if self.next_booking is None else describe(self.next_booking),
        }


@dataclass(frozen=True)
class Board:
    songs: tuple[SongStatus, ...]
    budget: BudgetReport
    next_booking: Booking | None
    notes: tuple[str, ...] = ()
    """What the board could not read (the studio's database), so its stages rest on less."""

    def to_json(self) -> dict[str, object]:
        c = self.budget.currency
        return {
            "songs": [s.to_json() for s in self.songs],
            "notes": list(self.notes),
            "budget": {
                "currency": c,
                "estimate": text(self.budget.total("estimate"), c),
                "committed": text(self.budget.total("committed"), c),
                "actual": text(self.budget.total("actual"), c),
                "approved_total": text(self.budget.approved_total, c),
                "warnings": list(self.budget.warnings),
            },
            "next_booking": None if self.next_booking is None else describe(self.next_booking),
        }


def stage(song: Song, facts: SongFacts) -> str:
    if any(passed for _, passed in facts.masters):
        return "delivered"
    if facts.masters:
        return "mastering"
    if facts.mixed:
        return "mixing"
    recorded = any(lane.clips for t in song.tracks if t.kind == TrackKind.AUDIO for lane in t.lanes)
    return "tracking" if recorded else "pre-production"


def blocks(song: Song, office: Office, facts: SongFacts, now: datetime) -> list[str]:
    out = []
    for t in song.tracks:
        takes = [lane for lane in t.lanes if lane.clips]
        if t.kind == TrackKind.AUDIO and len(takes) > 1 and t.active != COMP:
            out.append(f"track {t.name}: {len(takes)} takes, no comp")
    sheet = office.splits.sheet(song.slug)
    if sheet is None:
        out.append("no split sheet")
    else:
        st = split_status(sheet, song.title)
        if st.pending:
            out.append(f"splits not accepted by {', '.join(st.pending)}")
    for profile, passed in facts.masters:
        if not passed:
            out.append(f"the {profile} master fails its profile")
    for b in upcoming(office.bookings.bookings, now, song.slug):
        out.append(f"booked ahead: {describe(b)}")
    return out


def board(
    songs: Sequence[Song], office: Office, facts: dict[str, SongFacts], now: datetime, currency: str
) -> Board:
    rows = []
    for s in songs:
        f = facts.get(s.slug, SongFacts())
        ahead = upcoming(office.bookings.bookings, now, s.slug)
        rows.append(
            SongStatus(
                s.slug,
                s.title,
                stage(s, f),
                tuple(blocks(s, office, f, now)),
                ahead[0] if ahead else None,
            )
        )
    ahead = upcoming(office.bookings.bookings, now)
    return Board(tuple(rows), report(office, currency), ahead[0] if ahead else None)


__all__ = ["STAGES", "Board", "SongStatus", "blocks", "board", "stage"]
