"""The demo album's office: a roster, rooms, past sessions with their expenses, a budget, a
producer agreement and accepted split sheets, and who played each part of the songs.

Everything goes through the office's own rules (``producer.office``): bookings are checked for
conflicts, split sheets for their 100 % totals, and each acceptance carries the SHA-256 of the
sheet it accepted, so ``producer -C demo-album status``, ``budget`` and ``credits`` show what a
real project would.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from producer.model import Booking, Category, Contract, Office, Person, RecoupRule, Room, Song
from producer.model.office import Budget, Contracts, Rate, Roster, SessionKind
from producer.office import budget as bud
from producer.office import roster as ros
from producer.office import schedule as sch
from producer.office import splits as spl
from producer.office.roster import parse_rate
from producer.storage import Project
from producer.workflows.office import TakeCredit, credit_lane, read_scale_card

WRITER = "Ada Lindqvist"
PRODUCER = "Ben Okafor"
PUBLISHER = "Lindqvist Songs Ltd"
LABEL = "The Producers Records"

PEOPLE = (
    Person(
        WRITER,
        ("MainArtist", "ComposerLyricist", "Vocalist", "Programmer"),
        ("keyboards", "synthesizer"),
        email="ada@example.org",
        pro="PRS",
        ipi="00000000297",
        isni="000000012146438X",
    ),
    Person(
        PRODUCER,
        ("StudioProducer", "Programmer", "RecordingEngineer", "Composer"),
        ("drum machine",),
        email="ben@example.org",
        pro="PRS",
    ),
    Person(
        "Chloé Martin",
        ("MixingEngineer", "MasteringEngineer"),
        email="chloe@example.org",
        rates=(Rate("day", Decimal("550.00")), Rate("song", Decimal("250.00"))),
    ),
    Person("Sam Rivera", ("StudioMusician",), ("bass", "double bass"), union="AFM"),
    Person(
        "Nadia Haddad",
        ("StudioMusician",),
        ("flute", "strings"),
        rates=(Rate("session", Decimal("300.00")),),
    ),
    Person(PUBLISHER, ("MusicPublisher",), organisation=True, pro="PRS"),
    Person(LABEL, ("UserDefined:Label",), organisation=True),
)

PLAYERS = {
    "Bass": ("Sam Rivera", "bass", "StudioMusician"),
    "Drums": (PRODUCER, "drum machine", "Programmer"),
    "Flute": ("Nadia Haddad", "flute", "StudioMusician"),
}
"""Who played which part (by track name); the other parts are the artist's, programmed on
keyboards."""

SESSIONS = (
    # what, songs, room, start, hours, people ("name:role[:instruments]")
    (
        "tracking",
        ("slow-light",),
        "Studio A",
        "2026-02-02T10:00",
        6,
        (
            f"{WRITER}:Programmer",
            f"{PRODUCER}:StudioProducer",
            "Sam Rivera:StudioMusician:bass",
            "Nadia Haddad:StudioMusician:flute",
        ),
    ),
    (
        "tracking",
        ("iron-road",),
        "Studio A",
        "2026-02-03T10:00",
        6,
        (f"{WRITER}:Programmer", f"{PRODUCER}:StudioProducer", "Sam Rivera:StudioMusician:bass"),
    ),
    (
        "tracking",
        ("neon-run",),
        "Studio A",
        "2026-02-04T10:00",
        4,
        (f"{WRITER}:Programmer", f"{PRODUCER}:StudioProducer"),
    ),
    (
        "mix",
        ("slow-light", "iron-road", "neon-run"),
        "Mix Room",
        "2026-02-09T10:00",
        8,
        ("Chloé Martin:MixingEngineer", f"{PRODUCER}:StudioProducer"),
    ),
    (
        "master",
        ("slow-light", "iron-road", "neon-run"),
        "Mix Room",
        "2026-02-12T10:00",
        4,
        ("Chloé Martin:MasteringEngineer",),
    ),
    (
        "rehearsal",
        (),
        "Studio A",
        "2027-03-01T14:00",
        3,
        (f"{WRITER}:MainArtist", "Sam Rivera:StudioMusician:bass"),
    ),
)

EXPENSES = (
    # category, amount, booking, day, note
    ("studio", "405.00", "b1", "2026-02-02", "Studio A invoice"),
    ("musicians", "1380.53", "b1", "2026-02-02", "Sam Rivera (AFM scale + fringes), Nadia Haddad"),
    ("studio", "405.00", "b2", "2026-02-03", "Studio A invoice"),
    ("musicians", "1080.53", "b2", "2026-02-03", "Sam Rivera (AFM scale + fringes)"),
    ("studio", "260.00", "b3", "2026-02-04", "Studio A invoice"),
    ("mixing", "1650.00", "b4", "2026-02-09", "Mix Room day + Chloé Martin, three songs"),
    ("mastering", "1050.00", "b5", "2026-02-12", "Mix Room + mastering, three songs"),
    ("producer", "2000.00", "", "2026-01-15", "Ben Okafor: producer advance"),
    ("artwork", "650.00", "", "2026-02-20", "cover photography"),
)

BUDGET_LINES = {
    "studio": "1500.00",
    "musicians": "2500.00",
    "engineers": "300.00",
    "producer": "2000.00",
    "mixing": "1800.00",
    "mastering": "1000.00",
    "artwork": "800.00",
    "manufacturing": "1200.00",
    "marketing": "1000.00",
    "contingency": "600.00",
}

SPLITS = {
    "slow-light": ((f"{WRITER}:100",), ()),
    "iron-road": ((f"{WRITER}:60", f"{PRODUCER}:40:Composer"), ()),
    "neon-run": ((f"{WRITER}:50", f"{PRODUCER}:50:Composer"), ()),
}


def demo_office(songs: list[Song], timezone: str, currency: str) -> Office:
    """The office of the demo album (pure: built with the office's rules)."""
    roster = Roster()
    for p in PEOPLE:
        roster = ros.add_person(roster, p)
    rooms = (
        Room(
            "Studio A",
            (parse_rate("hour=65.00"), parse_rate("day=450.00")),
            cancel_hours=48,
        ),
        Room("Mix Room", (parse_rate("day=300.00"),), cancel_hours=24),
    )
    office = Office(people=roster)
    office = replace(office, bookings=replace(office.bookings, rooms=rooms))
    card = read_scale_card(None)  # the example AFM card, for Sam Rivera's sessions
    office = replace(office, budget=Budget(rate_cards=(card,)))
    schedule = office.bookings
    for what, slugs, room, start, hours, people in SESSIONS:
        begin = sch.parse_when(start, "start", timezone)
        parts = tuple(sch.parse_participant(p, roster) for p in people)
        candidate = Booking(
            "",
            SessionKind(what),
            room,
            begin,
            begin + timedelta(hours=hours),
            slugs,
            parts,
        )
        schedule, _ = sch.add_booking(schedule, roster, candidate, timezone)
    office = replace(office, bookings=schedule)
    budget = office.budget
    for category, estimate in BUDGET_LINES.items():
        budget = bud.set_line(budget, Category(category), Decimal(estimate), None, None)
    budget = bud.set_line(budget, Category.MARKETING, Decimal("1000.00"), False, "not recoupable")
    budget = replace(budget, approved_total=Decimal("12500.00"))
    office = replace(office, budget=budget)
    for category, amount, booking, day, note in EXPENSES:
        budget, _ = bud.add_expense(
            office, Category(category), Decimal(amount), date.fromisoformat(day), booking, note
        )
        office = replace(office, budget=budget)
    contract = Contract(
        "Ben Okafor producer agreement",
        PRODUCER,
        all_in_rate=Decimal("0.60"),
        rate=Decimal("0.10"),
        rule=RecoupRule.NET,
        advance=Decimal("2000.00"),
        recoupable_costs=None,
        signed=date(2026, 1, 15),
    )
    office = replace(office, contracts=Contracts((contract,)))
    titles = {s.slug: s.title for s in songs}
    splits = office.splits
    for slug, (writers, _) in SPLITS.items():
        result = spl.set_sheet(
            splits,
            slug,
            titles[slug],
            tuple(spl.parse_share(w, "writer", roster) for w in writers),
            (spl.parse_share(f"{PUBLISHER}:100", "publisher", roster),),
            (spl.parse_share(f"{LABEL}:100", "master", roster),),
        )
        splits = result.splits
        for i, party in enumerate(result.sheet.parties()):
            at = datetime(2026, 2, 20, 12, i, tzinfo=ZoneInfo("UTC"))
            splits, _ = spl.accept(splits, slug, titles[slug], party, at)
    return replace(office, splits=splits)


def credit_parts(song: Song, office: Office) -> Song:
    """Credit each rendered part of a demo song to who played or programmed it, in the song's
    tracking session."""
    session = next(
        (b.id for b in office.bookings.bookings if b.what == "tracking" and song.slug in b.songs),
        "",
    )
    for track in song.tracks:
        name, instrument, role = PLAYERS.get(track.name, (WRITER, "keyboards", "Programmer"))
        for lane in track.lanes:
            song = credit_lane(
                song, track.name, lane.id, TakeCredit(name, instrument, role, session)
            )
    return song


def add_demo_office(project: Project) -> None:
    """Write the demo office and the parts' credits into ``project`` as one step."""
    with project.transaction("demo: the office") as tx:
        office = demo_office(tx.songs(), tx.album.timezone, tx.album.currency)
        tx.put_office(office)
        for song in tx.songs():
            tx.put_song(credit_parts(song, office))


__all__ = ["LABEL", "PEOPLE", "PRODUCER", "PUBLISHER", "WRITER", "add_demo_office", "demo_office"]
