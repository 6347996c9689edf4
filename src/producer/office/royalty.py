"""Producer royalties and recoupment: the three timing rules, as a statement per period.

The producer earns ``rate`` per unit out of the artist's all-in ``all_in_rate`` per unit, and
has been paid ``advance``, which the royalties recoup first. Recording costs (which include the
advance) are recouped from the artist's royalties; the rule says when the producer is paid:

* ``record-one``: from the first unit (only the advance is recouped). If the artist's account
  has not recouped the costs at the all-in rate while the producer is paid, the artist (under
  an all-in deal) owes the producer that money: flagged ``artist-owes-producer``.
* ``combined``: nothing until units × all-in rate ≥ costs; then retroactive to record one.
* ``net``: nothing until units × (all-in − producer rate) ≥ costs; then retroactive.

Passman's worked example (all-in 0.60, producer 0.10, advance 10,000, costs 120,000): at
150,000 units record-one pays 5,000 and flags the artist; combined recoups at 200,000 units,
net at 240,000; at 250,000 units both pay 15,000. Statements are cumulative: a period's payable
is what is payable to date minus what earlier periods paid. Exact ``Decimal`` throughout.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal

from producer.errors import ValidationError
from producer.model.office import Contract, RecoupRule
from producer.office.money import ZERO, text


@dataclass(frozen=True)
class Sale:
    period: str
    units: int
    song: str = ""


_PERIOD = re.compile(r"(\d{4})(?:-(Q[1-4]|H[12]|\d{2}))?")


def period_start(period: str) -> date:
    """First day of ``2027-Q1``, ``2027-H2``, ``2027-03`` or ``2027`` (ValidationError else)."""
    m = _PERIOD.fullmatch(period.strip().upper())
    if not m:
        raise ValidationError(f"period {period!r}: write it as 2027-Q1, 2027-H1, 2027-03 or 2027")
    year, part = int(m.group(1)), m.group(2)
    if part is None:
        return date(year, 1, 1)
    if part[0] == "Q":
        return date(year, 3 * int(part[1]) - 2, 1)
    if part[0] == "H":
        return date(year, 6 * int(part[1]) - 5, 1)
    month = int(part)
    if not 1 <= month <= 12:
        raise ValidationError(f"period {period!r}: month {month} is not 01..12")
    return date(year, month, 1)


def parse_sales(text_: str, name: str, songs: dict[str, str]) -> list[Sale]:
    """Rows of a sales CSV with the header ``period,units`` (and optionally ``song``: a slug or
    title of ``songs``, a mapping slug → title). ValidationError naming the file and line."""
    reader = csv.DictReader(io.StringIO(text_.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    for column in ("period", "units"):
        if column not in header:
            raise ValidationError(
                f"{name}: missing column {column!r} (the header is {','.join(header) or 'empty'}; "
                "it needs period,units and may have song)"
            )
    by_title = {t.casefold(): s for s, t in songs.items()}
    out = []
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        if not any(row.values()):
            continue
        period = row["period"]
        if not period:
            raise ValidationError(f"{name} line {line}: period is empty")
        try:
            period_start(period)
        except ValidationError as exc:
            raise ValidationError(f"{name} line {line}: {exc.message}") from None
        units_text = row["units"].replace(",", "").replace("_", "")
        if not units_text.isdigit():
            raise ValidationError(
                f"{name} line {line}: units {row['units']!r} is not a whole number of 0 or more"
            )
        song = row.get("song", "")
        if song:
            slug = song if song in songs else by_title.get(song.casefold())
            if slug is None:
                known = ", ".join(songs) or "none"
                raise ValidationError(f"{name} line {line}: no song {song!r} (songs: {known})")
            song = slug
        out.append(Sale(period.upper(), int(units_text), song))
    return out


@dataclass(frozen=True)
class Position:
    """Where the account stands after ``units`` units (cumulative)."""

    units: int
    earned: Decimal
    recouped: bool
    payable: Decimal


def recoup_rate(contract: Contract) -> Decimal:
    """The per-unit rate at which recording costs recoup under the contract's rule (the
    artist's all-in rate for record-one and combined, the net rate for net)."""
    if contract.rule == RecoupRule.NET:
        return contract.all_in_rate - contract.rate
    return contract.all_in_rate


def recoup_point(contract: Contract, costs: Decimal) -> int | None:
    """Units at which the costs are recouped (None if the rate recoups nothing)."""
    rate = recoup_rate(contract)
    if rate <= 0:
        return None if costs > 0 else 0
    return int((costs / rate).to_integral_value(ROUND_CEILING))


