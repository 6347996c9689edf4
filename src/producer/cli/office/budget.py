"""CLI commands of the money spent and planned: ``budget [line | approve]``, ``expense add |
list | remove``, ``ratecard import | list``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from producer.cli.app import lazy_workflow, project_dir
from producer.cli.office.output import echo_json, money

if TYPE_CHECKING:
    from producer.workflows import office as wf
else:
    wf = lazy_workflow("office")


@click.group("budget", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def budget_group(ctx: click.Context, as_json: bool) -> None:
    """Estimate, committed (booked), actual and variance per line (subcommands: line, approve)."""
    if ctx.invoked_subcommand is not None:
        return
    r = wf.budget_report(project_dir(ctx))
    if as_json:
        echo_json(r.to_json())
        return
    c = r.currency
    click.echo(f"{'line':14s}{'estimate':>14s}{'committed':>14s}{'actual':>14s}{'variance':>14s}")
    for line in r.lines:
        click.echo(
            f"{line.category.value:14s}{money(line.estimate, c):>14s}{money(line.committed, c):>14s}"
            f"{money(line.actual, c):>14s}{money(line.variance, c):>14s}"
        )
    tot = [r.total(k) for k in ("estimate", "committed", "actual")]
    click.echo(
        f"{'total ' + c:14s}{money(tot[0], c):>14s}{money(tot[1], c):>14s}{money(tot[2], c):>14s}"
        f"{money(tot[0] - tot[1] - tot[2], c):>14s}"
    )
    what = "sum of the lines" if r.approved_is_sum else "approved"
    click.echo(f"{what}: {c} {money(r.approved_total, c)}")
    for n in r.notes:
        click.echo(f"note: {n}")
    for w in r.warnings:
        click.echo(f"producer: warning: {w}", err=True)


@budget_group.command("line")
@click.argument("category")
@click.argument("estimate")
@click.option("--recoupable/--not-recoupable", default=None)
@click.option("--note", default=None)
@click.pass_context
def budget_line(
    ctx: click.Context, category: str, estimate: str, recoupable: bool | None, note: str | None
) -> None:
    """Set the estimate of budget line CATEGORY (studio, musicians, engineers, ...)."""
    wf.budget_line(project_dir(ctx), category, estimate, recoupable, note)


@budget_group.command("approve")
@click.argument("total")
@click.pass_context
def budget_approve(ctx: click.Context, total: str) -> None:
    """Set the approved total of the budget."""
    wf.budget_approve(project_dir(ctx), total)


@click.group("expense")
def expense_group() -> None:
    """Money spent (actuals)."""


@expense_group.command("add")
@click.option("--category", required=True)
@click.option("--amount", required=True, help="Like 1200.00.")
@click.option("--booking", default="", help="The booking this pays (settles it).")
@click.option("--note", default="")
@click.option("--date", "day", default=None, help="Default: today.")
@click.option("--recoupable/--not-recoupable", default=None)
@click.pass_context
def expense_add(
    ctx: click.Context,
    category: str,
    amount: str,
    booking: str,
    note: str,
    day: str | None,
    recoupable: bool | None,
) -> None:
    """Record an expense."""
    e = wf.expense_add(project_dir(ctx), category, amount, booking, note, day, recoupable)
    click.echo(
        f"{e.id}: {e.category.value} {e.amount} on {e.date}"
        + (f" ({e.booking})" if e.booking else "")
    )


@expense_group.command("list")
@click.pass_context
def expense_list(ctx: click.Context) -> None:
    """The expenses."""
    for e in wf.expense_list(project_dir(ctx)):
        flags = "" if e.recoupable else "  (not recoupable)"
        click.echo(
            f"{e.id:4s} {e.date}  {e.category.value:12s}{e.amount:>12}  {e.booking or '-':4s} {e.note}{flags}"
        )


@expense_group.command("remove")
@click.argument("expense_id")
@click.pass_context
def expense_remove(ctx: click.Context, expense_id: str) -> None:
    """Remove an expense."""
    wf.expense_remove(project_dir(ctx), expense_id)


@click.group("ratecard")
def ratecard_group() -> None:
    """Union scale cards with effective dates (estimates of union musicians' sessions)."""


@ratecard_group.command("import")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def ratecard_import(ctx: click.Context, file: Path | None) -> None:
    """Import a scale card FILE (without FILE: producer's example card, figures not current)."""
    card = wf.ratecard_import(project_dir(ctx), file)
    click.echo(
        f"imported {card.name} ({card.union}, {card.currency}, {len(card.periods)} period(s))"
    )
    if card.note:
        click.echo(f"note: {card.note}")


@ratecard_group.command("list")
@click.pass_context
def ratecard_list(ctx: click.Context) -> None:
    """The scale cards of the project."""
    for card in wf.ratecard_list(project_dir(ctx)):
        click.echo(f"{card.name} ({card.union}, {card.currency})")
        for p in card.periods:
            click.echo(
                f"  from {p.effective_from}: {p.session_rate} per {p.session_hours} h, "
                f"pension {p.pension_pct} %, health {p.health_pct} %"
            )


def register(cli: click.Group) -> None:
    """Add this module's commands to the `producer` group."""
    cli.add_command(budget_group)
    cli.add_command(expense_group)
    cli.add_command(ratecard_group)


__all__ = ["register"]
