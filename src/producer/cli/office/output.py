"""How the office commands print: JSON, amounts rounded to the currency's minor unit (the
only place they are rounded), rates, and pages written to a file or to stdout."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from producer.cli.app import lazy_workflow

if TYPE_CHECKING:
    from producer.workflows import office as wf
else:
    wf = lazy_workflow("office")


def json_text(data: Any) -> str:
    """``data`` as the office's JSON: indented, non-ASCII kept as it is."""
    return json.dumps(data, indent=2, ensure_ascii=False)


def echo_json(data: Any) -> None:
    """``data`` as the office's JSON on stdout."""
    click.echo(json_text(data))


def money(amount: Decimal, currency: str) -> str:
    """Rounded to the currency's minor unit, grouped: 5,000.00 (rounding happens here only)."""
    return wf.money_text(amount, currency)


def write_or_echo(text: str, out: Path | None) -> None:
    """``text`` to the file ``out`` (said on stderr), or to stdout without ``out``."""
    if out is None:
        click.echo(text, nl=False)
    else:
        wf.write_page(out, text)
        click.echo(f"wrote {out}", err=True)


def rate_text(rate: Any) -> str:
    """A dated rate as the commands take it: ``session=425.00@2027-01-01``."""
    return f"{rate.unit}={rate.amount}" + (f"@{rate.effective_from}" if rate.effective_from else "")


__all__ = ["echo_json", "json_text", "money", "rate_text", "write_or_echo"]
