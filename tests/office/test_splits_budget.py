"""Split sheets (exact 100 % columns, acceptance by SHA-256, cleared by a change) and the budget
(estimate, committed, actual, variance, the warning past the approved total)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from producer.errors import ValidationError
from producer.model import (
    Booking,
    Category,
    Office,
    Participant,
    Person,
    Rate,
    Room,
    Roster,
    Schedule,
    SessionKind,
    Splits,
)
from producer.model.office import Budget
from producer.office import budget as bud
from producer.office import splits as spl

ROSTER = Roster(
    (
        Person("Ada", ("ComposerLyricist",), pro="PRS", ipi="00000000297"),
        Person("Ben", ("Composer",)),
        Person("Cleo", ("Lyricist",)),
        Person("Label", ("UserDefined:Label",), organisation=True),
    )
)
NOW = datetime(2027, 1, 1, 12, tzinfo=ZoneInfo("UTC"))


def shares(*texts: str, column: str = "writer") -> tuple[spl.Share, ...]:
    return tuple(spl.parse_share(t, column, ROSTER) for t in texts)


def test_each_column_totals_exactly_100() -> None:
    with pytest.raises(
        ValidationError, match=r"writer shares total 99\.99 %, 0\.01 short of 100 %"
    ):
        spl.set_sheet(Splits(), "s", "S", shares("Ada:50", "Ben:49.99"))
    with pytest.raises(ValidationError, match=r"master shares total 100\.5 %, 0\.5 over 100 %"):
        spl.set_sheet(
            Splits(),
            "s",
            "S",
            shares("Ada:100"),
            masters=shares("Label:60.5", "Ada:40", column="master"),
        )
    # Thirds, written exactly:
    r = spl.set_sheet(Splits(), "s", "S", shares("Ada:33.34", "Ben:33.33", "Cleo:33.33"))
    assert sum(s.share for s in r.sheet.writers) == Decimal(100)
    assert [s.role for s in r.sheet.writers] == ["ComposerLyricist", "Composer", "Lyricist"]
    assert r.sheet.writers[0].ipi == "00000000297" and r.sheet.writers[0].pro == "PRS"


def test_acceptance_records_time_and_hash_and_a_change_clears_it() -> None:
    r = spl.set_sheet(
        Splits(), "s", "S", shares("Ada:50", "Ben:50"), masters=shares("Label:100", column="master")
    )
    splits, a = spl.accept(r.splits, "s", "S", "ada", NOW)
    assert a.party == "Ada" and a.time == NOW
    assert a.sha256 == spl.sheet_hash(r.sheet, "S") and len(a.sha256) == 64
    st = spl.status(splits.sheet("s"), "S")  # type: ignore[arg-type]
    assert st.pending == ("Ben", "Label") and not st.final
    for who in ("Ben", "Label"):
        splits, _ = spl.accept(splits, "s", "S", who, NOW)
    assert spl.status(splits.sheet("s"), "S").final  # type: ignore[arg-type]
    # The same shares again change nothing: the acceptances stay.
    same = spl.set_sheet(splits, "s", "S", shares("Ada:50", "Ben:50"))
    assert same.cleared == () and len(same.sheet.acceptances) == 3
    # A change clears every acceptance, and says whose.
    changed = spl.set_sheet(splits, "s", "S", shares("Ada:60", "Ben:40"))
    assert changed.cleared == ("Ada", "Ben", "Label")
    assert changed.sheet.acceptances == ()
    # A hand edit of a share leaves acceptances whose hash no longer matches: they do not count.
    edited = replace(
        splits.sheet("s"),  # type: ignore[arg-type]
        writers=(
            replace(splits.sheet("s").writers[0], share=Decimal("50.0001")),
            splits.sheet("s").writers[1],
        ),  # type: ignore[union-attr]
    )
    st = spl.status(edited, "S")
    assert st.stale == ("Ada", "Ben", "Label") and not st.final
    with pytest.raises(ValidationError, match="not a party"):
        spl.accept(splits, "s", "S", "Cleo", NOW)


def test_printable_sheet_has_every_party_and_the_hash() -> None:
    r = spl.set_sheet(Splits(), "s", "Song <1>", shares("Ada:50", "Ben:50"))
    page = spl.html_sheet(spl.status(r.sheet, "Song <1>"), "Album", "Artist")
    assert "Song &lt;1&gt;" in page and "Ada" in page and "00000000297" in page
    assert spl.sheet_hash(r.sheet, "Song <1>") in page


def _office(*expenses: tuple[str, str, str]) -> Office:
    roster = Roster(
        (Person("Jane", ("StudioMusician",), rates=(Rate("session", Decimal("425.00")),)),)
    )
    room = Room("A", (Rate("hour", Decimal("50.00")),))
    start = datetime(2027, 1, 12, 10)
    b = Booking(
        "b1",
        SessionKind.TRACKING,
        "A",
        start,
        start + timedelta(hours=3),
        ("s",),
        (Participant("Jane", "StudioMusician"),),
    )
    office = Office(roster, Schedule((room,), (b,)))
    budget = Budget(approved_total=Decimal("1000.00"))
    budget = bud.set_line(budget, Category.STUDIO, Decimal("200.00"), None, None)
    budget = bud.set_line(budget, Category.MUSICIANS, Decimal("400.00"), None, None)
    office = replace(office, budget=budget)
    for cat, amount, booking in expenses:
        budget, _ = bud.add_expense(
            office, Category(cat), Decimal(amount), date(2027, 1, 12), booking
        )
        office = replace(office, budget=budget)
    return office


def test_budget_estimate_committed_actual_variance() -> None:
    r = bud.report(_office(), "USD")
    lines = {x.category: x for x in r.lines}
    assert lines[Category.STUDIO].committed == Decimal("150.00")
    assert lines[Category.MUSICIANS].committed == Decimal("425.00")
    assert lines[Category.MUSICIANS].variance == Decimal("-25.00")
    assert r.warnings == ()
    # The studio invoice settles the booking's studio cost only; the musician stays committed.
    r = bud.report(_office(("studio", "160.00", "b1")), "USD")
    lines = {x.category: x for x in r.lines}
    assert (lines[Category.STUDIO].committed, lines[Category.STUDIO].actual) == (
        0,
        Decimal("160.00"),
    )
    assert lines[Category.MUSICIANS].committed == Decimal("425.00")
    assert r.to_json()["total"] == {
        "estimate": "600.00",
        "committed": "425.00",
        "actual": "160.00",
        "variance": "15.00",
    }
    # Actual + committed past the approved total: warned.
    r = bud.report(_office(("artwork", "500.00", "")), "USD")
    assert r.warnings and "passes the approved total (1000.00) by 75.00" in r.warnings[0]
