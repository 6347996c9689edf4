"""Use cases of the office: people, rooms, bookings, budget, contracts, royalties, split sheets,
credits and the album board, glued to storage.

Each change is one undoable step under the project lock (``Project.transaction``); each check
happens before anything is written, so a refused command leaves every document as it was. The
domain rules are ``producer.office``'s; this module reads files (sales CSVs, rate cards, master
reports) and hands plain values to them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from producer.errors import FormatError, NotFoundError, UserError, ValidationError
from producer.fileio import atomic_output
from producer.model import (
    Acceptance,
    Booking,
    Contract,
    Expense,
    Person,
    RecoupRule,
    Room,
    ScaleCard,
    SessionKind,
    Share,
    Song,
)
from producer.model.office import BookingStatus, Schedule
from producer.office import budget as bud
from producer.office import credits as cr
from producer.office import estimate as est
from producer.office import ical, money, royalty
from producer.office import roster as ros
from producer.office import schedule as sch
from producer.office import splits as spl
from producer.office import status as st
from producer.storage import Project
from producer.storage.codec import from_dict
from producer.storage.files import loads, read_text
from producer.storage.migrations import upgrade

EXAMPLE_SCALE_CARD = "union-scale-example.json"


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


def _song_slug(project: Project, name: str) -> str:
    """A song named by slug or title."""
    for s in project.songs():
        if name == s.slug or s.title.casefold() == name.strip().casefold():
            return s.slug
    known = ", ".join(project.album.songs) or "none"
    raise NotFoundError(f"no song {name!r} (songs: {known})")


# ---------------------------------------------------------------- people


@dataclass(frozen=True)
class PersonFields:
    """What `person add|set` can say; None leaves a field as it is (for set)."""

    roles: Sequence[str] | None = None
    instruments: Sequence[str] | None = None
    email: str | None = None
    phone: str | None = None
    pro: str | None = None
    ipi: str | None = None
    isni: str | None = None
    union: str | None = None
    rates: Sequence[str] | None = None
    organisation: bool | None = None
    note: str | None = None


def _apply_fields(person: Person, f: PersonFields) -> Person:
    ipi, isni = ros.check_identifiers(f.ipi, f.isni)
    changes: dict[str, object] = {}
    if f.roles is not None:
        changes["roles"] = tuple(dict.fromkeys(ros.parse_role(r) for r in f.roles))
    if f.instruments is not None:
        changes["instruments"] = tuple(dict.fromkeys(i.strip() for i in f.instruments if i.strip()))
    for key, value in (
        ("email", f.email),
        ("phone", f.phone),
        ("pro", f.pro),
        ("union", f.union),
        ("note", f.note),
        ("organisation", f.organisation),
    ):
        if value is not None:
            changes[key] = value.strip() if isinstance(value, str) else value
    if f.ipi is not None:
        changes["ipi"] = ipi or ""
    if f.isni is not None:
        changes["isni"] = isni or ""
    if f.rates is not None:
        changes["rates"] = ros.merge_rates(person.rates, [ros.parse_rate(r) for r in f.rates])
    return replace(person, **changes)  # type: ignore[arg-type]


def person_add(root: Path, name: str, fields: PersonFields) -> Person:
    project = Project.open(root)
    person = _apply_fields(Person(name.strip()), fields)
    with project.transaction(f"add person {person.name}") as tx:
        office = tx.office
        tx.put_office(replace(office, people=ros.add_person(office.people, person)))
    return person


def person_set(root: Path, name: str, fields: PersonFields, rename: str | None = None) -> Person:
    project = Project.open(root)
    with project.transaction(f"set person {name}") as tx:
        office = tx.office
        old = ros.need_person(office.people, name)
        person = _apply_fields(old, fields)
        if rename is not None and rename.strip() != old.name:
            if ros.references(office, old.name, _lanes_of(tx.songs(), old.name)):
                raise ValidationError(
                    f"person {old.name!r} is named by bookings, contracts, sheets or takes; "
                    "a new name would break them"
                )
            person = replace(person, name=rename.strip())
        tx.put_office(replace(office, people=ros.replace_person(office.people, old.name, person)))
    return person


def _lanes_of(songs: Sequence[Song], name: str) -> list[tuple[str, str]]:
    key = name.casefold()
    return [
        (s.slug, f"take {n} of {t.name}")
        for s in songs
        for t in s.tracks
        for n, lane in enumerate(t.lanes, start=1)
        if lane.performer.casefold() == key
    ]


def person_remove(root: Path, name: str) -> None:
    project = Project.open(root)
    with project.transaction(f"remove person {name}") as tx:
        tx.put_office(ros.remove_person(tx.office, name, _lanes_of(tx.songs(), name)))


def person_list(root: Path) -> list[Person]:
    return list(Project.open(root).office.people.people)


# ---------------------------------------------------------------- rooms and bookings


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
    slugs = tuple(dict.fromkeys(_song_slug(project, s) for s in songs))
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


def write_page(out: Path, text: str) -> None:
    """Write a page (split sheet, credits) to ``out`` as every output is written: its folder
    made, the file appearing only complete."""
    with atomic_output(out, durable=False) as tmp:
        tmp.write_text(text, encoding="utf-8")


# ---------------------------------------------------------------- budget


def budget_line(
    root: Path,
    category: str,
    estimate: str,
    recoupable: bool | None = None,
    note: str | None = None,
) -> None:
    cat = bud.parse_category(category)
    amount = money.parse_amount(estimate, f"estimate of {cat.value}")
    project = Project.open(root)
    with project.transaction(f"budget {cat.value} {estimate}") as tx:
        office = tx.office
        tx.put_office(
            replace(office, budget=bud.set_line(office.budget, cat, amount, recoupable, note))
        )


def budget_approve(root: Path, total: str) -> None:
    amount = money.parse_amount(total, "approved total")
    project = Project.open(root)
    with project.transaction(f"approve budget {total}") as tx:
        office = tx.office
        tx.put_office(replace(office, budget=replace(office.budget, approved_total=amount)))


def budget_report(root: Path) -> bud.BudgetReport:
    project = Project.open(root)
    return bud.report(project.office, project.album.currency)


def expense_add(
    root: Path,
    category: str,
    amount: str,
    booking: str = "",
    note: str = "",
    day: str | None = None,
    recoupable: bool | None = None,
) -> Expense:
    cat = bud.parse_category(category)
    value = money.parse_amount(amount, "--amount", allow_zero=False)
    project = Project.open(root)
    if day:
        try:
            when = date.fromisoformat(day)
        except ValueError:
            raise ValidationError(f"--date {day!r}: not a date like 2027-01-12") from None
    else:
        when = now_in(project.album.timezone).date()
    with project.transaction(f"expense {cat.value} {amount}") as tx:
        office = tx.office
        new_budget, expense = bud.add_expense(office, cat, value, when, booking, note, recoupable)
        tx.put_office(replace(office, budget=new_budget))
    return expense


def expense_remove(root: Path, expense_id: str) -> None:
    project = Project.open(root)
    with project.transaction(f"remove expense {expense_id}") as tx:
        office = tx.office
        tx.put_office(replace(office, budget=bud.remove_expense(office.budget, expense_id)))


def expense_list(root: Path) -> list[Expense]:
    return list(Project.open(root).office.budget.expenses)


def read_scale_card(path: Path | None) -> ScaleCard:
    """A union scale card file (the shipped example when ``path`` is None)."""
    if path is None:
        ref = resources.files("producer.office") / "data" / EXAMPLE_SCALE_CARD
        text, name = ref.read_text(encoding="utf-8"), EXAMPLE_SCALE_CARD
    else:
        if not Path(path).is_file():
            raise NotFoundError(f"{path}: no such file")
        text, name = read_text(Path(path), str(path)), str(path)
    body = upgrade("office", loads(text, name), name)
    try:
        card = from_dict(ScaleCard, body)
    except FormatError as exc:
        raise FormatError(f"{name}: {exc.message}") from None
    if why := money.currency_problem(card.currency):
        raise ValidationError(f"{name}: currency: {why}")
    return card


def ratecard_import(root: Path, path: Path | None = None) -> ScaleCard:
    card = read_scale_card(path)
    project = Project.open(root)
    with project.transaction(f"import rate card {card.name}") as tx:
        office = tx.office
        cards = (*(c for c in office.budget.rate_cards if c.name != card.name), card)
        tx.put_office(replace(office, budget=replace(office.budget, rate_cards=cards)))
    return card


def ratecard_list(root: Path) -> list[ScaleCard]:
    return list(Project.open(root).office.budget.rate_cards)


# ---------------------------------------------------------------- contracts and royalties


def contract_add(
    root: Path,
    name: str,
    party: str,
    all_in_rate: str,
    rate: str,
    rule: str,
    advance: str = "0",
    recoupable_costs: str = "budget",
    songs: Sequence[str] = (),
    note: str = "",
) -> Contract:
    try:
        rule_value = RecoupRule(rule.strip().lower())
    except ValueError:
        allowed = ", ".join(r.value for r in RecoupRule)
        raise ValidationError(f"--rule {rule!r}: not one of {allowed}") from None
    all_in = money.parse_amount(all_in_rate, "--all-in-rate", allow_zero=False)
    producer_rate = money.parse_amount(rate, "--rate", allow_zero=False)
    if producer_rate > all_in:
        raise ValidationError(f"--rate {rate}: more than the all-in rate {all_in_rate}")
    costs = (
        None
        if recoupable_costs.strip().lower() == "budget"
        else money.parse_amount(recoupable_costs, "--recoupable-costs")
    )
    project = Project.open(root)
    slugs = tuple(_song_slug(project, s) for s in songs)
    with project.transaction(f"add contract {name}") as tx:
        office = tx.office
        if not name.strip():
            raise ValidationError("contract name: is empty")
        if office.contracts.contract(name) is not None:
            raise ValidationError(f"contract {name!r} exists already")
        person = ros.need_person(office.people, party, "--with")
        contract = Contract(
            name.strip(),
            person.name,
            all_in,
            producer_rate,
            rule_value,
            money.parse_amount(advance, "--advance"),
            costs,
            slugs,
            note=note,
        )
        contracts = replace(office.contracts, contracts=(*office.contracts.contracts, contract))
        tx.put_office(replace(office, contracts=contracts))
    return contract


def contract_list(root: Path) -> list[Contract]:
    return list(Project.open(root).office.contracts.contracts)


def royalty_statement(
    root: Path, name: str, sales: Path, period: str | None = None
) -> royalty.Statement:
    project = Project.open(root)
    office = project.office
    contract = office.contracts.contract(name)
    if contract is None:
        known = ", ".join(c.name for c in office.contracts.contracts) or "none yet"
        raise NotFoundError(f"contract {name!r}: no such contract ({known})")
    if not Path(sales).is_file():
        raise NotFoundError(f"{sales}: no such file")
    rows = royalty.parse_sales(
        read_text(Path(sales), str(sales)), str(sales), {s.slug: s.title for s in project.songs()}
    )
    costs = contract.recoupable_costs
    if costs is None:
        costs = bud.recoupable_actuals(office.budget)
    return royalty.statement(contract, rows, costs, project.album.currency, period)


# ---------------------------------------------------------------- split sheets


def split_set(
    root: Path,
    song: str,
    writers: Sequence[str] = (),
    publishers: Sequence[str] = (),
    masters: Sequence[str] = (),
) -> spl.SetResult:
    if not (writers or publishers or masters):
        raise ValidationError("split set: give --writer, --publisher or --master shares")
    project = Project.open(root)
    slug = _song_slug(project, song)
    title = project.song(slug).title
    with project.transaction(f"split sheet of {slug}") as tx:
        office = tx.office

        def col(values: Sequence[str], column: str) -> tuple[Share, ...] | None:
            if not values:
                return None
            return tuple(spl.parse_share(v, column, office.people) for v in values)

        result = spl.set_sheet(
            office.splits,
            slug,
            title,
            col(writers, "writer"),
            col(publishers, "publisher"),
            col(masters, "master"),
        )
        tx.put_office(replace(office, splits=result.splits))
    return result


def split_accept(root: Path, song: str, by: str) -> Acceptance:
    project = Project.open(root)
    slug = _song_slug(project, song)
    title = project.song(slug).title
    with project.transaction(f"{by} accepts the split sheet of {slug}") as tx:
        office = tx.office
        splits, acceptance = spl.accept(
            office.splits, slug, title, by, datetime.now(ZoneInfo("UTC")).replace(microsecond=0)
        )
        tx.put_office(replace(office, splits=splits))
    return acceptance


def split_show(root: Path, song: str) -> tuple[spl.SheetStatus, str]:
    """The sheet's status and its printable HTML page."""
    project = Project.open(root)
    slug = _song_slug(project, song)
    sheet = spl.need_sheet(project.office.splits, slug)
    status = spl.status(sheet, project.song(slug).title)
    return status, spl.html_sheet(status, project.album.title, project.album.artist)


