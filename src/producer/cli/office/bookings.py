"""CLI commands of rooms and bookings: ``room add | list``, ``book``, ``schedule [export |
cancel]``.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from producer.cli.app import lazy_workflow, project_dir
from producer.cli.office.output import echo_json, money, rate_text
from producer.model.office import role_name

if TYPE_CHECKING:
    from producer.workflows import office as wf
else:
    wf = lazy_workflow("office")


@click.group("room")
def room_group() -> None:
    """Rooms (and gear) with rates and cancellation terms."""


@room_group.command("add")
@click.argument("name")
@click.option("--rate", "rates", multiple=True, help='"hour=50.00", "day=350.00@2027-01-01".')
@click.option("--cancel-hours", type=int, default=0, show_default=True)
@click.option("--cancel-charge", default="100", show_default=True, help="% charged inside.")
@click.option("--note", default="")
@click.pass_context
def room_add(
    ctx: click.Context,
    name: str,
    rates: tuple[str, ...],
    cancel_hours: int,
    cancel_charge: str,
    note: str,
) -> None:
    """Add room NAME."""
    r = wf.room_add(project_dir(ctx), name, rates, cancel_hours, cancel_charge, note)
    terms = f", {r.cancel_charge_pct} % inside {r.cancel_hours} h" if r.cancel_hours else ""
    click.echo(f"{r.name}: " + ", ".join(f"{x.unit}={x.amount}" for x in r.rates) + terms)


@room_group.command("list")
@click.pass_context
def room_list(ctx: click.Context) -> None:
    """The rooms."""
    for r in wf.room_list(project_dir(ctx)):
        rates = ", ".join(rate_text(x) for x in r.rates)
        terms = (
            f"; cancel inside {r.cancel_hours} h: {r.cancel_charge_pct} %" if r.cancel_hours else ""
        )
        click.echo(f"{r.name}  {rates}{terms}")


def _cost(b: Any) -> Decimal:
    """What a booking costs: the sum of its items (charges, for a cancelled one)."""
    return sum((i.amount for i in b.items), Decimal(0))


def _booking_json(b: Any) -> dict[str, Any]:
    c = b.currency
    return {
        "id": b.booking.id,
        "what": b.booking.what.value,
        "status": b.booking.status.value,
        "songs": list(b.booking.songs),
        "room": b.booking.room,
        "start": b.booking.start.isoformat(),
        "end": b.booking.end.isoformat(),
        "cancelled_at": b.booking.cancelled_at.isoformat() if b.booking.cancelled_at else None,
        "people": [
            {"person": p.person, "role": p.role, "instruments": list(p.instruments)}
            for p in b.booking.people
        ],
        "currency": c,
        "cost": wf.money_text(_cost(b), c, grouped=False),
        "cost_items": [
            {
                "category": i.category.value,
                "what": i.what,
                "amount": wf.money_text(i.amount, c, grouped=False),
            }
            for i in b.items
        ],
        "notes": list(b.notes),
    }


def _booking_line(b: Any) -> str:
    bk = b.booking
    end = bk.end.strftime("%H:%M" if bk.end.date() == bk.start.date() else "%Y-%m-%d %H:%M")
    who = ", ".join(
        f"{p.person} ({role_name(p.role)}{': ' + ', '.join(p.instruments) if p.instruments else ''})"
        for p in bk.people
    )
    cost = _cost(b)
    status = "" if bk.status == "confirmed" else f" [{bk.status}]"
    return (
        f"{bk.id:4s} {bk.start:%Y-%m-%d %H:%M}-{end}  {bk.what.value:9s} {bk.room}"
        f"  {', '.join(bk.songs) or '-'}  {who or '-'}  {b.currency} {money(cost, b.currency)}{status}"
    )


@click.command("book")
@click.argument("songs", nargs=-1)
@click.option("--what", required=True, help="tracking, overdub, mix, master or rehearsal.")
@click.option("--room", required=True)
@click.option("--start", required=True, help="2027-01-12T10:00 (the album's time zone).")
@click.option("--hours", type=float, default=None)
@click.option("--end", default=None, help="Instead of --hours.")
@click.option("--with", "people", multiple=True, help='"Jane Doe:StudioMusician:bass" (repeat).')
@click.option("--note", default="")
@click.pass_context
def book_cmd(
    ctx: click.Context,
    songs: tuple[str, ...],
    what: str,
    room: str,
    start: str,
    hours: float | None,
    end: str | None,
    people: tuple[str, ...],
    note: str,
) -> None:
    """Book a session for SONGS; refused when a person or the room is booked at the time."""
    b = wf.book(project_dir(ctx), songs, what, room, start, hours, end, people, note)
    click.echo(f"booked {_booking_line(b)}")
    for i in b.items:
        click.echo(
            f"  {i.category.value:10s} {b.currency} {money(i.amount, b.currency):>10s}  {i.what}"
        )
    for n in b.notes:
        click.echo(f"  note: {n}")


@click.group("schedule", invoke_without_command=True)
@click.option("--from", "start", default=None, help="From this date/time on.")
@click.option("--to", "end", default=None, help="Up to this date/time.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def schedule_group(ctx: click.Context, start: str | None, end: str | None, as_json: bool) -> None:
    """The bookings in time order (subcommands: export, cancel)."""
    if ctx.invoked_subcommand is not None:
        return
    rows = wf.schedule(project_dir(ctx), start, end)
    if as_json:
        echo_json([_booking_json(b) for b in rows])
        return
    if not rows:
        click.echo("no bookings")
    for b in rows:
        click.echo(_booking_line(b))


@schedule_group.command("export")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def schedule_export(ctx: click.Context, out: Path) -> None:
    """Write every booking to an iCalendar file OUT (.ics) that calendar apps import."""
    n = wf.schedule_export(project_dir(ctx), out)
    click.echo(f"wrote {n} booking(s) to {out}")


@schedule_group.command("cancel")
@click.argument("booking")
@click.option("--at", default=None, help="When it was cancelled (default: now).")
@click.pass_context
def schedule_cancel(ctx: click.Context, booking: str, at: str | None) -> None:
    """Cancel BOOKING: it stays in the schedule, with the charges of the room's terms."""
    b = wf.book_cancel(project_dir(ctx), booking, at)
    total = _cost(b)
    click.echo(f"cancelled {b.booking.id}: charge {b.currency} {money(total, b.currency)}")
    for i in b.items:
        click.echo(f"  {b.currency} {money(i.amount, b.currency):>10s}  {i.what}")


def register(cli: click.Group) -> None:
    """Add this module's commands to the `producer` group."""
    cli.add_command(room_group)
    cli.add_command(book_cmd)
    cli.add_command(schedule_group)


__all__ = ["register"]
