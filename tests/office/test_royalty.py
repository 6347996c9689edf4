"""Producer royalties: Passman's published worked example under the three rules, to the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from producer.errors import ValidationError
from producer.model import Contract, RecoupRule
from producer.office import money
from producer.office.royalty import Sale, parse_sales, period_start, recoup_point, statement

COSTS = Decimal("120000.00")


def passman(rule: RecoupRule) -> Contract:
    """All-in 60¢, producer 10¢ (artist nets 50¢), $10,000 advance (Passman, "Producer Deals")."""
    return Contract(
        "deal", "P", Decimal("0.60"), Decimal("0.10"), rule, advance=Decimal("10000.00")
    )


def run(rule: RecoupRule, units: int) -> dict[str, object]:
    return statement(passman(rule), [Sale("2027-Q1", units)], COSTS, "USD").to_json()


def test_record_one_150k_pays_5000_and_flags_the_artist() -> None:
    s = run(RecoupRule.RECORD_ONE, 150_000)
    assert s["units_total"] == 150_000
    assert s["producer_earned"] == "15000.00"  # 150,000 × 10¢
    assert s["producer_payable"] == "5000.00"  # beyond the $10,000 advance
    # The artist's account: 150,000 × 60¢ = $90,000 < $120,000: not recouped...
    assert s["artist_account"] == "-30000.00"
    # ...so under an all-in deal the artist owes the producer that $5,000.
    assert s["flags"] == ["artist-owes-producer"]
    assert s["artist_owes_producer"] == "5000.00"
    assert s["costs_recouped"] is False
    assert s["balance_carried"] == "0.00"


@pytest.mark.parametrize(
    ("rule", "point"), [(RecoupRule.COMBINED, 200_000), (RecoupRule.NET, 240_000)]
)
def test_retroactive_rules_recoup_at_their_rate(rule: RecoupRule, point: int) -> None:
    assert recoup_point(passman(rule), COSTS) == point  # $120,000 ÷ 60¢ and ÷ 50¢
    before = run(rule, 150_000)
    assert before["producer_payable"] == "0.00"
    assert before["costs_recouped"] is False
    assert before["recoup_point_units"] == point
    assert "artist-owes-producer" not in before["flags"]  # type: ignore[operator]
    assert "held-until-recoupment" in before["flags"]  # type: ignore[operator]
    # The royalty earned so far is held, the advance already recouped from it.
    assert before["balance_carried"] == "5000.00"
    just_short = run(rule, point - 1)
    assert just_short["producer_payable"] == "0.00"
    at = run(rule, point)
    assert at["costs_recouped"] is True
    assert at["producer_payable"] == money.text(point * Decimal("0.10") - 10000, "USD")
    after = run(rule, 250_000)
    assert after["producer_payable"] == "15000.00"  # 250,000 × 10¢ − $10,000, retroactive
    assert after["flags"] == []


def test_net_rule_pays_nothing_at_200k_where_combined_pays() -> None:
    assert run(RecoupRule.NET, 200_000)["producer_payable"] == "0.00"
    assert run(RecoupRule.COMBINED, 200_000)["producer_payable"] == "10000.00"


def test_statements_are_cumulative_per_period() -> None:
    sales = [Sale("2027-Q1", 100_000), Sale("2027-Q2", 50_000), Sale("2027-Q3", 100_000)]
    c = passman(RecoupRule.COMBINED)
    q1 = statement(c, sales, COSTS, "USD", "2027-Q1")
    q2 = statement(c, sales, COSTS, "USD", "2027-Q2")
    q3 = statement(c, sales, COSTS, "USD", "2027-q3")
    assert (q1.units_total, q2.units_total, q3.units_total) == (100_000, 150_000, 250_000)
    assert (q1.payable, q2.payable) == (0, 0)
    assert q3.payable == Decimal("15000.00") and q3.units_period == 100_000
    rec = passman(RecoupRule.RECORD_ONE)
    r1 = statement(rec, sales, COSTS, "USD", "2027-Q1")
    r2 = statement(rec, sales, COSTS, "USD", "2027-Q2")
    assert r1.payable == 0 and r1.balance_carried == Decimal("0")  # 10,000 earned = advance
    assert r2.payable == Decimal("5000.00")  # the next 50,000 units, paid once
    assert statement(rec, sales, COSTS, "USD", "2027-Q3").payable == Decimal("10000.00")
    assert "advance-unrecouped" in statement(rec, [Sale("2027", 50_000)], COSTS, "USD").flags


def test_periods_and_sales_csv() -> None:
    assert period_start("2027-Q3").month == 7
    assert period_start("2027-H2").month == 7
    assert period_start("2027-11").month == 11
    with pytest.raises(ValidationError, match="2027-13"):
        period_start("2027-13")
    songs = {"first-song": "First Song"}
    rows = parse_sales(
        "period,song,units\n2027-Q1,First Song,100\n2027-Q1,first-song,5\n", "s.csv", songs
    )
    assert [r.song for r in rows] == ["first-song", "first-song"]
    for text, words in (
        ("period,unit\n2027-Q1,1\n", "s.csv: missing column 'units'"),
        ("units\n1\n", "s.csv: missing column 'period'"),
        ("period,units,song\n2027-Q1,1,Nope\n", "s.csv line 2: no song 'Nope'"),
        ("period,units\n2027-Q1,-4\n", "s.csv line 2: units '-4'"),
        ("period,units\nlater,4\n", "s.csv line 2: period 'later'"),
    ):
        with pytest.raises(ValidationError, match=words):
            parse_sales(text, "s.csv", songs)


def test_rounding_only_at_print() -> None:
    c = Contract("d", "P", Decimal("0.333"), Decimal("0.0333"), RecoupRule.RECORD_ONE)
    s = statement(c, [Sale("2027", 1)], Decimal(0), "USD")
    assert s.now.earned == Decimal("0.0333")  # exact inside
    assert s.to_json()["producer_earned"] == "0.03"
    assert money.text(Decimal("2.5"), "JPY") == "3"  # half up, no minor unit
