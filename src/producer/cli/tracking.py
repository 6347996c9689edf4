"""CLI commands of tracking: record, recover, devices, latency, take list/select/rename/remove/
comp/import/review. Parse, call one ``producer.workflows.tracking`` function, print."""

from __future__ import annotations

import json
import math
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.live import Live
from rich.text import Text

from producer.cli.app import lazy_workflow, project_dir

if TYPE_CHECKING:
    from producer.workflows import tracking as wf
else:
    wf = lazy_workflow("tracking")


def _num(x: float | None) -> Any:
    """JSON has no NaN/Inf: report them as null."""
    return x if x is not None and math.isfinite(x) else None


def _meter(levels_dbfs: list[float]) -> Text:
    text = Text()
    for i, db in enumerate(levels_dbfs):
        fill = 0 if not math.isfinite(db) else max(0, min(40, round((db + 60) / 60 * 40)))
        style = "red" if db >= -1.0 else "yellow" if db >= -12.0 else "green"
        text.append(f"in {i + 1} ")
        text.append("█" * fill, style=style)
        text.append("·" * (40 - fill))
        text.append(f" {db:6.1f} dBFS\n" if math.isfinite(db) else "   -inf dBFS\n")
    return text


def _wait_enter(stop: threading.Event) -> None:
    try:
        input()
    except EOFError:
        return
    stop.set()


@click.command("record")
@click.argument("song")
@click.option(
    "--track",
    "tracks",
    multiple=True,
    required=True,
    help="Track to record (repeat); NAME:1,2 picks its input channels (1-based).",
)
@click.option("--from", "from_s", type=float, default=0.0, show_default=True, help="Start (s).")
@click.option("--to", "to_s", type=float, default=None, help="Loop end (s; default song end).")
@click.option("--punch-in", type=float, default=None, help="Punch-in time (s).")
@click.option("--punch-out", type=float, default=None, help="Punch-out time (s).")
@click.option("--pre-roll", type=float, default=2.0, show_default=True)
@click.option("--loop", is_flag=True, help="Loop --from..--to, one take per pass.")
@click.option("--count-in", "count_in", type=int, default=0, show_default=True, help="Bars.")
@click.option("--seconds", type=float, default=None, help="Stop after N seconds (else Enter).")
@click.option("--input-device", default=None, help="Input device (index or name).")
@click.option("--output-device", default=None, help="Output device (index or name).")
@click.option("--latency-ms", type=float, default=None, help="Override the measured latency.")
@click.option("--no-click", is_flag=True, help="No click on the monitor output.")
@click.option(
    "--calibrate",
    is_flag=True,
    help="Measure the round trip on this stream first (needs a loopback).",
)
@click.option(
    "--source",
    "source_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Record from this audio file, replayed in real time, instead of a device.",
)
@click.option("--performer", default=None, help="Who plays (a person of the roster).")
@click.option("--instrument", default=None, help="What they play (default: their first).")
@click.option("--role", default=None, help="DDEX role (default: their performing role).")
@click.option("--booking", default=None, help="The session (default: the one in progress).")
@click.pass_context
def record_cmd(
    ctx: click.Context,
    song: str,
    tracks: tuple[str, ...],
    from_s: float,
    to_s: float | None,
    punch_in: float | None,
    punch_out: float | None,
    pre_roll: float,
    loop: bool,
    count_in: int,
    seconds: float | None,
    input_device: str | None,
    output_device: str | None,
    latency_ms: float | None,
    no_click: bool,
    calibrate: bool,
    source_file: Path | None,
    performer: str | None,
    instrument: str | None,
    role: str | None,
    booking: str | None,
) -> None:
    """Record takes into SONG: one take per --track per pass, saved as it is recorded."""
    opts = wf.RecordOptions(
        tracks=tracks,
        from_s=from_s,
        to_s=to_s,
        punch_in_s=punch_in,
        punch_out_s=punch_out,
        loop=loop,
        count_in_bars=count_in,
        pre_roll_s=pre_roll,
        seconds=seconds,
        input_device=input_device,
        output_device=output_device,
        source_file=source_file,
        latency_ms=latency_ms,
        click=not no_click,
        calibrate=calibrate,
        performer=performer,
        instrument=instrument,
        role=role,
        booking=booking,
    )
    stop = threading.Event()
    console = Console(stderr=True)
    interactive = sys.stdin.isatty() and console.is_terminal
    live = Live(Text(""), console=console, auto_refresh=False) if interactive else None

    def on_start(meta: Any) -> None:
        # The capture folder exists and is on disk from here on (the SIGKILL test waits for it).
        click.echo(f"recording {', '.join(tracks)} ({meta.mode})", err=True)
        if interactive:
            threading.Thread(target=_wait_enter, args=(stop,), daemon=True).start()
            click.echo("press Enter to stop", err=True)

    def on_block(levels: Any) -> None:
        if live is not None:
            live.update(_meter([float(x) for x in levels]), refresh=True)

    if live is not None:
        live.start()
    try:
        report = wf.record_song(
            project_dir(ctx), song, opts, stop=stop, on_block=on_block, on_start=on_start
        )
    finally:
        if live is not None:
            live.stop()
    click.echo(
        f"recorded {report.recorded_s:.2f} s (latency compensation {report.latency_frames} frames)"
    )
    if report.state != "finished":
        click.echo(f"producer: the take ended early: {report.message or report.state}", err=True)
    elif report.message:
        click.echo(f"producer: warning: {report.message}", err=True)
    for t in report.takes:
        click.echo(f"{t.track}: take {t.take} at {t.start_s:.3f} s, {t.duration_s:.3f} s")


