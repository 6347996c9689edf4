"""CLI commands of credits: ``credits`` (liner notes, DDEX RIN names, the page) and ``take
credit`` (who played a take).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from producer.cli.app import lazy_workflow, project_dir
from producer.cli.office.output import json_text, write_or_echo
from producer.model.office import role_name

if TYPE_CHECKING:
    from producer.workflows import office as wf
else:
    wf = lazy_workflow("office")


@click.command("credits")
@click.argument("song", required=False)
@click.option("--json", "as_json", is_flag=True, help="DDEX RIN names.")
@click.option("--html", "as_html", is_flag=True)
@click.option("-o", "out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.pass_context
def credits_cmd(
    ctx: click.Context, song: str | None, as_json: bool, as_html: bool, out: Path | None
) -> None:
    """Credits derived from the work (liner notes text; --json with DDEX RIN names; --html)."""
    if as_json and as_html:
        raise click.UsageError("give --json or --html, not both")
    r = wf.credits(project_dir(ctx), song)
    for n in r.notes:  # stderr: stdout may be the RIN JSON or the page
        click.echo(f"producer: warning: {n}", err=True)
    if as_json:
        write_or_echo(json_text(r.rin) + "\n", out)
    elif as_html:
        write_or_echo(r.html, out)
    else:
        write_or_echo(r.text, out)


@click.command("credit")
@click.argument("song")
@click.argument("track")
@click.argument("take", type=int)
@click.option("--performer", required=True, help="A person of the roster.")
@click.option("--instrument", default=None)
@click.option("--role", default=None, help="Default: the person's first performing role.")
@click.option("--booking", default=None, help="The session it was recorded in.")
@click.pass_context
def take_credit_cmd(
    ctx: click.Context,
    song: str,
    track: str,
    take: int,
    performer: str,
    instrument: str | None,
    role: str | None,
    booking: str | None,
) -> None:
    """Say who played take TAKE of TRACK."""
    c = wf.take_credit_set(
        project_dir(ctx), song, track, take, performer, instrument, role, booking
    )
    click.echo(
        f"{track} take {take}: {c.performer} ({role_name(c.role)}{', ' + c.instrument if c.instrument else ''})"
    )


def register(cli: click.Group) -> None:
    """Add this module's commands to the `producer` group."""
    cli.add_command(credits_cmd)
    take = cli.commands.get("take")
    if isinstance(take, click.Group):
        take.add_command(take_credit_cmd)


__all__ = ["register"]