# ---------------------------------------------------------------- credits and the board


def song_facts(project: Project) -> dict[str, cr.SongFacts]:
    """Mixes and masters of each song, from the files in renders/, mixes/ and masters/."""
    root = project.root
    out = {}
    for s in project.songs():
        name = re.compile(rf"(\d+-)?{re.escape(s.slug)}\.")
        mixed = any(
            name.match(p.name)
            for folder in (root / "renders", root / "mixes")
            if folder.is_dir()
            for p in folder.iterdir()
            if p.is_file()
        )
        masters = []
        masters_dir = root / "masters"
        if masters_dir.is_dir():
            for report in sorted(masters_dir.glob("*/*.report.json")):
                if not name.match(report.name):
                    continue
                try:
                    data = json.loads(report.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue  # a damaged report says nothing either way
                if isinstance(data, dict):
                    masters.append(
                        (str(data.get("profile", report.parent.name)), bool(data.get("passed")))
                    )
        out[s.slug] = cr.SongFacts(mixed, tuple(masters))
    return out


@dataclass(frozen=True)
class CreditsResult:
    songs: list[cr.SongCredits]
    text: str
    html: str
    rin: dict[str, object]


def credits(root: Path, song: str | None = None) -> CreditsResult:
    project = Project.open(root)
    office = project.office
    songs = project.songs() if song is None else [project.song(_song_slug(project, song))]
    result = cr.album_credits(songs, office, song_facts(project))
    return CreditsResult(
        result,
        cr.liner_notes(project.album, result),
        cr.credits_html(project.album, result),
        cr.rin_json(project.album, result, office),
    )


def status(root: Path, now: datetime | None = None) -> st.Board:
    project = Project.open(root)
    when = now or now_in(project.album.timezone)
    return st.board(
        project.songs(), project.office, song_facts(project), when, project.album.currency
    )


# ---------------------------------------------------------------- takes: who played them


@dataclass(frozen=True)
class TakeCredit:
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
    slug = _song_slug(project, slug)
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


__all__ = [
    "Booked",
    "CreditsResult",
    "PersonFields",
    "TakeCredit",
    "book",
    "book_cancel",
    "budget_approve",
    "budget_line",
    "budget_report",
    "contract_add",
    "contract_list",
    "credit_lane",
    "credits",
    "expense_add",
    "expense_list",
    "expense_remove",
    "money_text",
    "now_in",
    "person_add",
    "person_list",
    "person_remove",
    "person_set",
    "ratecard_import",
    "ratecard_list",
    "read_scale_card",
    "room_add",
    "room_list",
    "royalty_statement",
    "schedule",
    "schedule_export",
    "song_facts",
    "split_accept",
    "split_set",
    "split_show",
    "status",
    "take_credit",
    "take_credit_set",
    "write_page",
]
