"""The office: what ``office/*.json`` of a project holds. Frozen dataclasses, stdlib only.

One document per field of :class:`Office`: ``office/people.json`` (the roster),
``office/bookings.json`` (rooms and bookings), ``office/budget.json`` (lines, expenses, union
rate cards), ``office/contracts.json`` and ``office/splits.json``. Money is ``Decimal``
(written as decimal strings); percentages are ``Decimal`` percent (``50`` is half). Booking
times are wall-clock times in the album's time zone (``Album.timezone``), as a studio's diary
writes them. Names of roles follow DDEX's ContributorRole values (``StudioProducer``,
``MixingEngineer``…; see :data:`ROLES`); anything else is written ``UserDefined:<text>``.
Domain rules over these objects (conflicts, estimates, royalties, split checks, credits) are
``producer.office``'s; the structural rules are in ``producer.model.office_validate``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

ROLES: dict[str, str] = {
    # Producers
    "StudioProducer": "Producer",
    "CoProducer": "Co-producer",
    "AssistantProducer": "Assistant producer",
    "VocalProducer": "Vocal producer",
    "ExecutiveProducer": "Executive producer",
    # Engineers
    "RecordingEngineer": "Recording engineer",
    "TrackingEngineer": "Tracking engineer",
    "OverdubEngineer": "Overdub engineer",
    "VocalEngineer": "Vocal engineer",
    "SecondEngineer": "Second engineer",
    "AssistantEngineer": "Assistant engineer",
    "MixingEngineer": "Mixing engineer",
    "MixingSecondEngineer": "Mixing second engineer",
    "ImmersiveMixingEngineer": "Immersive mixing engineer",
    "MasteringEngineer": "Mastering engineer",
    "MasteringSecondEngineer": "Mastering second engineer",
    "ImmersiveMasteringEngineer": "Immersive mastering engineer",
    # Performers
    "MainArtist": "Artist",
    "FeaturedArtist": "Featured artist",
    "StudioMusician": "Studio musician",
    "Musician": "Musician",
    "Vocalist": "Vocalist",
    "BackgroundVocalist": "Background vocalist",
    "Programmer": "Programmer",
    "Conductor": "Conductor",
    "Contractor": "Contractor",
    # The work
    "Composer": "Composer",
    "Lyricist": "Lyricist",
    "ComposerLyricist": "Composer and lyricist",
    "Arranger": "Arranger",
    "MusicPublisher": "Publisher",
    "Remixer": "Remixer",
}
"""DDEX role values this producer knows (a subset of AVS ContributorRole / ArtistRole) and
the name shown to people: ``StudioProducer`` is stored and shown as "Producer"."""

USER_DEFINED = "UserDefined:"
"""Prefix of a role outside :data:`ROLES` (DDEX's ``UserDefined`` value plus its text)."""

PRODUCER_ROLES = frozenset(
    {"StudioProducer", "CoProducer", "AssistantProducer", "VocalProducer", "ExecutiveProducer"}
)
PERFORMER_ROLES = (
    "StudioMusician",
    "Vocalist",
    "BackgroundVocalist",
    "Musician",
    "MainArtist",
    "FeaturedArtist",
    "Programmer",
    "Conductor",
)
"""Roles that play on a take, in the order a take's default role is picked from a person's."""
RECORDING_ENGINEER_ROLES = frozenset(
    {
        "RecordingEngineer",
        "TrackingEngineer",
        "OverdubEngineer",
        "VocalEngineer",
        "SecondEngineer",
        "AssistantEngineer",
    }
)
MIXING_ROLES = frozenset({"MixingEngineer", "MixingSecondEngineer", "ImmersiveMixingEngineer"})
MASTERING_ROLES = frozenset(
    {"MasteringEngineer", "MasteringSecondEngineer", "ImmersiveMasteringEngineer"}
)
WRITER_ROLES = ("ComposerLyricist", "Composer", "Lyricist", "Arranger")
PUBLISHER_ROLE = "MusicPublisher"
MASTER_OWNER_ROLE = "OriginalOwner"
"""DDEX RightsControlType of a master owner's share."""


def role_name(role: str) -> str:
    """The name people read for a stored role value (``StudioProducer`` → "Producer")."""
    if role.startswith(USER_DEFINED):
        return role[len(USER_DEFINED) :]
    return ROLES.get(role, role)


# ---------------------------------------------------------------- people


RATE_UNITS = ("hour", "day", "session", "song")
"""Units a rate is quoted in: per hour, per 8-hour day, per booking, per song of a booking."""


@dataclass(frozen=True)
class Rate:
    """``amount`` per ``unit`` from ``effective_from`` on (None: since always)."""

    unit: str
    amount: Decimal
    effective_from: date | None = None


@dataclass(frozen=True)
class Person:
    """Someone (or an organisation) who is credited, paid or booked: a DDEX Party."""

    name: str
    roles: tuple[str, ...] = ()
    instruments: tuple[str, ...] = ()
    email: str = ""
    phone: str = ""
    pro: str = ""
    ipi: str = ""
    isni: str = ""
    union: str = ""
    rates: tuple[Rate, ...] = ()
    organisation: bool = False
    note: str = ""


@dataclass(frozen=True)
class Roster:
    """``office/people.json``."""

    people: tuple[Person, ...] = ()

    def person(self, name: str) -> Person | None:
        """The person called ``name`` (case and surrounding spaces do not matter)."""
        key = name.strip().casefold()
        for p in self.people:
            if p.name.casefold() == key:
                return p
        return None


# ---------------------------------------------------------------- rooms and bookings


@dataclass(frozen=True)
class Room:
    """A room (or a piece of gear) with its rates and cancellation terms: a booking cancelled
    less than ``cancel_hours`` before it starts costs ``cancel_charge_pct`` % of its price."""

    name: str
    rates: tuple[Rate, ...] = ()
    cancel_hours: int = 0
    cancel_charge_pct: Decimal = Decimal(100)
    note: str = ""


class SessionKind(StrEnum):
    """What a booking is for (DDEX SessionType, in the words of a studio diary)."""

    TRACKING = "tracking"
    OVERDUB = "overdub"
    MIX = "mix"
    MASTER = "master"
    REHEARSAL = "rehearsal"


class BookingStatus(StrEnum):
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Participant:
    """A person on a booking, in one role (and, for a musician, the instruments played)."""

    person: str
    role: str
    instruments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Booking:
    """A session in a room, ``[start, end)`` in the album's time zone."""

    id: str
    what: SessionKind
    room: str
    start: datetime
    end: datetime
    songs: tuple[str, ...] = ()
    people: tuple[Participant, ...] = ()
    status: BookingStatus = BookingStatus.CONFIRMED
    cancelled_at: datetime | None = None
    note: str = ""


@dataclass(frozen=True)
class Schedule:
    """``office/bookings.json``."""

    rooms: tuple[Room, ...] = ()
    bookings: tuple[Booking, ...] = ()

    def room(self, name: str) -> Room | None:
        key = name.strip().casefold()
        for r in self.rooms:
            if r.name.casefold() == key:
                return r
        return None

    def booking(self, booking_id: str) -> Booking | None:
        for b in self.bookings:
            if b.id == booking_id:
                return b
        return None


# ---------------------------------------------------------------- budget


class Category(StrEnum):
    """Budget lines."""

    STUDIO = "studio"
    MUSICIANS = "musicians"
    ENGINEERS = "engineers"
    PRODUCER = "producer"
    MIXING = "mixing"
    MASTERING = "mastering"
    ARTWORK = "artwork"
    MANUFACTURING = "manufacturing"
    MARKETING = "marketing"
    CONTINGENCY = "contingency"
    OTHER = "other"


@dataclass(frozen=True)
class BudgetLine:
    category: Category
    estimate: Decimal
    recoupable: bool = True
    note: str = ""


@dataclass(frozen=True)
class Expense:
    """Money spent (an actual), optionally against a booking (which then counts as settled)."""

    id: str
    category: Category
    amount: Decimal
    date: date
    booking: str = ""
    recoupable: bool = True
    note: str = ""


@dataclass(frozen=True)
class ScalePeriod:
    """A union scale in force from ``effective_from`` until the next period of its card.

    A musician's call is ``session_hours`` long at ``session_rate``; time beyond whole sessions
    is overtime per started half hour; each instrument doubled adds ``doubling_pct`` % of
    scale; pension and health contributions are percentages of the wages. A booking cancelled
    less than ``cancel_days`` days ahead is paid in full.
    """

    effective_from: date
    session_rate: Decimal
    session_hours: Decimal = Decimal(3)
    overtime_per_half_hour: Decimal = Decimal(0)
    doubling_pct: Decimal = Decimal(0)
    pension_pct: Decimal = Decimal(0)
    health_pct: Decimal = Decimal(0)
    cancel_days: int = 0


@dataclass(frozen=True)
class ScaleCard:
    """A union's rate card: dated periods, in ``currency``, for members of ``union``."""

    name: str
    union: str
    currency: str
    periods: tuple[ScalePeriod, ...] = ()
    source: str = ""
    note: str = ""


@dataclass(frozen=True)
class Budget:
    """``office/budget.json``: the approved total, lines, expenses and union rate cards."""

    approved_total: Decimal | None = None
    lines: tuple[BudgetLine, ...] = ()
    expenses: tuple[Expense, ...] = ()
    rate_cards: tuple[ScaleCard, ...] = ()


# ---------------------------------------------------------------- contracts


class RecoupRule(StrEnum):
    """When a producer's royalty is paid (Passman, "Producer Deals")."""

    RECORD_ONE = "record-one"
    """From the first unit sold; only the producer's advance is recouped."""
    COMBINED = "combined"
    """Nothing until the recording costs are recouped at the artist's all-in rate; then
    retroactive to record one."""
    NET = "net"
    """Nothing until the costs are recouped at the artist's net rate (all-in minus the
    producer's); then retroactive to record one."""


@dataclass(frozen=True)
class Contract:
    """A producer agreement: royalty per unit out of the artist's all-in royalty per unit.

    ``recoupable_costs`` None means the budget's recoupable actuals at the time of a statement.
    ``songs`` empty means every song of the album.
    """

    name: str
    party: str
    all_in_rate: Decimal
    rate: Decimal
    rule: RecoupRule
    advance: Decimal = Decimal(0)
    recoupable_costs: Decimal | None = None
    songs: tuple[str, ...] = ()
    signed: date | None = None
    note: str = ""


@dataclass(frozen=True)
class Contracts:
    """``office/contracts.json``."""

    contracts: tuple[Contract, ...] = ()

    def contract(self, name: str) -> Contract | None:
        key = name.strip().casefold()
        for c in self.contracts:
            if c.name.casefold() == key:
                return c
        return None


# ---------------------------------------------------------------- split sheets


@dataclass(frozen=True)
class Share:
    """A party's percentage on a split sheet, with the role, PRO and IPI agreed on it."""

    party: str
    share: Decimal
    role: str = ""
    pro: str = ""
    ipi: str = ""


@dataclass(frozen=True)
class Acceptance:
    """``party`` accepted the sheet whose SHA-256 is ``sha256`` at ``time`` (UTC)."""

    party: str
    time: datetime
    sha256: str


@dataclass(frozen=True)
class SplitSheet:
    """A song's composition (writers, publishers) and master (owners) shares, each column
    totalling exactly 100 %, and who accepted it."""

    song: str
    writers: tuple[Share, ...] = ()
    publishers: tuple[Share, ...] = ()
    masters: tuple[Share, ...] = ()
    acceptances: tuple[Acceptance, ...] = ()

    def parties(self) -> tuple[str, ...]:
        """Everyone who must accept, in sheet order, each once."""
        out: list[str] = []
        for s in (*self.writers, *self.publishers, *self.masters):
            if s.party.casefold() not in (p.casefold() for p in out):
                out.append(s.party)
        return tuple(out)


@dataclass(frozen=True)
class Splits:
    """``office/splits.json``."""

    sheets: tuple[SplitSheet, ...] = ()

    def sheet(self, song: str) -> SplitSheet | None:
        for s in self.sheets:
            if s.song == song:
                return s
        return None


# ---------------------------------------------------------------- the office


@dataclass(frozen=True)
class Office:
    """All office documents; field ``x`` is stored in ``office/x.json``."""

    people: Roster = Roster()
    bookings: Schedule = Schedule()
    budget: Budget = Budget()
    contracts: Contracts = Contracts()
    splits: Splits = Splits()


OFFICE_DOCUMENTS: tuple[str, ...] = tuple(f.name for f in fields(Office))
"""Names of the office documents, in the order they are written."""


__all__ = [
    "MASTERING_ROLES",
    "MASTER_OWNER_ROLE",
    "MIXING_ROLES",
    "OFFICE_DOCUMENTS",
    "PERFORMER_ROLES",
    "PRODUCER_ROLES",
    "PUBLISHER_ROLE",
    "RATE_UNITS",
    "RECORDING_ENGINEER_ROLES",
    "ROLES",
    "USER_DEFINED",
    "WRITER_ROLES",
    "Acceptance",
    "Booking",
    "BookingStatus",
    "Budget",
    "BudgetLine",
    "Category",
    "Contract",
    "Contracts",
    "Expense",
    "Office",
    "Participant",
    "Person",
    "Rate",
    "RecoupRule",
    "Room",
    "Roster",
    "ScaleCard",
    "ScalePeriod",
    "Schedule",
    "Share",
    "SplitSheet",
    "Splits",
    "role_name",
]
