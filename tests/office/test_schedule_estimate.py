"""Bookings: conflicts (person, room, role; back to back allowed), cancellation terms, and
estimates from rate cards with effective dates (the new card applies from its first day)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from producer.errors import ValidationError
from producer.model import (
    Booking,
    BookingStatus,
    Category,
    Office,
    Participant,
    Person,
    Rate,
    Room,
    Roster,
    ScaleCard,
    ScalePeriod,
    Schedule,
    SessionKind,
)
from producer.model.office import Budget
from producer.office import estimate as est
from producer.office import schedule as sch

TZ = "Europe/Berlin"
JANE = Person(
    "Jane Doe", ("StudioMusician",), ("bass",), rates=(Rate("session", Decimal("425.00")),)
)
BEN = Person("Ben Okafor", ("StudioProducer", "RecordingEngineer"))
ROSTER = Roster((JANE, BEN))
ROOMS = (
    Room("Studio A", (Rate("hour", Decimal("50.00")), Rate("day", Decimal("350.00"))), 48),
    Room("Studio B", (Rate("hour", Decimal("40.00")),)),
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def booking(start: str, hours: float, room: str = "Studio A", *people: Participant) -> Booking:
    s = at(start)
    return Booking("", SessionKind.TRACKING, room, s, s + timedelta(hours=hours), ("song",), people)


JANE_BASS = Participant("Jane Doe", "StudioMusician", ("bass",))


def schedule_with(*bookings: Booking) -> Schedule:
    sched = Schedule(ROOMS)
    for b in bookings:
        sched, _ = sch.add_booking(sched, ROSTER, b, TZ)
    return sched


def test_same_room_twice_at_once_is_refused_naming_both() -> None:
    sched = schedule_with(booking("2027-01-12T10:00", 3))
    with pytest.raises(ValidationError) as exc:
        sch.add_booking(sched, ROSTER, booking("2027-01-12T12:00", 2), TZ)
    msg = exc.value.message
    assert "room 'Studio A' is booked twice at once" in msg
    assert "b1 (tracking 2027-01-12 10:00-13:00)" in msg
    assert "the new booking (tracking 2027-01-12 12:00-14:00)" in msg


def test_same_person_twice_at_once_in_two_rooms_is_refused() -> None:
    sched = schedule_with(booking("2027-01-12T10:00", 3, "Studio A", JANE_BASS))
    with pytest.raises(ValidationError, match="Jane Doe is booked twice at once: b1"):
        sch.add_booking(sched, ROSTER, booking("2027-01-12T11:00", 1, "Studio B", JANE_BASS), TZ)


def test_back_to_back_is_allowed() -> None:
    sched = schedule_with(
        booking("2027-01-12T10:00", 3, "Studio A", JANE_BASS),
        booking("2027-01-12T13:00", 2, "Studio A", JANE_BASS),  # starts as b1 ends
        booking("2027-01-12T08:00", 2, "Studio A", JANE_BASS),  # ends as b1 starts
    )
    assert [b.id for b in sched.bookings] == ["b1", "b2", "b3"]


def test_a_role_the_person_does_not_have_is_refused() -> None:
    with pytest.raises(ValidationError, match="booked as Mixing engineer, a role they do not have"):
        schedule_with(
            booking("2027-01-12T10:00", 3, "Studio A", Participant("Jane Doe", "MixingEngineer"))
        )
    with pytest.raises(ValidationError, match="does not play cello"):
        schedule_with(
            booking(
                "2027-01-12T10:00",
                3,
                "Studio A",
                Participant("Jane Doe", "StudioMusician", ("cello",)),
            )
        )


def test_a_cancelled_booking_frees_its_time_and_keeps_its_status() -> None:
    sched = schedule_with(booking("2027-01-12T10:00", 3))
    sched, b = sch.cancel_booking(sched, "b1", at("2027-01-11T09:00"))
    assert b.status == BookingStatus.CANCELLED and b.cancelled_at == at("2027-01-11T09:00")
    sched, _ = sch.add_booking(sched, ROSTER, booking("2027-01-12T10:00", 3), TZ)
    assert [x.status for x in sched.bookings] == ["cancelled", "confirmed"]


def test_back_to_back_on_the_night_clocks_go_back() -> None:
    # 2027-10-31: Berlin's clocks go back at 03:00; conflicts compare UTC instants.
    sched = schedule_with(booking("2027-10-31T00:00", 2))
    sched, _ = sch.add_booking(sched, ROSTER, booking("2027-10-31T02:00", 2), TZ)
    assert len(sched.bookings) == 2


def test_room_price_is_the_cheapest_of_hours_and_days() -> None:
    rates = ROOMS[0].rates
    d = date(2027, 1, 12)
    assert est.price(rates, Decimal(3), 1, d) == (Decimal("150.00"), "3 h × 50.00")
    assert est.price(rates, Decimal(8), 1, d)[0] == Decimal("350.00")  # type: ignore[index]
    assert est.price(rates, Decimal(10), 1, d)[0] == Decimal("450.00")  # type: ignore[index]
    assert est.price(rates, Decimal(15), 1, d)[0] == Decimal("700.00")  # type: ignore[index]


def test_a_rate_starting_on_the_booking_day_applies() -> None:
    rates = (
        Rate("hour", Decimal("50.00")),
        Rate("hour", Decimal("60.00"), date(2027, 2, 1)),
    )
    assert est.price(rates, Decimal(2), 1, date(2027, 1, 31))[0] == Decimal("100.00")  # type: ignore[index]
    assert est.price(rates, Decimal(2), 1, date(2027, 2, 1))[0] == Decimal("120.00")  # type: ignore[index]


CARD = ScaleCard(
    "AFM test card",
    "AFM",
    "USD",
    (
        ScalePeriod(
            date(2026, 2, 1),
            Decimal("400.00"),
            Decimal(3),
            Decimal("100.00"),
            Decimal(20),
            Decimal("10"),
            Decimal("5"),
            cancel_days=7,
        ),
        ScalePeriod(
            date(2027, 2, 1),
            Decimal("500.00"),
            Decimal(3),
            Decimal("120.00"),
            Decimal(20),
            Decimal("10"),
            Decimal("5"),
            cancel_days=7,
        ),
    ),
)
SAM = Person("Sam Rivera", ("StudioMusician",), ("bass", "double bass"), union="AFM")


def office_with(*bookings: Booking) -> Office:
    roster = Roster((SAM, BEN))
    sched = Schedule(ROOMS)
    for b in bookings:
        sched, _ = sch.add_booking(sched, roster, b, TZ)
    return Office(roster, sched, Budget(rate_cards=(CARD,)))


def sam(start: str, hours: float, instruments: tuple[str, ...] = ("bass",)) -> Booking:
    return booking(
        start, hours, "Studio B", Participant("Sam Rivera", "StudioMusician", instruments)
    )


def musicians(office: Office, i: int = 0) -> Decimal:
    items, _ = est.booking_costs(office.bookings.bookings[i], office, "USD")
    return sum((x.amount for x in items if x.category == Category.MUSICIANS), Decimal(0))


def test_union_scale_uses_the_card_in_force_on_the_booking_day() -> None:
    # One 3-hour session: scale + 10 % pension + 5 % health.
    assert musicians(office_with(sam("2027-01-31T10:00", 3))) == Decimal("460.0000")
    # The day the new card starts, the new card applies.
    assert musicians(office_with(sam("2027-02-01T10:00", 3))) == Decimal("575.0000")


def test_union_overtime_and_doubles() -> None:
    # 4 h = 1 session + 2 half hours of overtime; one double = +20 % of the wages.
    wages = (Decimal("500") + 2 * Decimal("120")) * Decimal("1.2")
    office = office_with(sam("2027-03-01T10:00", 4, ("bass", "double bass")))
    assert musicians(office) == wages * Decimal("1.15")
    # 6 h = two sessions, no overtime.
    assert musicians(office_with(sam("2027-03-01T10:00", 6))) == 2 * Decimal("500") * Decimal(
        "1.15"
    )


def test_cancellation_terms() -> None:
    office = office_with(
        booking("2027-03-10T10:00", 3, "Studio A"),
        sam("2027-03-10T14:00", 3),
    )
    room = office.bookings.bookings[0]
    late = est.cancellation_costs(
        Booking(
            **{
                **room.__dict__,
                "status": BookingStatus.CANCELLED,
                "cancelled_at": at("2027-03-09T12:00"),
            }
        ),
        office,
        "USD",
    )
    assert [x.amount for x in late] == [Decimal("150.00")]  # inside 48 h: full charge
    early = est.cancellation_costs(
        Booking(
            **{
                **room.__dict__,
                "status": BookingStatus.CANCELLED,
                "cancelled_at": at("2027-03-07T12:00"),
            }
        ),
        office,
        "USD",
    )
    assert early == []
    union = office.bookings.bookings[1]
    charge = est.cancellation_costs(
        Booking(
            **{
                **union.__dict__,
                "status": BookingStatus.CANCELLED,
                "cancelled_at": at("2027-03-05T12:00"),
            }
        ),
        office,
        "USD",
    )
    assert sum(x.amount for x in charge) == Decimal("575.0000")  # Studio B has no terms; AFM 7 days
