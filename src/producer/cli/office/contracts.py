"""CLI commands of producer agreements: ``contract add | list``, ``royalty statement``."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import click

from producer.cli.app import lazy_workflow, project_dir
from producer.cli.office.output import echo_json, money

if TYPE_CHECKING:
    from producer.workflows import office as wf
else:
    wf = lazy_workflow("office")


@click.group("contract")
def contract_group() -> None:
    """Producer agreements."""


@contract_group.command("add")
@click.argument("name")
@click.option("--with", "party", required=True, help="The producer (a person of the roster).")
@click.option("--all-in-rate", required=True, help="Artist's all-in royalty per unit, e.g. 0.60.")
@click.option("--rate", required=True, help="Producer's royalty per unit, e.g. 0.10.")
@click.option("--advance", default="0", show_default=True)
@click.option(
    "--recoupable-costs", default="budget", show_default=True, help="An amount, or 'budget'."
)
@click.option("--rule", required=True, help="record-one, combined or net.")
@click.option("--song", "songs", multiple=True, help="Songs covered (default: all).")
@click.option("--note", default="")
@click.pass_context
def contract_add(
    ctx: click.Context,
    name: str,
    party: str,
    all_in_rate: str,
    rate: str,
    advance: str,
    recoupable_costs: str,
    rule: str,
    songs: tuple[str, ...],
    note: str,
) -> None:
    """Add a producer agreement NAME."""
    c = wf.contract_add(
        project_dir(ctx),
        name,
        party,
        all_in_rate,
        rate,
        rule,
        advance,
        recoupable_costs,
        songs,
        note,
    )
    costs = (
        "the budget's recoupable actuals" if c.recoupable_costs is None else str(c.recoupable_costs)
    )
    click.echo(
        f"{c.name}: {c.party}, {c.rate} of {c.all_in_rate} per unit, advance {c.advance}, "
        f"costs {costs}, rule {c.rule.value}"
    )


@contract_group.command("list")
@click.pass_context
def contract_list(ctx: click.Context) -> None:
    """The contracts."""
    for c in wf.contract_list(project_dir(ctx)):
        costs = "budget" if c.recoupable_costs is None else str(c.recoupable_costs)
        click.echo(
            f"{c.name}: {c.party}  all-in {c.all_in_rate}  rate {c.rate}  advance {c.advance}  "
            f"costs {costs}  {c.rule.value}  songs: {', '.join(c.songs) or 'all'}"
        )


@click.group("royalty")
def royalty_group() -> None:
    """Royalty statements."""


@royalty_group.command("statement")
@click.argument("contract")
@click.option(
    "--sales",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV: period,units[,song].",
)
@click.option("--period", default=None, help="E.g. 2027-Q1 (default: the latest).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def royalty_statement(
    ctx: click.Context, contract: str, sales: Path, period: str | None, as_json: bool
) -> None:
    """What CONTRACT's producer earned, what is recouped and payable, what is carried."""
    s = wf.royalty_statement(project_dir(ctx), contract, sales, period)
    data = s.to_json()
    if as_json:
        echo_json(data)
        return
    c = s.currency

    def m(key: str) -> str:
        return f"{c} {money(Decimal(str(data[key])), c)}"

    click.echo(
        f"royalty statement {data['period']}: {s.contract.name} ({s.contract.party}), rule {s.contract.rule.value}"
    )
    click.echo(f"  units this period {s.units_period:,}, to date {s.units_total:,}")
    click.echo(
        f"  earned to date       {m('producer_earned')}  ({s.units_total:,} x {s.contract.rate})"
    )
    click.echo(f"  advance              {m('advance')}")
    point = data["recoup_point_units"]
    state = "recouped" if s.now.recouped else "not recouped"
    click.echo(
        f"  recording costs      {m('recoupable_costs')}: {state}"
        + (f" (recoup at {point:,} units)" if isinstance(point, int) else "")
    )
    click.echo(f"  payable to date      {m('producer_payable_to_date')}")
    click.echo(f"  paid before          {m('paid_in_earlier_periods')}")
    click.echo(f"  payable now          {m('producer_payable')}")
    click.echo(f"  balance carried      {m('balance_carried')}")
    for song, units in s.by_song:
        click.echo(f"  {song}: {units:,} units")
    if "artist-owes-producer" in s.flags:
        click.echo(
            f"producer: warning: artist-owes-producer: the artist's account has not recouped "
            f"({m('artist_account')}) but {m('artist_owes_producer')} is payable to the producer; "
            "under an all-in deal the artist owes it",
            err=True,
        )
    for flag in s.flags:
        if flag != "artist-owes-producer":
            click.echo(f"flag: {flag}")


def register(cli: click.Group) -> None:
    """Add this module's commands to the `producer` group."""
    cli.add_command(contract_group)
    cli.add_command(royalty_group)


__all__ = ["register"]