@click.command("recover")
@click.pass_context
def recover_cmd(ctx: click.Context) -> None:
    """Save takes left by an interrupted recording (a crash or a kill)."""
    saved = wf.recover(project_dir(ctx))
    if not saved:
        click.echo("nothing to recover")
    for t in saved:
        click.echo(f"recovered {t.track}: take {t.take} at {t.start_s:.3f} s, {t.duration_s:.3f} s")


@click.command("devices")
def devices_cmd() -> None:
    """List audio devices (PortAudio)."""
    for d in wf.devices():
        click.echo(
            f"{d.index:3d}  {d.name}  [{d.hostapi}]  in {d.max_input_channels}  "
            f"out {d.max_output_channels}  {d.default_sample_rate:g} Hz"
        )


@click.group("latency")
def latency_group() -> None:
    """Round-trip latency of the audio interface."""


@latency_group.command("measure")
@click.option("--input-device", default=None)
@click.option("--output-device", default=None)
@click.option("--rate", "sample_rate", type=int, default=None, help="Default: the project's.")
@click.pass_context
def latency_measure_cmd(
    ctx: click.Context,
    input_device: str | None,
    output_device: str | None,
    sample_rate: int | None,
) -> None:
    """Play impulses through a loopback and remember the round trip for recording."""
    m = wf.latency_measure(
        project_dir(ctx),
        sample_rate=sample_rate,
        input_device=input_device,
        output_device=output_device,
    )
    click.echo(
        f"latency {m.latency_frames} frames = {m.latency_ms:.2f} ms at {m.sample_rate} Hz "
        f"(impulses: {', '.join(str(x) for x in m.lags_frames)})"
    )


@click.group("take")
def take_group() -> None:
    """Takes of a track: list, select, rename, remove, comp, import, review."""


@take_group.command("list")
@click.argument("song")
@click.argument("track")
@click.pass_context
def take_list_cmd(ctx: click.Context, song: str, track: str) -> None:
    """List the takes of TRACK."""
    takes, comp = wf.take_list(project_dir(ctx), song, track)
    for t in takes:
        flags = ("*" if t.active else " ") + ("c" if t.in_comp else " ")
        click.echo(f"{flags} {t.number:3d}  {t.name:20s} {t.start_s:9.3f}-{t.end_s:.3f} s")
    if comp:
        click.echo("the comp plays")


@take_group.command("select")
@click.argument("song")
@click.argument("track")
@click.argument("take")
@click.pass_context
def take_select_cmd(ctx: click.Context, song: str, track: str, take: str) -> None:
    """Make TAKE (a number, or 'comp') what TRACK plays."""
    wf.take_select(project_dir(ctx), song, track, take)


