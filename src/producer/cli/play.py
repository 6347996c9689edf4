"""``producer play``: hear a song (the engine in real time) or an audio file.

On a terminal: a position line, space pauses, q quits. Without one (a script, CI) it plays to
the end (or --to) and exits; with --json it prints the report (dropouts, time to sound).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import sys
import termios
import tty
from collections.abc import Iterator
from dataclasses import asdict
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.live import Live
from rich.text import Text

from producer.cli.app import lazy_workflow, project_dir

if TYPE_CHECKING:
    from producer.workflows import play as wf
else:
    wf = lazy_workflow("play")


@contextlib.contextmanager
def _keys() -> Iterator[bool]:
    """Single keys from stdin without Enter (cbreak) while inside; yields whether they come
    (only when stdin is a terminal). The terminal is put back however the block ends."""
    if not sys.stdin.isatty():
        yield False
        return
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield True
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _key() -> str:
    """A key pressed since the last call, or ''."""
    ready, _, _ = select.select([sys.stdin], [], [], 0)
    return os.read(sys.stdin.fileno(), 1).decode(errors="ignore") if ready else ""


def _line(player: wf.Player) -> Text:
    state = "⏸ paused" if player.paused else "▶"
    end = player.end_frame
    total = f" / {player.where(end).split('  ')[0]}" if end is not None else ""
    loop = "  (loop)" if player.loop else ""
    return Text(
        f"{state} {player.title}  {player.where(player.position_frame)}{total}{loop}"
        "   space: pause  q: quit",
        no_wrap=True,
        overflow="ellipsis",
    )


def register(cli: click.Group) -> None:
    """Add ``play`` to the `producer` group."""

    @cli.command("play")
    @click.argument("target", metavar="SONG|FILE")
    @click.option(
        "--from", "start", default=None, help="Start: seconds, m:ss, 'bar N', a section or marker."
    )
    @click.option("--to", "end", default=None, help="Stop there (same forms as --from).")
    @click.option("--loop", is_flag=True, help="Play the range again and again (q to stop).")
    @click.option("--solo", multiple=True, help="Hear only this track or bus (repeatable).")
    @click.option(
        "--device", default=None, help="Output device (name or index; `producer devices`)."
    )
    @click.option(
        "--block-frames",
        type=click.IntRange(0, 65536),
        default=0,
        show_default=True,
        help="Frames per audio callback (0: PortAudio chooses).",
    )
    @click.option(
        "--latency",
        "latency_s",
        type=click.FloatRange(0.005, 2.0),
        default=0.2,
        show_default=True,
        help="Output buffer in seconds (smaller starts sooner; larger survives a busy machine).",
    )
    @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
    @click.pass_context
    def play(
        ctx: click.Context,
        target: str,
        start: str | None,
        end: str | None,
        loop: bool,
        solo: tuple[str, ...],
        device: str | None,
        block_frames: int,
        latency_s: float,
        as_json: bool,
    ) -> None:
        """Play SONG (the mix, rendered in real time) or an audio FILE to the output device.

        Bars count from 0, as `producer section` does. On a terminal space pauses and q
        quits; otherwise it plays to the end (or --to) and exits.
        """
        options = wf.PlayOptions(
            start=start,
            end=end,
            loop=loop,
            solo=solo,
            device=device,
            block_frames=block_frames,
            latency_s=latency_s,
        )
        if loop and not sys.stdin.isatty():
            raise click.UsageError("--loop needs a terminal to stop it (q); give --to instead")
        console = Console(stderr=True, highlight=False)
        show = console.is_terminal
        with _keys() as keys, Live(console=console, transient=True, auto_refresh=False) as live:

            def tick(player: wf.Player) -> bool:
                if keys:
                    key = _key()
                    if key == " ":
                        player.toggle_pause()
                    elif key in ("q", "Q", "\x1b"):
                        return False
                if show:
                    live.update(_line(player), refresh=True)
                return True

            report = wf.play(project_dir(ctx), target, options, tick)
        if as_json:
            click.echo(json.dumps({**asdict(report), "dropouts": report.dropouts}, indent=2))
            return
        span = f"{report.start_s:.2f}–" + (
            f"{report.end_s:.2f} s" if report.end_s is not None else "end"
        )
        sound = (
            f", sound after {report.start_latency_s:.2f} s"
            if report.start_latency_s is not None
            else ""
        )
        drops = (
            "no dropouts"
            if report.dropouts == 0
            else f"{report.dropouts} dropout(s) ({report.underflows} device underflows, "
            f"{report.starved} late renders)"
        )
        state = "stopped" if report.interrupted else "played"
        click.echo(f"{state} {report.title} {span} ({report.played_s:.1f} s): {drops}{sound}")
