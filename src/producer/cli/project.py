"""CLI commands of the project: new, song, import, track, clip, undo/redo/history, snapshot,
show, validate. Parse, call one ``producer.workflows.project`` function, print."""

from __future__ import annotations

import datetime
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click
from rich.console import Console
from rich.markup import escape as esc
from rich.tree import Tree

from producer.cli.app import lazy_workflow, project_dir
from producer.errors import ValidationError
from producer.model import COMP, MASTER, Bus, Track, timing

if TYPE_CHECKING:
    from producer.workflows import cleanup as cleanup_wf
    from producer.workflows import inspection as ws
    from producer.workflows import project as wf
else:
    wf = lazy_workflow("project")
    ws = lazy_workflow("inspection")


def _is_tty() -> bool:
    return sys.stdout.isatty()


def _root(ctx: click.Context) -> Path:
    return project_dir(ctx)


def _seconds(frames: int, rate: int) -> str:
    return f"{frames / rate:.3f} s" if rate > 0 else f"{frames} frames"


def _num(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _range(lane: ws.LaneView, offset: float = 0.0) -> str:
    unit = f" {lane.unit}" if lane.unit else ""
    lo, hi = lane.low + offset, lane.high + offset
    return f"{lo:g}{unit}" if lo == hi else f"{lo:g} .. {hi:g}{unit}"


def _lane_line(lane: ws.LaneView) -> str:
    return (
        f"[yellow]~ {esc(lane.target)}[/yellow] {lane.points} point(s) "
        f"{lane.first_s:.3f}–{lane.last_s:.3f} s, {_range(lane)}, {lane.interpolation}"
    )


def _param(p: ws.ParamView) -> str:
    if p.lane is not None:
        return f"[yellow]{esc(p.name)} ~ {_range(p.lane)}[/yellow]"
    text = f"{esc(p.name)} {esc(_num(p.value))}" + (f" {p.unit}" if p.unit else "")
    return f"[dim]{text}[/dim]" if p.is_default else text


def _strip_nodes(node: Tree, strip: Track | Bus, view: ws.StripView) -> None:
    for ins in view.inserts:
        head = f"insert {ins.index} [bold]{esc(ins.kind)}[/bold]"
        if ins.name:
            head += f" ({esc(ins.name)})"
        if ins.bypass:
            head += " [red]bypassed[/red]"
        if ins.sidechain:
            head += f" sidechain ← {esc(ins.sidechain)}"
        params = " · ".join(_param(p) for p in ins.params)
        node.add(head + (f": {params}" if params else ""))
    for s in strip.sends:
        line = (
            f"send → [magenta]{esc(s.bus)}[/magenta] {s.level_db:+.1f} dB "
            f"{'pre' if s.pre_fader else 'post'}-fader"
        )
        lane = view.send_lanes.get(s.bus)
        if lane is not None:
            line += f" [yellow]trims its automation → {_range(lane, s.level_db)}[/yellow]"
        node.add(line)
    for lane in view.lanes:
        node.add(_lane_line(lane))


def _strip_head(strip: Track | Bus, view: ws.StripView) -> str:
    gain = f"gain {strip.gain_db:+.1f} dB"
    if view.gain_lane is not None:
        gain += (
            f" [yellow](trims its automation → {_range(view.gain_lane, strip.gain_db)})[/yellow]"
        )
    if view.pan_lane is not None:
        pan = f"[yellow]pan ~ {_range(view.pan_lane)}[/yellow]"
    else:
        pan = f"pan {strip.pan:+.2f}"
    head = f"{gain} {pan}"
    if view.mute_lane is not None:
        head += " [yellow]mute ~ automated[/yellow]" + (
            " (muted: lane unused)" if strip.mute else ""
        )
    return head


def _song_tree(v: ws.SessionView) -> Tree:
    song = v.song
    rate = song.sample_rate
    head = (
        f"[bold]{esc(song.title)}[/bold] ({song.slug})  {song.tempo_bpm:g} BPM "
        f"{song.time_signature}"
    )
    if song.key:
        head += f"  {esc(song.key)}"
    head += f"  {rate} Hz"
    tree = Tree(head)
    if song.tempo_changes:
        changes = "; ".join(
            f"bar {int(c.beat // song.time_signature.beats_per_bar)} (beat {c.beat:g}): "
            f"{c.bpm:g} BPM"
            for c in song.tempo_changes
        )
        tree.add(f"tempo {song.tempo_bpm:g} BPM, then {changes}")
    if song.sections:
        parts = []
        for s in sorted(song.sections, key=lambda s: s.start_bar):
            first = timing.bar_to_frame(song, s.start_bar)
            end = timing.bar_to_frame(song, s.end_bar)
            parts.append(
                f"{esc(s.name)} bars {s.start_bar}–{s.end_bar - 1} "
                f"({_seconds(first, rate)} – {_seconds(end, rate)})"
            )
        tree.add("sections (bars from 0): " + " · ".join(parts))
    if song.markers:
        marks = " · ".join(
            f"{esc(m.name)} {_seconds(m.frame, rate)}"
            for m in sorted(song.markers, key=lambda m: m.frame)
        )
        tree.add(f"markers: {marks}")
    for t in song.tracks:
        view = v.strips[t.name]
        flags = [f for f, on in (("M", t.mute), ("S", t.solo), ("Ø", t.polarity_inverted)) if on]
        node = tree.add(
            f"[cyan]{esc(t.name)}[/cyan] {t.kind} {_strip_head(t, view)} → {esc(t.output)}"
            + (f" \\[{' '.join(flags)}]" if flags else "")
        )
        for lane in t.lanes:
            mark = " (active)" if lane.id == t.active else ""
            ln = node.add(f"{lane.id} {esc(lane.name)}{mark}")
            for c in lane.clips:
                line = (
                    f"[green]{c.id}[/green] {esc(c.name or c.media.source_name)} at "
                    f"{_seconds(c.start_frame, rate)} length {_seconds(c.length_frames, rate)} "
                    f"gain {c.gain_db:+.1f} dB fades {_seconds(c.fade_in.length_frames, rate)}/"
                    f"{_seconds(c.fade_out.length_frames, rate)}"
                )
                if c.media.path in v.layouts:
                    line += f" [blue]({esc(v.layouts[c.media.path])})[/blue]"
                if c.media.path in v.missing_media:
                    line += f" [bold red]MISSING {esc(c.media.path)}[/bold red]"
                if c.media.offline:
                    line += (
                        f" [bold red]OFFLINE {esc(c.media.source_name)} (plays silence)[/bold red]"
                    )
                ln.add(line)
        if t.comp is not None:
            segs = ", ".join(
                f"{s.lane} {_seconds(s.start_frame, rate)}–{_seconds(s.end_frame, rate)}"
                for s in t.comp.segments
            )
            node.add(f"comp{' (active)' if t.active == COMP else ''}: {segs}")
        for mc in t.midi_clips:
            node.add(
                f"[green]{mc.id}[/green] MIDI at beat {mc.start_beat:g}, {len(mc.notes)} notes"
            )
        _strip_nodes(node, t, view)
    for b in song.buses:
        view = v.strips[b.name]
        node = tree.add(
            f"[magenta]bus {esc(b.name)}[/magenta] {_strip_head(b, view)} → {esc(b.output)}"
        )
        _strip_nodes(node, b, view)
    master = v.strips[MASTER]
    node = tree.add(f"[magenta]master[/magenta] {_strip_head(song.master, master)}")
    _strip_nodes(node, song.master, master)
    if v.problems:
        probs = tree.add(
            "[bold red]problems (mix refuses the song until they are fixed)[/bold red]"
        )
        for p in v.problems:
            probs.add(f"[red]{esc(p)}[/red]")
    return tree


def _leftovers(root: Path) -> cleanup_wf.Survey:
    """What `producer gc` would remove, looked at before anything opens the project (opening
    it removes the partial files of killed writers in the folders producer writes to)."""
    from producer.workflows import cleanup

    return cleanup.leftovers(root)


def _report_leftovers(root: Path, found: cleanup_wf.Survey) -> None:
    """Print ``found`` (not problems: the project is sound with them), saying which partial
    files the check itself already removed."""
    from producer.cli.cleanup import MB, leftover_lines

    for note in found.notes:
        click.echo(f"note: {note}")
    if not found.leftovers:
        return
    gone = [x for x in found.leftovers if not (root / x.path).exists()]
    click.echo(
        f"note: {len(found.leftovers)} file(s), {found.bytes / MB:.1f} MB, that nothing needs "
        "(`producer gc` removes them" + (f"; {len(gone)} removed already" if gone else "") + "):"
    )
    for x, line in zip(found.leftovers, leftover_lines(found), strict=True):
        click.echo(line + (" - removed" if x in gone else ""))


def register(cli: click.Group) -> None:
    """Add this module's commands to the `producer` group."""

    @cli.command("new")
    @click.argument("directory", type=click.Path(path_type=Path))
    @click.option("--title", required=True, help="Album title.")
    @click.option("--artist", required=True, help="Album artist.")
    @click.option("--sample-rate", type=int, default=48000, show_default=True, help="Hz.")
    @click.pass_context
    def new(ctx: click.Context, directory: Path, title: str, artist: str, sample_rate: int) -> None:
        """Create a new project in DIRECTORY."""
        root = wf.new_project(_root(ctx) / directory, title, artist, sample_rate)
        click.echo(f"created project {root}")

    @cli.group("album")
    def album() -> None:
        """The album: title, artist, UPC/EAN, year, currency, time zone."""

    @album.command("set")
    @click.option("--title", default=None)
    @click.option("--artist", default=None)
    @click.option("--upc", default=None, help="UPC/EAN-13 of the release (the CD's CATALOG).")
    @click.option("--year", type=int, default=None)
    @click.option("--currency", default=None, help="ISO 4217 code of the office's money (EUR).")
    @click.option("--timezone", default=None, help="IANA time zone of bookings (Europe/Berlin).")
    @click.option(
        "--require-approval",
        default=None,
        metavar="ROLES",
        help="Roles whose studio approval `producer master` requires (artist,label,producer; '' = none).",
    )
    @click.option(
        "--isrc-prefix", default=None, metavar="CC-XXX-YY", help="ISRC prefix for approved songs."
    )
    @click.pass_context
    def album_set(
        ctx: click.Context,
        title: str | None,
        artist: str | None,
        upc: str | None,
        year: int | None,
        currency: str | None,
        timezone: str | None,
        require_approval: str | None,
        isrc_prefix: str | None,
    ) -> None:
        """Change the album's metadata (one undoable step)."""
        a = wf.album_set(
            _root(ctx), title, artist, upc, year, currency, timezone, require_approval, isrc_prefix
        )
        click.echo(
            f"{a.title} by {a.artist}"
            + (f", UPC {a.upc}" if a.upc else "")
            + f", {a.currency}, {a.timezone}"
        )
        if a.require_approval:
            click.echo(f"mastering requires approval by {', '.join(a.require_approval)}")
        if a.isrc_prefix:
            p = a.isrc_prefix
            click.echo(f"ISRC prefix {p[:2]}-{p[2:5]}-{p[5:7]}")

    @cli.group("song")
    def song() -> None:
        """Songs of the album."""

    @song.command("add")
    @click.argument("title")
    @click.option("--tempo", type=float, default=120.0, show_default=True, help="BPM.")
    @click.option("--time-signature", default="4/4", show_default=True)
    @click.option("--key", default="", help='For example "A minor".')
    @click.pass_context
    def song_add(
        ctx: click.Context, title: str, tempo: float, time_signature: str, key: str
    ) -> None:
        """Add a song; prints its slug."""
        click.echo(wf.add_song(_root(ctx), title, tempo, time_signature, key))

    @song.command("list")
    @click.pass_context
    def song_list(ctx: click.Context) -> None:
        """The songs in album order: slug, title, tempo."""
        for s in wf.list_songs(_root(ctx)):
            click.echo(f"{s.slug}\t{s.title}\t{s.tempo_bpm:g} BPM\t{s.time_signature}")

    @cli.command("import")
    @click.argument("song")
    @click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
    @click.option("--track", default=None, help="Put every file on this track (made if missing).")
    @click.option("--at", "at_seconds", type=float, default=0.0, help="Start time in seconds.")
    @click.pass_context
    def import_(
        ctx: click.Context, song: str, files: tuple[Path, ...], track: str | None, at_seconds: float
    ) -> None:
        """Import audio FILES into SONG (copied into media/, the sources stay untouched)."""
        for p in wf.import_audio(_root(ctx), song, list(files), track, at_seconds):
            note = f"; {p.note}" if p.note else ""
            click.echo(f"{p.file}: track {p.track!r} clip {p.clip_id} ({p.media.path}){note}")

    @cli.group("track")
    def track() -> None:
        """Tracks of a song."""

    def strip_options(f: click.decorators.FC) -> click.decorators.FC:
        for opt in reversed(
            [
                click.option("--gain-db", type=float, default=None, help="Fader gain in dB."),
                click.option("--pan", type=float, default=None, help="-1 (left) .. +1 (right)."),
                click.option("--mute/--unmute", default=None),
                click.option("--solo/--unsolo", default=None),
                click.option("--polarity-invert/--polarity-normal", "polarity", default=None),
                click.option("--output", default=None, help="Output bus (default master)."),
            ]
        ):
            f = opt(f)
        return f

    def settings(**kw: object) -> wf.TrackSettings:
        return wf.TrackSettings(
            gain_db=kw["gain_db"],  # type: ignore[arg-type]
            pan=kw["pan"],  # type: ignore[arg-type]
            mute=kw["mute"],  # type: ignore[arg-type]
            solo=kw["solo"],  # type: ignore[arg-type]
            polarity_inverted=kw["polarity"],  # type: ignore[arg-type]
            output=kw["output"],  # type: ignore[arg-type]
        )

    @track.command("add")
    @click.argument("song")
    @click.argument("name")
    @strip_options
    @click.pass_context
    def track_add(ctx: click.Context, /, song: str, name: str, **kw: object) -> None:
        """Add track NAME to SONG."""
        wf.track_add(_root(ctx), song, name, settings(**kw))

    @track.command("set")
    @click.argument("song")
    @click.argument("name")
    @strip_options
    @click.pass_context
    def track_set(ctx: click.Context, /, song: str, name: str, **kw: object) -> None:
        """Change the channel strip of track NAME."""
        t = wf.track_set(_root(ctx), song, name, settings(**kw))
        line = f"{t.name}: gain {t.gain_db:+.2f} dB, pan {t.pan:+.2f}"
        lane = next((a for a in t.automation if a.target == "gain_db" and a.points), None)
        if lane is not None:
            lo = min(p.value for p in lane.points) + t.gain_db
            hi = max(p.value for p in lane.points) + t.gain_db
            line += f" (the fader trims its gain automation: {lo:+.1f} .. {hi:+.1f} dB)"
        click.echo(line)

    @track.command("remove")
    @click.argument("song")
    @click.argument("name")
    @click.pass_context
    def track_remove(ctx: click.Context, song: str, name: str) -> None:
        """Remove track NAME from SONG (undo brings it back)."""
        wf.track_remove(_root(ctx), song, name)

    @cli.group("clip")
    def clip() -> None:
        """Clips on a track (ids as `producer show` prints them); times in seconds."""

    clip_args = [click.argument("song"), click.argument("track"), click.argument("clip_id")]

    def with_clip_args(f: click.decorators.FC) -> click.decorators.FC:
        for a in reversed(clip_args):
            f = a(f)
        return cast("click.decorators.FC", click.pass_context(f))

    @clip.command("move")
    @with_clip_args
    @click.option("--to", "to_seconds", type=float, required=True, help="New start time (s).")
    def clip_move(
        ctx: click.Context, song: str, track: str, clip_id: str, to_seconds: float
    ) -> None:
        """Move a clip to start at --to seconds."""
        wf.clip_move(_root(ctx), song, track, clip_id, to_seconds)

    @clip.command("trim")
    @with_clip_args
    @click.option("--start", "start_s", type=float, default=None, help="New left edge (s).")
    @click.option("--end", "end_s", type=float, default=None, help="New right edge (s).")
    def clip_trim(
        ctx: click.Context,
        song: str,
        track: str,
        clip_id: str,
        start_s: float | None,
        end_s: float | None,
    ) -> None:
        """Move a clip's edges on the timeline; the audio stays in place."""
        wf.clip_trim(_root(ctx), song, track, clip_id, start_s, end_s)

    @clip.command("split")
    @with_clip_args
    @click.option("--at", "at_s", type=float, required=True, help="Timeline time (s).")
    def clip_split(ctx: click.Context, song: str, track: str, clip_id: str, at_s: float) -> None:
        """Cut a clip in two; prints the id of the right part."""
        click.echo(wf.clip_split(_root(ctx), song, track, clip_id, at_s))

    @clip.command("fade")
    @with_clip_args
    @click.option("--in", "in_s", type=float, default=None, help="Fade-in length (s).")
    @click.option("--out", "out_s", type=float, default=None, help="Fade-out length (s).")
    @click.option("--shape", default=None, help="linear, equal_power, s_curve, exponential.")
    def clip_fade(
        ctx: click.Context,
        song: str,
        track: str,
        clip_id: str,
        in_s: float | None,
        out_s: float | None,
        shape: str | None,
    ) -> None:
        """Set a clip's fades."""
        wf.clip_fade(_root(ctx), song, track, clip_id, in_s, out_s, shape)

    @clip.command("gain")
    @with_clip_args
    @click.option("--gain-db", "gain_db", type=float, required=True, help="Clip gain in dB.")
    def clip_gain(ctx: click.Context, song: str, track: str, clip_id: str, gain_db: float) -> None:
        """Set a clip's gain in dB."""
        wf.clip_gain(_root(ctx), song, track, clip_id, gain_db)

    @clip.command("remove")
    @with_clip_args
    def clip_remove(ctx: click.Context, song: str, track: str, clip_id: str) -> None:
        """Remove a clip (its media stays in the pool)."""
        wf.clip_remove(_root(ctx), song, track, clip_id)

    @cli.command("undo")
    @click.pass_context
    def undo(ctx: click.Context) -> None:
        """Undo the last change (also after a restart).

        A document that cannot be read (a bad hand edit, a sync conflict) counts as the last
        change: undo first puts it back as the history last wrote it, and keeps the damaged
        file under .producer/damaged/.
        """
        restored = wf.restore_damaged(_root(ctx))
        for r in restored:
            kept = f"; the damaged file is kept as {r.kept}" if r.kept else ""
            click.echo(
                f"restored {r.path} to its last good version (step {r.step}: {r.label}){kept}"
            )
        if not restored:
            click.echo(f"undid: {wf.undo(_root(ctx))}")

    @cli.command("redo")
    @click.pass_context
    def redo(ctx: click.Context) -> None:
        """Redo the last undone change."""
        click.echo(f"redid: {wf.redo(_root(ctx))}")

    @cli.command("history")
    @click.pass_context
    def history(ctx: click.Context) -> None:
        """The steps; '*' marks the current one, '-' steps that redo would re-apply."""
        entries = wf.history(_root(ctx))
        for why in wf.damaged(_root(ctx)).values():
            click.echo(f"! {why}")
        if not entries:
            click.echo("no changes yet")
            return
        current = max((e.number for e in entries if e.applied), default=0)
        for e in entries:
            mark = "*" if e.number == current else (" " if e.applied else "-")
            when = datetime.datetime.fromtimestamp(e.time).strftime("%Y-%m-%d %H:%M:%S")
            click.echo(f"{mark} {e.number:4d}  {when}  {e.label}")

    @cli.group("snapshot")
    def snapshot() -> None:
        """Named snapshots of all documents."""

    @snapshot.command("save")
    @click.argument("name")
    @click.option("--replace", is_flag=True, help="Overwrite an existing snapshot NAME.")
    @click.pass_context
    def snapshot_save(ctx: click.Context, name: str, replace: bool) -> None:
        """Save the current documents as NAME (an existing NAME needs --replace)."""
        if wf.snapshot_save(_root(ctx), name, replace):
            click.echo(f"snapshot {name}: replaced the earlier one")

    @snapshot.command("restore")
    @click.argument("name")
    @click.pass_context
    def snapshot_restore(ctx: click.Context, name: str) -> None:
        """Restore snapshot NAME (one undoable step)."""
        wf.snapshot_restore(_root(ctx), name)

    @snapshot.command("list")
    @click.pass_context
    def snapshot_list(ctx: click.Context) -> None:
        """The saved snapshots."""
        for name in wf.snapshot_list(_root(ctx)):
            click.echo(name)

    @cli.command("show")
    @click.argument("song", required=False)
    @click.option("--json", "as_json", is_flag=True, help="The document as stored.")
    @click.pass_context
    def show(ctx: click.Context, song: str | None, as_json: bool) -> None:
        """The album, or SONG as a tree (clip ids included)."""
        root = _root(ctx)
        if as_json:
            click.echo(wf.song_document(root, song), nl=False)
            return
        # Wide when piped: a tree line cut at 80 columns would hide clip ids and times.
        console = Console(highlight=False, width=None if _is_tty() else 200)
        if song is not None:
            console.print(_song_tree(ws.session_view(root, song)))
            return
        o = ws.album_view(root)
        tree = Tree(f"[bold]{esc(o.title)}[/bold] — {esc(o.artist)} ({o.sample_rate} Hz)")
        for s in o.songs:
            tree.add(_song_tree(s))
        for why in o.damaged.values():
            tree.add(f"[bold red]{esc(why)}[/bold red]")
        console.print(tree)

    @cli.command("validate")
    @click.option("--json", "as_json", is_flag=True, help="Problems as a JSON list.")
    @click.pass_context
    def validate(ctx: click.Context, as_json: bool) -> None:
        """Check every document and media file; list every problem (exit 2 if any), then
        the files nothing needs (what `producer gc` removes) with their sizes."""
        found = _leftovers(_root(ctx))
        problems = wf.validate(_root(ctx))
        if as_json:
            click.echo(json.dumps(problems, indent=2, ensure_ascii=False))
        else:
            for p in problems:
                click.echo(p)
            if not problems:
                click.echo("ok")
            _report_leftovers(_root(ctx), found)
        if problems:
            raise ValidationError(f"{len(problems)} problem(s) found", problems)