@take_group.command("rename")
@click.argument("song")
@click.argument("track")
@click.argument("take", type=int)
@click.argument("name")
@click.pass_context
def take_rename_cmd(ctx: click.Context, song: str, track: str, take: int, name: str) -> None:
    """Rename take TAKE of TRACK."""
    wf.take_rename(project_dir(ctx), song, track, take, name)


@take_group.command("remove")
@click.argument("song")
@click.argument("track")
@click.argument("take", type=int)
@click.pass_context
def take_remove_cmd(ctx: click.Context, song: str, track: str, take: int) -> None:
    """Remove take TAKE from TRACK (its audio stays in the media pool; undo brings it back)."""
    wf.take_remove(project_dir(ctx), song, track, take)


@take_group.command("comp")
@click.argument("song")
@click.argument("track")
@click.option("--use", required=True, help='Ranges "TAKE:START-END,..." in seconds.')
@click.option("--crossfade-ms", type=float, default=10.0, show_default=True)
@click.pass_context
def take_comp_cmd(ctx: click.Context, song: str, track: str, use: str, crossfade_ms: float) -> None:
    """Build TRACK's comp from ranges of takes (equal-power crossfades at the seams)."""
    t = wf.take_comp(project_dir(ctx), song, track, use, crossfade_ms)
    n = t.comp.crossfade_frames if t.comp else 0
    click.echo(f"{track}: comp of {len(t.comp.segments) if t.comp else 0} ranges, {n}-frame fades")


@take_group.command("import")
@click.argument("song")
@click.argument("track")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--at", "at_seconds", type=float, default=0.0, show_default=True)
@click.option("--performer", default=None, help="Who plays (a person of the roster).")
@click.option("--instrument", default=None, help="What they play (default: their first).")
@click.option("--role", default=None, help="DDEX role (default: their performing role).")
@click.option("--booking", default=None, help="The session it was recorded in.")
@click.pass_context
def take_import_cmd(
    ctx: click.Context,
    song: str,
    track: str,
    files: tuple[Path, ...],
    at_seconds: float,
    performer: str | None,
    instrument: str | None,
    role: str | None,
    booking: str | None,
) -> None:
    """Import audio FILES as new takes of TRACK."""
    takes = wf.take_import(
        project_dir(ctx), song, track, files, at_seconds, performer, instrument, role, booking
    )
    for n in takes:
        click.echo(f"{track}: take {n}")


@take_group.command("review")
@click.argument("song")
@click.argument("track")
@click.option("--take", type=int, default=None, help="Take number (default: what plays).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.pass_context
def take_review_cmd(
    ctx: click.Context,
    song: str,
    track: str,
    take: int | None,
    as_json: bool,
    plot: Path | None,
) -> None:
    """Coach a take: per-note pitch (cents) and timing (ms), peak, clipping, noise floor."""
    r = wf.take_review(project_dir(ctx), song, track, take, plot)
    data = r.to_json()
    for key in ("peak_dbfs", "noise_floor_dbfs"):
        data[key] = _num(data[key])
    for n in data["notes"]:
        for key in ("offset_ms", "target_s"):
            n[key] = _num(n[key])
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    med_c = r.pitch_deviation_cents_median
    med_t = r.timing_offset_ms_median
    click.echo(f"{len(r.notes)} notes against {r.reference} (A4 = {r.tuning_hz:g} Hz)")
    click.echo(f"pitch: median {med_c:+.1f} cents" if med_c is not None else "pitch: no notes")
    click.echo(f"timing: median {med_t:+.1f} ms" if med_t is not None else "timing: -")
    click.echo(
        f"peak {r.peak_dbfs:.1f} dBFS, {r.clipped_samples} clipped samples, "
        f"noise floor {r.noise_floor_dbfs:.1f} dBFS"
    )
    for n in r.notes:
        off = f"{n.offset_ms:+7.1f} ms" if math.isfinite(n.offset_ms) else "      -"
        click.echo(
            f"{n.start_s:8.3f} s  {n.pitch_hz:7.1f} Hz  {n.deviation_cents:+6.1f} cents  {off}"
        )


def register(cli: click.Group) -> None:
    """Add this module's commands to the `producer` group."""
    for cmd in (record_cmd, recover_cmd, devices_cmd, latency_group, take_group):
        cli.add_command(cmd)
