"""What a booking costs: room and personal rate cards with effective dates, and union scale.

A rate card holds rates per ``hour``, ``day`` (8 hours, a studio's lockout day), ``session``
(per booking) and ``song`` (per song of the booking), each from a date on; a booking is priced
with the rates in force on its first day, at the cheapest of the units the card offers (whole
days plus the cheaper of hours or one more day; the session; the songs). A union member in a
performing role is priced by their union's scale card instead (``ScaleCard``): sessions of
``session_hours``, overtime per started half hour, a premium per instrument doubled, pension
and health as percentages of the wages. All exact ``Decimal``; nothing rounded here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from producer.model.office import (
    PERFORMER_ROLES,
    PRODUCER_ROLES,
    Booking,
    BookingStatus,
    Category,
    Office,
    Participant,
    Person,
    Rate,
    ScaleCard,
    ScalePeriod,
    SessionKind,
    role_name,
)
from producer.office.money import HUNDRED, ZERO

DAY_HOURS = Decimal(8)
HALF_HOUR = Decimal("0.5")


@dataclass(frozen=True)
class CostItem:
    """One priced part of a booking: its room, or one person on it."""

    booking: str
    category: Category
    what: str
    amount: Decimal
    cancel_window: timedelta | None = None
    """Cancelled less than this before the start, ``cancel_pct`` % of ``amount`` is due."""
    cancel_pct: Decimal = HUNDRED


def rate_on(rates: tuple[Rate, ...], unit: str, day: date) -> Rate | None:
    """The ``unit`` rate in force on ``day``: the latest that starts on or before it (a rate
    starting that very day applies that day)."""
    best: Rate | None = None
    for r in rates:
        since = r.effective_from or date.min
        if (
            r.unit == unit
            and since <= day
            and (best is None or since >= (best.effective_from or date.min))
        ):
            best = r
    return best


def _n(x: Decimal) -> str:
    return format(x.normalize(), "f") if x == x.to_integral_value() else format(x, "f")


def price(
    rates: tuple[Rate, ...], hours: Decimal, songs: int, day: date
) -> tuple[Decimal, str] | None:
    """The cheapest price of ``hours`` (for ``songs`` songs) on ``day``, and how it was made."""
    options: list[tuple[Decimal, str]] = []
    hour = rate_on(rates, "hour", day)
    per_day = rate_on(rates, "day", day)
    if hour and per_day:
        days = (hours / DAY_HOURS).to_integral_value(ROUND_FLOOR)
        rest = hours - days * DAY_HOURS
        rest_cost, rest_text = (rest * hour.amount, f" + {_n(rest)} h × {hour.amount}")
        if rest and per_day.amount < rest_cost:
            rest_cost, rest_text = per_day.amount, f" + 1 day × {per_day.amount}"
        if not rest:
            rest_cost, rest_text = ZERO, ""
        head = f"{_n(days)} day(s) × {per_day.amount}" if days else ""
        text = (head + rest_text).removeprefix(" + ")
        options.append((days * per_day.amount + rest_cost, text))
    elif hour:
        options.append((hours * hour.amount, f"{_n(hours)} h × {hour.amount}"))
    elif per_day:
        days = (hours / DAY_HOURS).to_integral_value(ROUND_CEILING)
        options.append((days * per_day.amount, f"{_n(days)} day(s) × {per_day.amount}"))
    session = rate_on(rates, "session", day)
    if session:
        options.append((session.amount, f"1 session × {session.amount}"))
    song = rate_on(rates, "song", day)
    if song and songs:
        options.append((songs * song.amount, f"{songs} song(s) × {song.amount}"))
    return min(options, key=lambda o: o[0]) if options else None


def period_on(card: ScaleCard, day: date) -> ScalePeriod | None:
    """The card's period in force on ``day`` (a period starting that day applies that day)."""
    current = [p for p in card.periods if p.effective_from <= day]
    return max(current, key=lambda p: p.effective_from) if current else None


def scale_wages(period: ScalePeriod, hours: Decimal, doubles: int) -> tuple[Decimal, str]:
    """A union musician's cost for ``hours`` with ``doubles`` extra instruments."""
    sessions = max(Decimal(1), (hours / period.session_hours).to_integral_value(ROUND_FLOOR))
    extra = hours - sessions * period.session_hours
    overtime = (extra / HALF_HOUR).to_integral_value(ROUND_CEILING) if extra > 0 else ZERO
    base = sessions * period.session_rate + overtime * period.overtime_per_half_hour
    premium = base * period.doubling_pct / HUNDRED * doubles
    wages = base + premium
    fringe = wages * (period.pension_pct + period.health_pct) / HUNDRED
    parts = [f"{_n(sessions)} session(s) × {period.session_rate}"]
    if overtime:
        parts.append(f"{_n(overtime)} × ½ h overtime × {period.overtime_per_half_hour}")
    if doubles:
        parts.append(f"{doubles} double(s) at {_n(period.doubling_pct)} %")
    parts.append(f"pension {_n(period.pension_pct)} % + health {_n(period.health_pct)} %")
    return wages + fringe, ", ".join(parts)


