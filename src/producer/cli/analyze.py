"""CLI command ``analyze``: the extra ear. Parse, call ``producer.workflows.analyze``, print."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from producer.cli.app import lazy_workflow, project_dir
from producer.errors import UserError

if TYPE_CHECKING:
    from producer.workflows import analyze as wf
else:
    wf = lazy_workflow("analyze")

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def _print(analysis: wf.Analysis) -> None:
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=160)
    data = analysis.to_json()
    mix = data["mix"]
    s = data["summary"]

    def num(key: str, fmt: str) -> str:
        v = mix.get(key)
        return format(v, fmt) if isinstance(v, int | float) else "—"

    console.print(
        f"[b]{analysis.title}[/b]: {num('integrated_lufs', '.1f')} LUFS, true peak "
        f"{num('true_peak_dbtp', '.1f')} dBTP, LRA {num('loudness_range_lu', '.1f')} LU, "
        f"PLR {num('plr_lu', '.1f')} LU, DR {num('dr_rounded', 'd')}"
        + (f", lead: {analysis.context.vocal}" if analysis.context.vocal else "")
    )
    table = Table(show_lines=False)
    table.add_column("", no_wrap=True)
    table.add_column("check", no_wrap=True)
    table.add_column("heard", overflow="fold")
    table.add_column("what to do", overflow="fold")
    for f in analysis.findings:
        table.add_row(f"[{_STYLE[f.severity]}]{f.severity}[/]", f.check, f.message, f.action)
    if analysis.findings:
        console.print(table)
    console.print(f"{s['error']} error(s), {s['warning']} warning(s), {s['info']} note(s)")


def register(cli: click.Group) -> None:
    """Add this module's commands to the `producer` group."""

    @cli.command("analyze")
    @click.argument("target")
    @click.argument("more_stems", nargs=-1, type=click.Path(path_type=Path))
    @click.option(
        "--stems",
        "stems",
        multiple=True,
        type=click.Path(path_type=Path),
        help="Stem files of a mix file (or a folder of them); the names are the file names "
        "without extension. Several files may follow one --stems.",
    )
    @click.option("--vocal", default=None, help="The lead vocal's stem or track name.")
    @click.option(
        "--reference",
        "references",
        multiple=True,
        type=click.Path(path_type=Path),
        help="A reference track for the tonal balance (repeat for several).",
    )
    @click.option(
        "--against", default=None, help="Another version: a file, or a snapshot name of the song."
    )
    @click.option(
        "--profile",
        default="streaming",
        show_default=True,
        help="Delivery profile to check against.",
    )
    @click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
    @click.option(
        "--html",
        "html_out",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Write the report page here.",
    )
    @click.pass_context
    def analyze(
        ctx: click.Context,
        target: str,
        more_stems: tuple[Path, ...],
        stems: tuple[Path, ...],
        vocal: str | None,
        references: tuple[Path, ...],
        against: str | None,
        profile: str,
        as_json: bool,
        html_out: Path | None,
    ) -> None:
        """Listen to a mix and its stems: what is wrong, where, which track causes it, what to do.

        TARGET is a song of the project (rendered with its tracks in one pass) or a mix file
        (with --stems). A clean mix yields no error; the exit code is 0 either way.
        """
        if more_stems and not stems:
            raise UserError(
                f"unexpected argument {str(more_stems[0])!r} (stem files follow --stems)"
            )
        root = project_dir(ctx)
        out = None
        replaced: tuple[Path, ...] = ()
        if html_out is not None:
            out = html_out if html_out.is_absolute() else root / html_out
            inputs = [root / p for p in (Path(target), *stems, *more_stems, *references)]
            wf.check_report_path(out, root, inputs)
            replaced = wf.existing(out)
        # Progress: the shared line of producer.cli.progress (on a terminal only).
        analysis = wf.analyze(
            root,
            target,
            stems=[*stems, *more_stems],
            vocal=vocal,
            references=list(references),
            against=against,
            profile=profile,
        )
        if out is not None:
            wf.write_html(analysis, out)
        if as_json:
            click.echo(json.dumps(analysis.to_json(), indent=2))
        else:
            _print(analysis)
            if out is not None:
                click.echo(f"report written to {out}" + (" (replaced)" if replaced else ""))
