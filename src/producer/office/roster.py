"""The roster: people, their DDEX roles, identifiers and rate cards. Pure functions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from producer.errors import NotFoundError, ValidationError
from producer.model.office import (
    PERFORMER_ROLES,
    RATE_UNITS,
    ROLES,
    USER_DEFINED,
    Office,
    Person,
    Rate,
    Roster,
    role_name,
)
from producer.model.office_validate import (
    ipi_problem,
    isni_problem,
    normalise_ipi,
    normalise_isni,
)
from producer.office.money import parse_amount

_BY_KEY = {**{k.casefold(): k for k in ROLES}, **{v.casefold(): k for k, v in ROLES.items()}}


def parse_role(text: str) -> str:
    """A DDEX role value from what a person typed: the value (``MixingEngineer``, any case),
    its display name ("Producer", "mixing engineer"), or ``UserDefined:<text>``."""
    raw = text.strip()
    if raw.casefold().startswith(USER_DEFINED.casefold()):
        rest = raw[len(USER_DEFINED) :].strip()
        if rest:
            return USER_DEFINED + rest
    key = re.sub(r"[\s_-]+", " ", raw).casefold()
    for candidate in (key, key.replace(" ", "")):
        if candidate in _BY_KEY:
            return _BY_KEY[candidate]
    known = ", ".join(sorted(ROLES))
    raise ValidationError(
        f"role {text!r}: not a DDEX role this producer knows ({known}); "
        f"write UserDefined:<text> for another"
    )


def parse_rate(text: str, what: str = "--rate") -> Rate:
    """``unit=amount`` or ``unit=amount@YYYY-MM-DD`` (from that day on)."""
    m = re.fullmatch(r"\s*([a-z]+)\s*=\s*([^@\s]+)\s*(?:@\s*(\S+))?\s*", text)
    if not m:
        raise ValidationError(
            f"{what} {text!r}: write UNIT=AMOUNT, like session=425.00 or "
            f"hour=50.00@2027-01-01 (units: {', '.join(RATE_UNITS)})"
        )
    unit, amount, since = m.groups()
    if unit not in RATE_UNITS:
        raise ValidationError(
            f"{what} {text!r}: unit {unit!r} is not one of {', '.join(RATE_UNITS)}"
        )
    effective = None
    if since:
        try:
            effective = date.fromisoformat(since)
        except ValueError:
            raise ValidationError(
                f"{what} {text!r}: {since!r} is not a date like 2027-01-01"
            ) from None
    return Rate(unit, parse_amount(amount, f"{what} {unit}"), effective)


def merge_rates(old: tuple[Rate, ...], new: Sequence[Rate]) -> tuple[Rate, ...]:
    """``old`` with each of ``new`` added, replacing a rate of the same unit and date."""
    out = list(old)
    for r in new:
        out = [x for x in out if (x.unit, x.effective_from) != (r.unit, r.effective_from)]
        out.append(r)
    return tuple(sorted(out, key=lambda r: (r.unit, r.effective_from or date.min)))


def need_person(roster: Roster, name: str, what: str = "person") -> Person:
    person = roster.person(name)
    if person is None:
        known = ", ".join(p.name for p in roster.people) or "nobody yet"
        raise NotFoundError(
            f"{what} {name!r}: not in the roster ({known}); add them with `producer person add`"
        )
    return person


def check_identifiers(ipi: str | None, isni: str | None) -> tuple[str | None, str | None]:
    """IPI and ISNI normalised, or ValidationError naming the one that is wrong."""
    if ipi:
        if why := ipi_problem(ipi):
            raise ValidationError(f"--ipi: {why}")
        ipi = normalise_ipi(ipi)
    if isni:
        if why := isni_problem(isni):
            raise ValidationError(f"--isni: {why}")
        isni = normalise_isni(isni)
    return ipi, isni


def add_person(roster: Roster, person: Person) -> Roster:
    if not person.name.strip():
        raise ValidationError("person name: is empty")
    if ":" in person.name:
        raise ValidationError(f"person name {person.name!r}: may not contain ':'")
    if roster.person(person.name) is not None:
        raise ValidationError(f"person {person.name!r} is already in the roster")
    return replace(roster, people=(*roster.people, person))


def replace_person(roster: Roster, name: str, person: Person) -> Roster:
    old = need_person(roster, name)
    if person.name.casefold() != old.name.casefold() and roster.person(person.name) is not None:
        raise ValidationError(f"person {person.name!r} is already in the roster")
    return replace(roster, people=tuple(person if p is old else p for p in roster.people))


def references(office: Office, name: str, song_lanes: Sequence[tuple[str, str]] = ()) -> list[str]:
    """Where ``name`` is used: bookings, contracts, split sheets, takes (``(song, where)``)."""
    key = name.casefold()
    out = [
        f"booking {b.id}"
        for b in office.bookings.bookings
        if any(p.person.casefold() == key for p in b.people)
    ]
    out += [f"contract {c.name!r}" for c in office.contracts.contracts if c.party.casefold() == key]
    out += [
        f"split sheet of {s.song!r}"
        for s in office.splits.sheets
        if any(x.casefold() == key for x in s.parties())
    ]
    out += [f"{where} of {song!r}" for song, where in song_lanes]
    return out


def remove_person(office: Office, name: str, song_lanes: Sequence[tuple[str, str]] = ()) -> Office:
    """The office without ``name``; refused while a booking, contract, sheet or take names them."""
    person = need_person(office.people, name)
    used = references(office, person.name, song_lanes)
    if used:
        more = f" and {len(used) - 3} more" if len(used) > 3 else ""
        raise ValidationError(
            f"person {person.name!r} is named by {', '.join(used[:3])}{more}; change those first"
        )
    people = tuple(p for p in office.people.people if p is not person)
    return replace(office, people=Roster(people))


def performer_role(person: Person, role: str | None = None) -> str:
    """The role ``person`` plays on a take: ``role`` if given (and theirs), else the first of
    their performing roles; ValidationError when they have none."""
    if role:
        value = parse_role(role)
        if value not in person.roles:
            raise ValidationError(
                f"--role {role_name(value)}: {person.name!r} does not have that role "
                f"(roles: {', '.join(role_name(r) for r in person.roles) or 'none'})"
            )
        return value
    for value in PERFORMER_ROLES:
        if value in person.roles:
            return value
    raise ValidationError(
        f"--performer {person.name!r}: has no performing role "
        f"(roles: {', '.join(role_name(r) for r in person.roles) or 'none'}); add one with "
        f'`producer person set "{person.name}" --role StudioMusician`'
    )


__all__ = [
    "add_person",
    "check_identifiers",
    "merge_rates",
    "need_person",
    "parse_rate",
    "parse_role",
    "performer_role",
    "references",
    "remove_person",
    "replace_person",
]