def category_of(kind: SessionKind, role: str | None) -> Category:
    """Budget line of a booking's room (``role`` None) or of a person on it."""
    if kind == SessionKind.MIX:
        return Category.MIXING
    if kind == SessionKind.MASTER:
        return Category.MASTERING
    if role is None:
        return Category.STUDIO
    if role in PRODUCER_ROLES:
        return Category.PRODUCER
    if role in PERFORMER_ROLES:
        return Category.MUSICIANS
    return Category.ENGINEERS


def hours_of(booking: Booking) -> Decimal:
    """Wall-clock hours of a booking (what a diary and an invoice count)."""
    return Decimal(int((booking.end - booking.start).total_seconds())) / Decimal(3600)


def union_card(person: Person, cards: tuple[ScaleCard, ...], currency: str) -> ScaleCard | None:
    if not person.union:
        return None
    for card in cards:
        if card.union.casefold() == person.union.casefold() and card.currency == currency:
            return card
    return None


def _person_cost(
    booking: Booking,
    part: Participant,
    person: Person,
    office: Office,
    currency: str,
    hours: Decimal,
) -> tuple[CostItem | None, str | None]:
    day = booking.start.date()
    cat = category_of(booking.what, part.role)
    who = f"{person.name} ({role_name(part.role)})"
    card = union_card(person, office.budget.rate_cards, currency)
    if card is not None and part.role in PERFORMER_ROLES:
        period = period_on(card, day)
        if period is None:
            return None, f"{who}: {card.name} has no scale in force on {day}"
        amount, how = scale_wages(period, hours, max(len(part.instruments) - 1, 0))
        window = timedelta(days=period.cancel_days) if period.cancel_days else None
        text = f"{who}: {card.name} from {period.effective_from}: {how}"
        return CostItem(booking.id, cat, text, amount, window), None
    priced = price(person.rates, hours, len(booking.songs), day)
    if priced is None:
        if person.union and part.role in PERFORMER_ROLES:
            return None, (
                f"{who}: {person.union} member but no {person.union} scale card in {currency} "
                "(`producer ratecard import`) and no own rate: left out of the estimate"
            )
        return None, None  # paid otherwise (a contract, a flat fee): no estimate from the diary
    return CostItem(booking.id, cat, f"{who}: {priced[1]}", priced[0]), None


def booking_costs(
    booking: Booking, office: Office, currency: str
) -> tuple[list[CostItem], list[str]]:
    """The estimated cost of ``booking`` as if it takes place, and notes on what has no rate."""
    hours = hours_of(booking)
    items: list[CostItem] = []
    notes: list[str] = []
    room = office.bookings.room(booking.room)
    if room is not None:
        priced = price(room.rates, hours, len(booking.songs), booking.start.date())
        if priced is None:
            notes.append(f"{room.name}: no rate in force on {booking.start.date()}")
        else:
            window = timedelta(hours=room.cancel_hours) if room.cancel_hours else None
            items.append(
                CostItem(
                    booking.id,
                    category_of(booking.what, None),
                    f"{room.name}: {priced[1]}",
                    priced[0],
                    window,
                    room.cancel_charge_pct,
                )
            )
    for part in booking.people:
        person = office.people.person(part.person)
        if person is None:
            continue
        item, note = _person_cost(booking, part, person, office, currency, hours)
        if item is not None:
            items.append(item)
        if note:
            notes.append(f"{booking.id}: {note}")
    return items, notes


def _window(window: timedelta) -> str:
    hours = int(window.total_seconds() // 3600)
    return f"{hours // 24} days" if hours % 24 == 0 and hours >= 72 else f"{hours} h"


def cancellation_costs(booking: Booking, office: Office, currency: str) -> list[CostItem]:
    """What cancelling ``booking`` at ``booking.cancelled_at`` costs under the terms of its room
    and of its union musicians' scale (full charge inside the window, by default)."""
    if booking.cancelled_at is None:
        return []
    notice = booking.start - booking.cancelled_at
    out = []
    for item in booking_costs(booking, office, currency)[0]:
        if item.cancel_window is not None and notice < item.cancel_window:
            charge = item.amount * item.cancel_pct / HUNDRED
            out.append(
                CostItem(
                    item.booking,
                    item.category,
                    f"cancellation ({_n(item.cancel_pct)} % inside {_window(item.cancel_window)}): "
                    + item.what,
                    charge,
                )
            )
    return out


def costs(booking: Booking, office: Office, currency: str) -> list[CostItem]:
    """What ``booking`` costs now: its estimate, or its cancellation charges if cancelled."""
    if booking.status == BookingStatus.CANCELLED:
        return cancellation_costs(booking, office, currency)
    return booking_costs(booking, office, currency)[0]


__all__ = [
    "CostItem",
    "booking_costs",
    "cancellation_costs",
    "category_of",
    "costs",
    "hours_of",
    "period_on",
    "price",
    "rate_on",
    "scale_wages",
    "union_card",
]
