"""Rules of well-formed office documents, and the identifiers they carry (IPI, ISNI).

``validate_office`` returns every problem, each one line naming the file and the field
(``office/people.json: people[Jane Doe].ipi: ...``). Rules that need more than the documents
(booking conflicts, estimates) are ``producer.office``'s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

from producer.model.office import (
    RATE_UNITS,
    ROLES,
    USER_DEFINED,
    Booking,
    BookingStatus,
    Budget,
    Contracts,
    Office,
    Rate,
    Roster,
    Schedule,
    Share,
    Splits,
)

HUNDRED = Decimal(100)


def normalise_ipi(ipi: str) -> str:
    """Digits of an IPI name number as people write it (spaces, dots and hyphens dropped)."""
    return re.sub(r"[\s.\-]", "", ipi)


def ipi_problem(ipi: str) -> str | None:
    """Why ``ipi`` is not a valid IPI name number, or None.

    11 digits, the last two a check over the first nine (CISAC; the rule as in
    django-music-publisher's validators): t = Σ dᵢ·(10 − i) mod 101 for i = 0…8 (weights 10
    down to 2), then t = (101 − t) mod 100 when t ≠ 0; e.g. 00000000297 (2·2 = 4, 101 − 4 = 97).
    """
    code = normalise_ipi(ipi)
    if len(code) != 11 or not code.isascii() or not code.isdigit():
        return f"IPI name number {ipi!r} must be 11 digits"
    total = sum(int(d) * (10 - i) for i, d in enumerate(code[:9])) % 101
    if total != 0:
        total = (101 - total) % 100
    if int(code[9:]) != total:
        return f"IPI name number {ipi!r} has wrong check digits (expected {total:02d})"
    return None


def normalise_isni(isni: str) -> str:
    """An ISNI as 16 characters (spaces and hyphens dropped, ``x`` upper-cased)."""
    code = re.sub(r"[\s\-]", "", isni).upper()
    return code[4:] if code.startswith("ISNI") else code


def isni_problem(isni: str) -> str | None:
    """Why ``isni`` is not a valid ISNI (ISO 27729: 15 digits + ISO 7064 MOD 11-2 check)."""
    code = normalise_isni(isni)
    if len(code) != 16 or not code[:15].isdigit() or not (code[15].isdigit() or code[15] == "X"):
        return f"ISNI {isni!r} must be 16 characters: 15 digits and a check digit or X"
    total = 0
    for ch in code[:15]:
        total = (total + int(ch)) * 2
    value = (12 - total % 11) % 11
    check = "X" if value == 10 else str(value)
    if code[15] != check:
        return f"ISNI {isni!r} has a wrong check character (expected {check})"
    return None


def role_problem(role: str) -> str | None:
    if role in ROLES:
        return None
    if role.startswith(USER_DEFINED) and role[len(USER_DEFINED) :].strip():
        return None
    return f"{role!r} is not a DDEX role this producer knows (or UserDefined:<text>)"


def amount_problem(amount: Decimal | None, what: str) -> str | None:
    if amount is None:
        return None
    if not amount.is_finite() or amount < 0:
        return f"{what}: {amount} is not an amount of 0 or more"
    return None


def _dupes(names: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for n in names:
        key = n.casefold()
        if key in seen:
            out.append(n)
        seen.add(key)
    return out


def _rate_problems(where: str, rates: tuple[Rate, ...]) -> list[str]:
    p = []
    seen: set[tuple[str, object]] = set()
    for r in rates:
        if r.unit not in RATE_UNITS:
            p.append(f"{where}.rates: unit {r.unit!r} is not one of {', '.join(RATE_UNITS)}")
        if why := amount_problem(r.amount, f"{where}.rates[{r.unit}]"):
            p.append(why)
        if (r.unit, r.effective_from) in seen:
            p.append(f"{where}.rates: two {r.unit} rates from the same date")
        seen.add((r.unit, r.effective_from))
    return p


def validate_roster(roster: Roster) -> list[str]:
    p = []
    for name in _dupes(x.name for x in roster.people):
        p.append(f"people: {name!r} is listed twice")
    for person in roster.people:
        where = f"people[{person.name}]"
        if not person.name.strip():
            p.append(f"{where}.name: is empty")
        if ":" in person.name:
            p.append(f"{where}.name: may not contain ':' (it separates fields on the command line)")
        for role in person.roles:
            if why := role_problem(role):
                p.append(f"{where}.roles: {why}")
        if person.ipi and (why := ipi_problem(person.ipi)):
            p.append(f"{where}.ipi: {why}")
        if person.isni and (why := isni_problem(person.isni)):
            p.append(f"{where}.isni: {why}")
        if person.email and not re.fullmatch(r"[^@\s]+@[^@\s]+", person.email):
            p.append(f"{where}.email: {person.email!r} is not an e-mail address")
        p += _rate_problems(where, person.rates)
    return p


def _booking_problems(b: Booking, schedule: Schedule, roster: Roster) -> list[str]:
    where = f"bookings[{b.id}]"
    p = []
    if b.end <= b.start:
        p.append(f"{where}: ends ({b.end:%Y-%m-%d %H:%M}) before it starts")
    if (b.start.tzinfo is None) != (b.end.tzinfo is None):
        p.append(f"{where}: start and end must both be wall-clock times (no UTC offset)")
    if schedule.room(b.room) is None:
        p.append(f"{where}.room: no room {b.room!r}")
    if (b.status == BookingStatus.CANCELLED) != (b.cancelled_at is not None):
        p.append(f"{where}.cancelled_at: set exactly when the status is cancelled")
    for part in b.people:
        if roster.person(part.person) is None:
            p.append(f"{where}.people: {part.person!r} is not in the roster (office/people.json)")
        if why := role_problem(part.role):
            p.append(f"{where}.people[{part.person}].role: {why}")
    for name in _dupes(f"{x.person}\0{x.role}" for x in b.people):
        p.append(f"{where}.people: {name.replace(chr(0), ' as ')!r} is listed twice")
    return p


def validate_schedule(schedule: Schedule, roster: Roster) -> list[str]:
    p = []
    for name in _dupes(r.name for r in schedule.rooms):
        p.append(f"rooms: {name!r} is listed twice")
    for room in schedule.rooms:
        where = f"rooms[{room.name}]"
        if not room.name.strip():
            p.append(f"{where}.name: is empty")
        p += _rate_problems(where, room.rates)
        if room.cancel_hours < 0:
            p.append(f"{where}.cancel_hours: {room.cancel_hours} is negative")
        if not (0 <= room.cancel_charge_pct <= HUNDRED):
            p.append(f"{where}.cancel_charge_pct: {room.cancel_charge_pct} is not 0..100")
    for bid in _dupes(b.id for b in schedule.bookings):
        p.append(f"bookings: id {bid!r} is used twice")
    for b in schedule.bookings:
        p += _booking_problems(b, schedule, roster)
    return p


def validate_budget(budget: Budget, schedule: Schedule) -> list[str]:
    p = []
    if why := amount_problem(budget.approved_total, "approved_total"):
        p.append(why)
    for cat in _dupes(line.category.value for line in budget.lines):
        p.append(f"lines: category {cat!r} has two lines")
    for line in budget.lines:
        if why := amount_problem(line.estimate, f"lines[{line.category}].estimate"):
            p.append(why)
    for eid in _dupes(e.id for e in budget.expenses):
        p.append(f"expenses: id {eid!r} is used twice")
    for e in budget.expenses:
        if why := amount_problem(e.amount, f"expenses[{e.id}].amount"):
            p.append(why)
        if e.booking and schedule.booking(e.booking) is None:
            p.append(f"expenses[{e.id}].booking: no booking {e.booking!r}")
    for name in _dupes(c.name for c in budget.rate_cards):
        p.append(f"rate_cards: {name!r} is listed twice")
    for card in budget.rate_cards:
        where = f"rate_cards[{card.name}]"
        if not card.periods:
            p.append(f"{where}.periods: a card needs at least one dated period")
        for day in _dupes(str(x.effective_from) for x in card.periods):
            p.append(f"{where}.periods: two periods start on {day}")
        for period in card.periods:
            pw = f"{where}.periods[{period.effective_from}]"
            for field in (
                "session_rate",
                "overtime_per_half_hour",
                "doubling_pct",
                "pension_pct",
                "health_pct",
            ):
                if why := amount_problem(getattr(period, field), f"{pw}.{field}"):
                    p.append(why)
            if not period.session_hours > 0:
                p.append(f"{pw}.session_hours: must be more than 0")
    return p


def validate_contracts(contracts: Contracts, roster: Roster) -> list[str]:
    p = []
    for name in _dupes(c.name for c in contracts.contracts):
        p.append(f"contracts: {name!r} is listed twice")
    for c in contracts.contracts:
        where = f"contracts[{c.name}]"
        if roster.person(c.party) is None:
            p.append(f"{where}.party: {c.party!r} is not in the roster (office/people.json)")
        for field in ("all_in_rate", "rate", "advance", "recoupable_costs"):
            if why := amount_problem(getattr(c, field), f"{where}.{field}"):
                p.append(why)
        if c.rate.is_finite() and c.all_in_rate.is_finite() and c.rate > c.all_in_rate:
            p.append(f"{where}.rate: {c.rate} is more than the all-in rate {c.all_in_rate}")
    return p


def share_total_problem(shares: tuple[Share, ...], column: str) -> str | None:
    """Why a column of shares does not total exactly 100 % (naming the gap), or None."""
    if not shares:
        return None
    total = sum((s.share for s in shares), Decimal(0))
    if total == HUNDRED:
        return None
    gap = HUNDRED - total
    side = f"{gap} short of" if gap > 0 else f"{-gap} over"
    return f"{column} shares total {total} %, {side} 100 %"


def validate_splits(splits: Splits, roster: Roster) -> list[str]:
    p = []
    for song in _dupes(s.song for s in splits.sheets):
        p.append(f"sheets: song {song!r} has two split sheets")
    for sheet in splits.sheets:
        where = f"sheets[{sheet.song}]"
        for column, shares in (
            ("writers", sheet.writers),
            ("publishers", sheet.publishers),
            ("masters", sheet.masters),
        ):
            for s in shares:
                if roster.person(s.party) is None:
                    p.append(f"{where}.{column}: {s.party!r} is not in the roster")
                if not s.share.is_finite() or s.share <= 0:
                    p.append(f"{where}.{column}[{s.party}].share: {s.share} is not more than 0")
                if s.ipi and (why := ipi_problem(s.ipi)):
                    p.append(f"{where}.{column}[{s.party}].ipi: {why}")
            for name in _dupes(s.party for s in shares):
                p.append(f"{where}.{column}: {name!r} is listed twice")
            if why := share_total_problem(shares, column):
                p.append(f"{where}.{column}: {why}")
        parties = {x.casefold() for x in sheet.parties()}
        for a in sheet.acceptances:
            if a.party.casefold() not in parties:
                p.append(f"{where}.acceptances: {a.party!r} is not a party of the sheet")
    return p


def validate_office(office: Office) -> list[str]:
    """Every problem of the office documents, each naming its file and field."""
    roster = office.people
    parts = [
        ("people", validate_roster(roster)),
        ("bookings", validate_schedule(office.bookings, roster)),
        ("budget", validate_budget(office.budget, office.bookings)),
        ("contracts", validate_contracts(office.contracts, roster)),
        ("splits", validate_splits(office.splits, roster)),
    ]
    return [f"office/{doc}.json: {problem}" for doc, problems in parts for problem in problems]


__all__ = [
    "amount_problem",
    "ipi_problem",
    "isni_problem",
    "normalise_ipi",
    "normalise_isni",
    "role_problem",
    "share_total_problem",
    "validate_office",
]
