"""CLI commands of split sheets: ``split set | accept | show``."""

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
        write_or_echo(page, out)
        return
    if as_json:
        write_or_echo(json_text(st.to_json()) + "\n", out)
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
    write_or_echo("\n".join(lines) + "\n", out)


def register(cli: click.Group) -> None:
    """Add this module's commands to the `producer` group."""
    cli.add_command(split_group)


__all__ = ["register"]
