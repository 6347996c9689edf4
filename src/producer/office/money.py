"""Money: exact amounts (``Decimal``) in the project's one ISO 4217 currency.

Amounts are computed exactly and rounded only where a statement is printed, to the currency's
minor unit (2 for EUR, 0 for JPY, 3 for BHD: CLDR's figures, through babel), half up as
accountants round. ISO 4217 codes are checked against pycountry's list of current currencies.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import pycountry
from babel.numbers import get_currency_precision

from producer.errors import ValidationError

ZERO = Decimal(0)
HUNDRED = Decimal(100)


def currency_problem(code: str) -> str | None:
    """Why ``code`` is not a current ISO 4217 currency code, or None."""
    if not re.fullmatch(r"[A-Z]{3}", code or ""):
        return f"currency {code!r} is not an ISO 4217 code like EUR or USD (3 capital letters)"
    if pycountry.currencies.get(alpha_3=code) is None:
        return f"currency {code!r} is not a current ISO 4217 currency"
    return None


def check_currency(code: str) -> str:
    """``code`` upper-cased if it is a current ISO 4217 code; ValidationError otherwise."""
    code = code.strip().upper()
    if why := currency_problem(code):
        raise ValidationError(why)
    return code


def digits(currency: str) -> int:
    """Decimal places of the currency's minor unit."""
    return int(get_currency_precision(currency))


def rounded(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded half up to the currency's minor unit (for printing only)."""
    return amount.quantize(Decimal(1).scaleb(-digits(currency)), rounding=ROUND_HALF_UP)


def text(amount: Decimal, currency: str) -> str:
    """The decimal string of a statement: "5000.00" (no grouping, no symbol)."""
    return format(rounded(amount, currency), "f")


def show(amount: Decimal, currency: str) -> str:
    """For people: "USD 5,000.00"."""
    return f"{currency} {rounded(amount, currency):,}"


_AMOUNT = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def parse_amount(value: str, what: str, *, allow_zero: bool = True) -> Decimal:
    """An amount the user typed ("1200.00", "1200"): exact, finite, 0 or more."""
    raw = value.strip().replace(",", "") if value.count(",") and "." in value else value.strip()
    if not _AMOUNT.fullmatch(raw):
        raise ValidationError(f"{what}: {value!r} is not an amount like 1200.00")
    try:
        amount = Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise ValidationError(f"{what}: {value!r} is not an amount like 1200.00") from None
    if amount < 0:
        raise ValidationError(f"{what}: {value} is negative; amounts are 0 or more")
    if not allow_zero and amount == 0:
        raise ValidationError(f"{what}: must be more than 0")
    return amount


def parse_percent(value: str, what: str) -> Decimal:
    """A percentage the user typed ("50", "33.34", "50%"): exact, more than 0, at most 100."""
    raw = value.strip().removesuffix("%").strip()
    if not _AMOUNT.fullmatch(raw):
        raise ValidationError(f"{what}: {value!r} is not a percentage like 50 or 33.34")
    pct = Decimal(raw)
    if not ZERO < pct <= HUNDRED:
        raise ValidationError(f"{what}: {value} % is not more than 0 and at most 100")
    return pct


__all__ = [
    "HUNDRED",
    "ZERO",
    "check_currency",
    "currency_problem",
    "digits",
    "parse_amount",
    "parse_percent",
    "rounded",
    "show",
    "text",
]