def position(contract: Contract, units: int, costs: Decimal) -> Position:
    earned = contract.rate * units
    recouped = units * recoup_rate(contract) >= costs
    if contract.rule == RecoupRule.RECORD_ONE or recouped:
        payable = max(ZERO, earned - contract.advance)
    else:
        payable = ZERO
    return Position(units, earned, recouped, payable)


@dataclass(frozen=True)
class Statement:
    contract: Contract
    currency: str
    period: str
    units_period: int
    units_total: int
    costs: Decimal
    now: Position
    before: Position
    by_song: tuple[tuple[str, int], ...]

    @property
    def artist_recouped(self) -> bool:
        return self.units_total * self.contract.all_in_rate >= self.costs

    @property
    def payable(self) -> Decimal:
        """What this statement pays: payable to date minus what earlier periods paid."""
        return self.now.payable - self.before.payable

    @property
    def balance_carried(self) -> Decimal:
        """Earned to date − advance − paid to date: negative is advance still to recoup,
        positive is royalty held until the costs recoup."""
        return self.now.earned - self.contract.advance - self.now.payable

    @property
    def flags(self) -> tuple[str, ...]:
        out = []
        if self.now.payable > 0 and not self.artist_recouped:
            out.append("artist-owes-producer")
        if self.now.earned < self.contract.advance:
            out.append("advance-unrecouped")
        if self.contract.rule != RecoupRule.RECORD_ONE and not self.now.recouped:
            out.append("held-until-recoupment")
        return tuple(out)

    def to_json(self) -> dict[str, object]:
        c = self.currency
        owes = self.now.payable if "artist-owes-producer" in self.flags else ZERO
        point = recoup_point(self.contract, self.costs)
        return {
            "contract": self.contract.name,
            "producer": self.contract.party,
            "rule": self.contract.rule.value,
            "currency": c,
            "period": self.period,
            "units_period": self.units_period,
            "units_total": self.units_total,
            "all_in_rate": format(self.contract.all_in_rate, "f"),
            "producer_rate": format(self.contract.rate, "f"),
            "advance": text(self.contract.advance, c),
            "recoupable_costs": text(self.costs, c),
            "producer_earned": text(self.now.earned, c),
            "recoup_point_units": point,
            "costs_recouped": self.now.recouped,
            "artist_account": text(self.units_total * self.contract.all_in_rate - self.costs, c),
            "producer_payable": text(self.payable, c),
            "producer_payable_to_date": text(self.now.payable, c),
            "paid_in_earlier_periods": text(self.before.payable, c),
            "balance_carried": text(self.balance_carried, c),
            "artist_owes_producer": text(owes, c),
            "flags": list(self.flags),
            "by_song": [{"song": s, "units": u} for s, u in self.by_song],
            "note": "a calculation under the contract's terms, not accounting or legal advice",
        }


def statement(
    contract: Contract,
    sales: list[Sale],
    costs: Decimal,
    currency: str,
    period: str | None = None,
) -> Statement:
    """The statement for ``period`` (default: the latest period of the sales), cumulative."""
    if contract.songs:
        sales = [s for s in sales if not s.song or s.song in contract.songs]
    if not sales:
        raise ValidationError("the sales file has no rows for this contract")
    periods = sorted({s.period for s in sales}, key=period_start)
    if period is None:
        period = periods[-1]
    else:
        period = period.strip().upper()
        period_start(period)  # a malformed period is named as such
        if period not in periods:
            raise ValidationError(
                f"--period {period}: not in the sales file (periods: {', '.join(periods)})"
            )
    cutoff = period_start(period)
    to_date = [s for s in sales if period_start(s.period) <= cutoff]
    earlier = [s for s in to_date if s.period != period]
    units_total = sum(s.units for s in to_date)
    units_before = sum(s.units for s in earlier)
    songs: dict[str, int] = {}
    for s in to_date:
        if s.song:
            songs[s.song] = songs.get(s.song, 0) + s.units
    return Statement(
        contract,
        currency,
        period,
        units_total - units_before,
        units_total,
        costs,
        position(contract, units_total, costs),
        position(contract, units_before, costs),
        tuple(sorted(songs.items())),
    )


__all__ = [
    "Position",
    "Sale",
    "Statement",
    "parse_sales",
    "period_start",
    "position",
    "recoup_point",
    "recoup_rate",
    "statement",
]
