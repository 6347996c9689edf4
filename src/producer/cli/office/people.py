"""CLI commands of the roster: ``person add | set | remove | list | roles``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from producer.cli.app import lazy_workflow, project_dir
from producer.cli.office.output import echo_json, rate_text
from producer.model.office import ROLES, role_name

if TYPE_CHECKING:
    from producer.workflows import office as wf
else:
    wf = lazy_workflow("office")


def _person_options(f: Any) -> Any:
    for opt in reversed(
        [
            click.option(
                "--role", "roles", multiple=True, help="DDEX role (repeat), e.g. Producer."
            ),
            click.option("--instrument", "instruments", multiple=True, help="Instrument (repeat)."),
            click.option("--email", default=None),
            click.option("--phone", default=None),
            click.option(
                "--pro", default=None, help="Performing rights organisation (PRS, ASCAP...)."
            ),
            click.option("--ipi", default=None, help="IPI name number (11 digits, checked)."),
            click.option("--isni", default=None, help="ISNI (16 characters, checked)."),
            click.option("--union", default=None, help="Union membership, e.g. AFM."),
            click.option(
                "--rate", "rates", multiple=True, help='"session=425.00", "hour=50.00@2027-01-01".'
            ),
            click.option("--organisation/--person", "organisation", default=None),
            click.option("--note", default=None),
        ]
    ):
        f = opt(f)
    return f


def _fields(kw: dict[str, Any], for_set: bool) -> wf.PersonFields:
    def many(key: str) -> Any:
        value = kw[key]
        return list(value) if value or not for_set else None

    return wf.PersonFields(
        roles=many("roles"),
        instruments=many("instruments"),
        email=kw["email"],
        phone=kw["phone"],
        pro=kw["pro"],
        ipi=kw["ipi"],
        isni=kw["isni"],
        union=kw["union"],
        rates=many("rates"),
        organisation=kw["organisation"],
        note=kw["note"],
    )


def _person_line(p: Any) -> str:
    bits = [p.name, ", ".join(role_name(r) for r in p.roles) or "-"]
    if p.instruments:
        bits.append(", ".join(p.instruments))
    for label, value in (("PRO", p.pro), ("IPI", p.ipi), ("ISNI", p.isni), ("union", p.union)):
        if value:
            bits.append(f"{label} {value}")
    if p.email:
        bits.append(p.email)
    for r in p.rates:
        bits.append(rate_text(r))
    return "  ".join(bits)


@click.group("person")
def person_group() -> None:
    """The roster: people and organisations, their DDEX roles, IPI/ISNI, rates."""


@person_group.command("add")
@click.argument("name")
@_person_options
@click.pass_context
def person_add(ctx: click.Context, /, name: str, **kw: Any) -> None:
    """Add NAME to the roster."""
    p = wf.person_add(project_dir(ctx), name, _fields(kw, False))
    click.echo(_person_line(p))


@person_group.command("set")
@click.argument("name")
@_person_options
@click.option("--rename", default=None, help="A new name (while nothing refers to the old one).")
@click.pass_context
def person_set(ctx: click.Context, /, name: str, rename: str | None, **kw: Any) -> None:
    """Change NAME: given --role/--instrument lists replace the old ones; --rate adds."""
    p = wf.person_set(project_dir(ctx), name, _fields(kw, True), rename)
    click.echo(_person_line(p))


@person_group.command("remove")
@click.argument("name")
@click.pass_context
def person_remove(ctx: click.Context, name: str) -> None:
    """Remove NAME (refused while a booking, contract, split sheet or take names them)."""
    wf.person_remove(project_dir(ctx), name)


@person_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def person_list(ctx: click.Context, as_json: bool) -> None:
    """The roster."""
    people = wf.person_list(project_dir(ctx))
    if as_json:
        echo_json(
            [
                {
                    "name": p.name,
                    "roles": list(p.roles),
                    "role_names": [role_name(r) for r in p.roles],
                    "instruments": list(p.instruments),
                    "email": p.email,
                    "phone": p.phone,
                    "pro": p.pro,
                    "ipi": p.ipi,
                    "isni": p.isni,
                    "union": p.union,
                    "organisation": p.organisation,
                    "rates": [
                        {
                            "unit": r.unit,
                            "amount": format(r.amount, "f"),
                            "effective_from": r.effective_from.isoformat()
                            if r.effective_from
                            else None,
                        }
                        for r in p.rates
                    ],
                }
                for p in people
            ]
        )
        return
    if not people:
        click.echo("nobody yet: producer person add NAME --role ...")
    for p in people:
        click.echo(_person_line(p))


@person_group.command("roles")
def person_roles() -> None:
    """The DDEX roles producer knows, with the names it shows."""
    for value, name in ROLES.items():
        click.echo(f"{value:28s} {name}")


def register(cli: click.Group) -> None:
    """Add this module's commands to the `producer` group."""
    cli.add_command(person_group)


__all__ = ["register"]
