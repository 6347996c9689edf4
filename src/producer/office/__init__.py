"""The office, as pure domain logic over ``producer.model.office`` (no I/O).

Modules: ``money`` (Decimal amounts, ISO 4217, rounding for print), ``roster`` (people, DDEX
roles, IPI/ISNI), ``schedule`` (bookings, conflicts, cancellation), ``estimate`` (rate cards
with effective dates, union scale), ``budget`` (estimate / committed / actual / variance),
``royalty`` (the three recoupment rules, statements), ``splits`` (100 % checks, acceptance by
SHA-256, the printable sheet), ``credits`` (from the work; DDEX RIN names, liner notes),
``status`` (the album board), ``ical`` (the schedule as iCalendar). The workflows glue these to
storage; the shells print them.
"""

from producer.office import (
    budget,
    credits,
    estimate,
    ical,
    money,
    roster,
    royalty,
    schedule,
    splits,
    status,
)

__all__ = [
    "budget",
    "credits",
    "estimate",
    "ical",
    "money",
    "roster",
    "royalty",
    "schedule",
    "splits",
    "status",
]
