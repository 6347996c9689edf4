"""CLI command of the album board: ``status``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from producer.cli.app import lazy_workflow, project_dir
from producer.cli.office.output import echo_json, money

if TYPE_CHECKING:
    from producer.workflows import office as wf
else:
    wf = lazy_workflow("office")


@click.command("status")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def status_cmd(ctx: click.Context, as_json: bool) -> None:
    """The album board: each song's stage, what blocks it, the budget and the next booking."""
    b = wf.status(project_dir(ctx))
    if as_json:
        echo_json(b.to_json())
        return
    for s in b.songs:
        click.echo(f"{s.title} ({s.slug}): {s.stage}")
        for block in s.blocks:
            click.echo(f"  - {block}")
    for n in b.notes:
        click.echo(f"note: {n}")
    c = b.budget.currency
    click.echo(
        f"budget: estimate {c} {money(b.budget.total('estimate'), c)}, committed "
        f"{money(b.budget.total('committed'), c)}, actual {money(b.budget.total('actual'), c)} "
        f"(approved {money(b.budget.approved_total, c)})"
    )
    for w in b.budget.warnings:
        click.echo(f"  warning: {w}")
    if b.next_booking is not None:
        nb = b.next_booking
        click.echo(f"next booking: {nb.id} {nb.what.value} {nb.start:%Y-%m-%d %H:%M} in {nb.room}")
    else:
        click.echo("next booking: none")


def register(cli: click.Group) -> None:
    """Add this module's commands to the `producer` group."""
    cli.add_command(status_cmd)


__all__ = ["register"]
