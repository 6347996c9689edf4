"""CLI commands of the office: person, room, book, schedule, budget, expense, ratecard, contract,
royalty, split, credits, status, take credit. Parse, call one ``producer.workflows.office``
function, print (amounts rounded to the currency's minor unit only here)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from producer.cli.app import lazy_workflow, project_dir
from producer.model.office import ROLES, role_name

if TYPE_CHECKING:
    from producer.workflows import office as wf
else:
    wf = lazy_workflow("office")


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _money(amount: Decimal, currency: str) -> str:
    """Rounded to the currency's minor unit, grouped: 5,000.00 (rounding happens here only)."""
    return wf.money_text(amount, currency)


def _write_or_echo(text: str, out: Path | None) -> None:
    if out is None:
        click.echo(text, nl=False)
    else:
        wf.write_page(out, text)
        click.echo(f"wrote {out}", err=True)


# ---------------------------------------------------------------- people


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
        bits.append(f"{r.unit}={r.amount}" + (f"@{r.effective_from}" if r.effective_from else ""))
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
        _echo_json(
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


# ---------------------------------------------------------------- rooms, bookings, schedule


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
        rates = ", ".join(
            f"{x.unit}={x.amount}" + (f"@{x.effective_from}" if x.effective_from else "")
            for x in r.rates
        )
        terms = (
            f"; cancel inside {r.cancel_hours} h: {r.cancel_charge_pct} %" if r.cancel_hours else ""
        )
        click.echo(f"{r.name}  {rates}{terms}")


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
        "cost": wf.money_text(sum((i.amount for i in b.items), Decimal(0)), c, grouped=False),
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
    cost = sum((i.amount for i in b.items), Decimal(0))
    status = "" if bk.status == "confirmed" else f" [{bk.status}]"
    return (
        f"{bk.id:4s} {bk.start:%Y-%m-%d %H:%M}-{end}  {bk.what.value:9s} {bk.room}"
        f"  {', '.join(bk.songs) or '-'}  {who or '-'}  {b.currency} {_money(cost, b.currency)}{status}"
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
            f"  {i.category.value:10s} {b.currency} {_money(i.amount, b.currency):>10s}  {i.what}"
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
        _echo_json([_booking_json(b) for b in rows])
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
    total = sum((i.amount for i in b.items), Decimal(0))
    click.echo(f"cancelled {b.booking.id}: charge {b.currency} {_money(total, b.currency)}")
    for i in b.items:
        click.echo(f"  {b.currency} {_money(i.amount, b.currency):>10s}  {i.what}")


# ---------------------------------------------------------------- budget and expenses


@click.group("budget", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def budget_group(ctx: click.Context, as_json: bool) -> None:
    """Estimate, committed (booked), actual and variance per line (subcommands: line, approve)."""
    if ctx.invoked_subcommand is not None:
        return
    r = wf.budget_report(project_dir(ctx))
    if as_json:
        _echo_json(r.to_json())
        return
    c = r.currency
    click.echo(f"{'line':14s}{'estimate':>14s}{'committed':>14s}{'actual':>14s}{'variance':>14s}")
    for line in r.lines:
        click.echo(
            f"{line.category.value:14s}{_money(line.estimate, c):>14s}{_money(line.committed, c):>14s}"
            f"{_money(line.actual, c):>14s}{_money(line.variance, c):>14s}"
        )
    tot = [r.total(k) for k in ("estimate", "committed", "actual")]
    click.echo(
        f"{'total ' + c:14s}{_money(tot[0], c):>14s}{_money(tot[1], c):>14s}{_money(tot[2], c):>14s}"
        f"{_money(tot[0] - tot[1] - tot[2], c):>14s}"
    )
    what = "sum of the lines" if r.approved_is_sum else "approved"
    click.echo(f"{what}: {c} {_money(r.approved_total, c)}")
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


# ---------------------------------------------------------------- contracts, royalties


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
        _echo_json(data)
        return
    c = s.currency

    def m(key: str) -> str:
        return f"{c} {_money(Decimal(str(data[key])), c)}"

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


# ---------------------------------------------------------------- split sheets


@click.group("split")
def split_group() -> None:
    """Split sheets: composition and master shares, accepted by every party."""


@split_group.command("set")
@click.argument("song")
@click.option("--writer", "writers", multiple=True, help='"NAME:50" or "NAME:50:Lyricist".')
@click.option("--publisher", "publishers", multiple=True, help='"NAME:PCT".')
@click.option("--master", "masters", multiple=True, help='"OWNER:PCT".')
@click.pass_context
def split_set(
    ctx: click.Context,
    song: str,
    writers: tuple[str, ...],
    publishers: tuple[str, ...],
    masters: tuple[str, ...],
) -> None:
    """Set SONG's shares (the columns given); each column must total exactly 100 %."""
    r = wf.split_set(project_dir(ctx), song, writers, publishers, masters)
    cols = [
        ("writers", r.sheet.writers),
        ("publishers", r.sheet.publishers),
        ("masters", r.sheet.masters),
    ]
    for name, shares in cols:
        if shares:
            click.echo(f"{name}: " + ", ".join(f"{s.party} {s.share} %" for s in shares))
    if r.cleared:
        click.echo(
            f"producer: the sheet changed: the acceptances of {', '.join(r.cleared)} are cleared; "
            "each party must accept it again",
            err=True,
        )


@split_group.command("accept")
@click.argument("song")
@click.option("--by", required=True, help="The party who accepts.")
@click.pass_context
def split_accept(ctx: click.Context, song: str, by: str) -> None:
    """Record that a party accepts SONG's sheet as it is (time and SHA-256)."""
    a = wf.split_accept(project_dir(ctx), song, by)
    click.echo(f"{a.party} accepted at {a.time.isoformat()} (sha256 {a.sha256[:16]}…)")


@split_group.command("show")
@click.argument("song")
@click.option("--json", "as_json", is_flag=True)
@click.option("--html", "as_html", is_flag=True, help="The printable split sheet.")
@click.option("-o", "out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.pass_context
def split_show(
    ctx: click.Context, song: str, as_json: bool, as_html: bool, out: Path | None
) -> None:
    """SONG's split sheet and who accepted it."""
    st, page = wf.split_show(project_dir(ctx), song)
    if as_html or (out is not None and out.suffix.lower() in (".html", ".htm")):
        _write_or_echo(page, out)
        return
    if as_json:
        _write_or_echo(json.dumps(st.to_json(), indent=2, ensure_ascii=False) + "\n", out)
        return
    lines = [f"split sheet: {st.title} ({st.sheet.song})"]
    for name, shares in (
        ("writers", st.sheet.writers),
        ("publishers", st.sheet.publishers),
        ("masters", st.sheet.masters),
    ):
        for s in shares:
            extra = "  ".join(x for x in (role_name(s.role), s.pro, s.ipi) if x)
            lines.append(f"  {name[:-1]:9s} {s.party:24s}{s.share:>8} %  {extra}")
    for a in st.accepted:
        lines.append(f"  accepted by {a.party} at {a.time.isoformat()}")
    if st.stale:
        lines.append(f"  stale acceptances (another version of the sheet): {', '.join(st.stale)}")
    lines.append(
        "  final: accepted by every party"
        if st.final
        else f"  waiting for: {', '.join(st.pending)}"
    )
    lines.append(f"  sha256 {st.sha256}")
    _write_or_echo("\n".join(lines) + "\n", out)


# ---------------------------------------------------------------- credits, status, takes


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
    if as_json:
        _write_or_echo(json.dumps(r.rin, indent=2, ensure_ascii=False) + "\n", out)
    elif as_html:
        _write_or_echo(r.html, out)
    else:
        _write_or_echo(r.text, out)


@click.command("status")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def status_cmd(ctx: click.Context, as_json: bool) -> None:
    """The album board: each song's stage, what blocks it, the budget and the next booking."""
    b = wf.status(project_dir(ctx))
    if as_json:
        _echo_json(b.to_json())
        return
    for s in b.songs:
        click.echo(f"{s.title} ({s.slug}): {s.stage}")
        for block in s.blocks:
            click.echo(f"  - {block}")
    c = b.budget.currency
    click.echo(
        f"budget: estimate {c} {_money(b.budget.total('estimate'), c)}, committed "
        f"{_money(b.budget.total('committed'), c)}, actual {_money(b.budget.total('actual'), c)} "
        f"(approved {_money(b.budget.approved_total, c)})"
    )
    for w in b.budget.warnings:
        click.echo(f"  warning: {w}")
    if b.next_booking is not None:
        nb = b.next_booking
        click.echo(f"next booking: {nb.id} {nb.what.value} {nb.start:%Y-%m-%d %H:%M} in {nb.room}")
    else:
        click.echo("next booking: none")


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
    for cmd in (
        person_group,
        room_group,
        book_cmd,
        schedule_group,
        budget_group,
        expense_group,
        ratecard_group,
        contract_group,
        royalty_group,
        split_group,
        credits_cmd,
        status_cmd,
    ):
        cli.add_command(cmd)
    take = cli.commands.get("take")
    if isinstance(take, click.Group):
        take.add_command(take_credit_cmd)
