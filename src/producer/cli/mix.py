"""CLI commands of the mix: ``mix`` (render), ``bus add``, ``send add``, ``fx ...``, ``automate``.

Parse, call one ``producer.workflows.mix`` function, print. The render shows a rich progress
bar on a terminal (``producer.cli.progress``); an integer output that clipped is a warning.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from producer.cli.app import lazy_workflow, project_dir

if TYPE_CHECKING:
    from producer.workflows import mix as wf
else:
    wf = lazy_workflow("mix")


def register(cli: click.Group) -> None:
    """Add this module's commands to the `producer` group."""

    @cli.command("mix")
    @click.argument("song")
    @click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Output file (default: mixes/<song>.<format> in the project).",
    )
    @click.option(
        "--stems",
        "stems_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Also write one file per track and bus into DIR.",
    )
    @click.option(
        "--format",
        "file_format",
        type=click.Choice(["wav", "flac"]),
        default=None,
        help="wav or flac (default: the -o file's extension, else wav).",
    )
    @click.option(
        "--bit-depth",
        type=click.Choice(["16", "24", "32f"]),
        default="24",
        help="16 is TPDF-dithered; 24 and 32f are written as rendered.",
    )
    @click.option("--start", "start_s", type=float, default=None, help="Start at S seconds.")
    @click.option("--end", "end_s", type=float, default=None, help="End at S seconds.")
    @click.option(
        "--tail",
        "tail_s",
        type=float,
        default=None,
        help="Seconds rendered after the end (default: until the effects fall below -100 dBFS, at most 30 s; none with --end).",
    )
    @click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
    @click.pass_context
    def mix(
        ctx: click.Context,
        song: str,
        output: Path | None,
        stems_dir: Path | None,
        file_format: str | None,
        bit_depth: str,
        start_s: float | None,
        end_s: float | None,
        tail_s: float | None,
        as_json: bool,
    ) -> None:
        """Render SONG: the mix (and stems) in one pass."""
        summary = wf.render(
            project_dir(ctx),
            song,
            output=output,
            stems_dir=stems_dir,
            file_format=file_format,
            bit_depth=bit_depth,
            start_s=start_s,
            end_s=end_s,
            tail_s=tail_s,
        )
        peak = summary.peak_dbfs if math.isfinite(summary.peak_dbfs) else None
        if as_json:
            row = {
                "path": str(summary.path),
                "seconds": round(summary.seconds, 3),
                "sample_rate": summary.sample_rate,
                "bit_depth": bit_depth,
                "peak_dbfs": None if peak is None else round(peak, 2),
                "clipped_samples": summary.clipped_samples,
                "stems": [str(p) for p in summary.stems],
                "clipping": [
                    {
                        "path": str(c.path),
                        "stem": c.stem,
                        "clipped_samples": c.samples,
                        "peak_dbfs": round(c.peak_dbfs, 2),
                        "advice": c.advice(song),
                    }
                    for c in summary.clipping
                ],
                "replaced": [str(p) for p in summary.replaced],
            }
            click.echo(json.dumps(row, indent=2, ensure_ascii=False))
        else:
            text = "silence" if peak is None else f"{peak:.1f} dBFS"
            if summary.clipped_samples:
                text += f", {summary.clipped_samples} samples clipped"
            click.echo(f"{summary.path}  {summary.seconds:.2f} s  peak {text}")
            for stem in summary.stems:
                click.echo(f"  stem {stem}")
            for p in summary.replaced:
                click.echo(f"  replaced the earlier {p}")
        for c in summary.clipping:
            click.echo(f"producer: warning: {c.advice(song)}", err=True)

    @cli.group("bus")
    def bus() -> None:
        """Mix buses."""

    @bus.command("add")
    @click.argument("song")
    @click.argument("name")
    @click.option("--output", default="master", help="Where the bus goes (default: master).")
    @click.pass_context
    def bus_add(ctx: click.Context, song: str, name: str, output: str) -> None:
        """Add bus NAME to SONG."""
        wf.bus_add(project_dir(ctx), song, name, output)
        click.echo(f"bus {name} → {output}")

    @cli.group("send")
    def send() -> None:
        """Sends from tracks and buses into buses."""

    @send.command("add")
    @click.argument("song")
    @click.argument("track")
    @click.argument("bus")
    @click.option("--level-db", type=float, default=0.0, help="Send level in dB.")
    @click.option("--pre-fader", is_flag=True, help="Tap before the fader.")
    @click.pass_context
    def send_add(
        ctx: click.Context, song: str, track: str, bus: str, level_db: float, pre_fader: bool
    ) -> None:
        """Send TRACK (or a bus) to BUS."""
        wf.send_add(project_dir(ctx), song, track, bus, level_db, pre_fader)
        click.echo(
            f"send {track} → {bus} {level_db:+.1f} dB {'pre' if pre_fader else 'post'}-fader"
        )

    @cli.group("fx")
    def fx() -> None:
        """Insert effects on tracks, buses and the master."""

    @fx.command("kinds")
    def fx_kinds() -> None:
        """List effect kinds, their parameters, units and ranges."""
        table = Table("kind", "parameter", "unit", "default", "range", "description")
        for spec in wf.fx_kinds():
            table.add_row(f"[bold]{spec.kind}[/bold]", "", "", "", "", spec.description)
            for p in spec.params.values():
                table.add_row("", p.name, p.unit, str(p.default), p.describe_range(), p.description)
        Console(width=160).print(table)

    @fx.command("add")
    @click.argument("song")
    @click.argument("strip")
    @click.argument("kind")
    @click.argument("params", nargs=-1)
    @click.option("--sidechain", default="", help="Track or bus that drives the detector.")
    @click.pass_context
    def fx_add(
        ctx: click.Context,
        song: str,
        strip: str,
        kind: str,
        params: tuple[str, ...],
        sidechain: str,
    ) -> None:
        """Append effect KIND to STRIP (track, bus or master) with name=value PARAMS."""
        n = wf.fx_add(project_dir(ctx), song, strip, kind, params, sidechain)
        click.echo(f"{strip} insert {n}: {kind}")

    @fx.command("set")
    @click.argument("song")
    @click.argument("strip")
    @click.argument("kind")
    @click.argument("params", nargs=-1)
    @click.pass_context
    def fx_set(
        ctx: click.Context, song: str, strip: str, kind: str, params: tuple[str, ...]
    ) -> None:
        """Change PARAMS of the insert KIND (a kind, or its number from 1) on STRIP."""
        wf.fx_set(project_dir(ctx), song, strip, kind, params)
        click.echo(f"{strip} {kind}: {' '.join(params)}")

    @fx.command("remove")
    @click.argument("song")
    @click.argument("strip")
    @click.argument("kind")
    @click.pass_context
    def fx_remove(ctx: click.Context, song: str, strip: str, kind: str) -> None:
        """Remove the insert KIND (a kind, or its number from 1) from STRIP."""
        wf.fx_remove(project_dir(ctx), song, strip, kind)
        click.echo(f"{strip}: removed {kind}")

    @fx.command("bypass")
    @click.argument("song")
    @click.argument("strip")
    @click.argument("kind")
    @click.option("--off", is_flag=True, help="Take the insert out of bypass.")
    @click.pass_context
    def fx_bypass(ctx: click.Context, song: str, strip: str, kind: str, off: bool) -> None:
        """Bypass the insert KIND (a kind, or its number from 1) on STRIP."""
        wf.fx_bypass(project_dir(ctx), song, strip, kind, not off)
        click.echo(f"{strip} {kind}: {'active' if off else 'bypassed'}")

    @cli.command("automate")
    @click.argument("song")
    @click.argument("target")
    @click.option("--points", default=None, help='seconds:value pairs, like "0:-20,2:0".')
    @click.option("--clear", is_flag=True, help="Remove the lane.")
    @click.pass_context
    def automate(
        ctx: click.Context, song: str, target: str, points: str | None, clear: bool
    ) -> None:
        """Automate TARGET (Vox.gain_db, Vox.pan, Vox.mute, Vox.sends.Verb.level_db,
        Vox.fx.1.threshold_db).

        The fader (gain_db) and a send's level trim their lanes (added in dB); a pan, mute
        or effect-parameter lane replaces the fixed value while it exists.
        """
        done = wf.automate(project_dir(ctx), song, target, points, clear)
        if clear:
            click.echo(f"{target}: lane removed")
            return
        click.echo(f"{target}: {done.points} point(s)" + (f"; {done.note}" if done.note else ""))
