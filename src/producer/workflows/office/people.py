"""The roster: people and organisations, their DDEX roles, identifiers and rates.

A person named by a booking, contract, split sheet or take can be neither renamed nor
removed (``roster.references`` lists what names them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from producer.errors import ValidationError
from producer.model import Person, Song
from producer.office import roster as ros
from producer.storage import Project


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


__all__ = ["PersonFields", "person_add", "person_list", "person_remove", "person_set"]
