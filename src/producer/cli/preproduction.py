"""CLI commands of pre-production: demo, midi, section, part, song set/analyze, click.

Parse, call one ``producer.workflows.preproduction`` (or ``demo``) function, print.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from producer.cli.app import lazy_workflow, project_dir

if TYPE_CHECKING:
    from producer.workflows import demo as demo_wf
    from producer.workflows import preproduction as wf
else:
    demo_wf = lazy_workflow("demo")
    wf = lazy_workflow("preproduction")


_SF_HELP = "SoundFont (.sf2) to render with (default: the GM bank that comes with pretty_midi)."


def _midi_group(cli: click.Group) -> None:
    @cli.group("midi")
    def midi() -> None:
        """MIDI parts: import and export Standard MIDI Files, render with a SoundFont."""

    @midi.command("import")
    @click.argument("song")
    @click.argument("file", type=click.Path(path_type=Path))
    @click.option(
        "--tracks",
        "tracks",
        multiple=True,
        help="Only this file track (name or number); repeatable.",
    )
    @click.option(
        "--keep-tempo",
        is_flag=True,
        help="Keep the song's tempo map, time signature and key (the default when the song "
        "has audio placed).",
    )
    @click.option(
        "--use-file-tempo",
        is_flag=True,
        help="Take the file's tempo map, time signature and key even when the song has audio "
        "(audio clips keep their time).",
    )
    @click.option("--render", "render_too", is_flag=True, help="Render the imported parts too.")
    @click.option("--soundfont", type=click.Path(path_type=Path), default=None, help=_SF_HELP)
    @click.option(
        "--encoding",
        default=None,
        help="Text encoding of the file's track names (default: detected), e.g. gbk, euc-kr.",
    )
    @click.pass_context
    def midi_import(
        ctx: click.Context,
        song: str,
        file: Path,
        tracks: tuple[str, ...],
        keep_tempo: bool,
        use_file_tempo: bool,
        render_too: bool,
        soundfont: Path | None,
        encoding: str | None,
    ) -> None:
        """Add the parts of FILE.mid to SONG as MIDI tracks (notes, pedals, controllers and
        pitch bend). The file's tempo, time signature and key become the song's when the song
        has no audio yet; what changes (or is kept) is printed."""
        done = wf.midi_import(
            project_dir(ctx),
            song,
            file,
            tracks,
            keep_tempo,
            render_too,
            soundfont,
            use_file_tempo=use_file_tempo,
            encoding=encoding,
        )
        for p in done.parts:
            extra = f"\t{p.controls} controller events" if p.controls else ""
            click.echo(f"{p.track}\t{p.notes} notes\t{p.instrument}{extra}")
        for line in (*done.changes, *done.messages):
            click.echo(line)

    @midi.command("export")
    @click.argument("song")
    @click.argument("track")
    @click.argument("file", type=click.Path(path_type=Path))
    @click.pass_context
    def midi_export(ctx: click.Context, song: str, track: str, file: Path) -> None:
        """Write TRACK of SONG as a Standard MIDI File."""
        n, replaced = wf.midi_export(project_dir(ctx), song, track, file)
        click.echo(f"{file}: {n} notes" + (" (replaced the earlier file)" if replaced else ""))

    @midi.command("render")
    @click.argument("song")
    @click.argument("tracks", nargs=-1)
    @click.option("--soundfont", type=click.Path(path_type=Path), default=None, help=_SF_HELP)
    @click.pass_context
    def midi_render(
        ctx: click.Context, song: str, tracks: tuple[str, ...], soundfont: Path | None
    ) -> None:
        """Render MIDI TRACKS of SONG (default: all) to their 'rendered' take lane."""
        for name in wf.render_parts(project_dir(ctx), song, tracks, soundfont):
            click.echo(f"rendered {name}")


def _section_group(cli: click.Group) -> None:
    @cli.group("section")
    def section() -> None:
        """Song sections (bars are counted from 0); move/duplicate/remove are ripple edits."""

    @section.command("add")
    @click.argument("song")
    @click.argument("name")
    @click.option("--at", "at_bar", type=int, required=True, help="First bar (0-based).")
    @click.option("--bars", type=int, required=True, help="Length in bars.")
    @click.option("--insert", is_flag=True, help="Open empty bars there (everything later moves).")
    @click.pass_context
    def add(ctx: click.Context, song: str, name: str, at_bar: int, bars: int, insert: bool) -> None:
        """Name bars of SONG as section NAME (or insert new bars)."""
        wf.section_add(project_dir(ctx), song, name, at_bar, bars, insert)

    @section.command("move")
    @click.argument("song")
    @click.argument("name")
    @click.option(
        "--to", "to_bar", type=int, required=True, help="Bar the section starts at afterwards."
    )
    @click.pass_context
    def move(ctx: click.Context, song: str, name: str, to_bar: int) -> None:
        """Move section NAME and everything in it."""
        wf.section_move(project_dir(ctx), song, name, to_bar)

    @section.command("duplicate")
    @click.argument("song")
    @click.argument("name")
    @click.option(
        "--to", "to_bar", type=int, default=None, help="Bar of the copy (default: right after)."
    )
    @click.option("--name", "new_name", default="", help="Name of the copy (default: 'NAME 2').")
    @click.pass_context
    def duplicate(
        ctx: click.Context, song: str, name: str, to_bar: int | None, new_name: str
    ) -> None:
        """Insert a copy of section NAME with its content."""
        wf.section_duplicate(project_dir(ctx), song, name, to_bar, new_name)

    @section.command("remove")
    @click.argument("song")
    @click.argument("name")
    @click.option("--keep-bars", is_flag=True, help="Only drop the name; the music stays.")
    @click.pass_context
    def remove(ctx: click.Context, song: str, name: str, keep_bars: bool) -> None:
        """Cut section NAME and its content out of SONG."""
        wf.section_remove(project_dir(ctx), song, name, keep_bars)

    @section.command("rename")
    @click.argument("song")
    @click.argument("name")
    @click.argument("new_name")
    @click.pass_context
    def rename(ctx: click.Context, song: str, name: str, new_name: str) -> None:
        """Rename section NAME to NEW_NAME."""
        wf.section_rename(project_dir(ctx), song, name, new_name)


def _part_group(cli: click.Group) -> None:
    @cli.group("part")
    def part() -> None:
        """MIDI parts: transpose, change instrument."""

    @part.command("transpose", context_settings={"ignore_unknown_options": True})
    @click.argument("song")
    @click.argument("track")
    @click.argument("semitones", type=int)
    @click.option("--section", default=None, help="Only the notes starting in this section.")
    @click.pass_context
    def transpose(
        ctx: click.Context, song: str, track: str, semitones: int, section: str | None
    ) -> None:
        """Move the notes of TRACK by SEMITONES (e.g. -12: an octave down)."""
        wf.part_transpose(project_dir(ctx), song, track, semitones, section)

    @part.command("instrument")
    @click.argument("song")
    @click.argument("track")
    @click.argument("program_or_name")
    @click.pass_context
    def instrument(ctx: click.Context, song: str, track: str, program_or_name: str) -> None:
        """Give TRACK a GM program (0..127), a GM name ('Nylon', 'Violin') or 'drums'."""
        click.echo(wf.part_instrument(project_dir(ctx), song, track, program_or_name))


def _song_commands(cli: click.Group) -> None:
    group = cli.commands.get("song")
    if not isinstance(group, click.Group):

        @cli.group("song")
        def song_group() -> None:
            """Songs of the album."""

        group = song_group

    @group.command("set")
    @click.argument("song")
    @click.option("--tempo", "tempo_bpm", type=float, default=None, help="Tempo in BPM.")
    @click.option("--key", default=None, help='Key, e.g. "A minor".')
    @click.option("--time-signature", default=None, help="e.g. 4/4, 6/8.")
    @click.option(
        "--move-audio", is_flag=True, help="Audio clips keep their beat (not their time)."
    )
    @click.option("--isrc", default=None, help='ISRC, CC-XXX-YY-NNNNN ("" clears it).')
    @click.option("--songwriter", default=None, help="Songwriter credit (CD-Text).")
    @click.option("--gap", default=None, help='Album mode: seconds before the song, or "album".')
    @click.option("--crossfade", "crossfade_s", type=float, default=None, help="CD: overlap (s).")
    @click.pass_context
    def song_set(
        ctx: click.Context,
        song: str,
        tempo_bpm: float | None,
        key: str | None,
        time_signature: str | None,
        move_audio: bool,
        isrc: str | None,
        songwriter: str | None,
        gap: str | None,
        crossfade_s: float | None,
    ) -> None:
        """Change SONG's tempo, key or time signature (MIDI parts follow the tempo), or its
        delivery metadata: ISRC, songwriter, gap before it and crossfade into the next song."""
        root = project_dir(ctx)
        s = wf.song_set(
            root, song, tempo_bpm, key, time_signature, move_audio, isrc, songwriter, gap,
            crossfade_s,
        )  # fmt: skip
        click.echo(f"{s.slug}: {s.tempo_bpm:g} BPM {s.time_signature} {s.key}".rstrip())
        if any(v is not None for v in (isrc, songwriter, gap, crossfade_s)):
            gap_text = "album default" if s.gap_before_s is None else f"{s.gap_before_s:g} s"
            click.echo(
                f"  isrc {s.isrc or '-'}, songwriter {s.songwriter or '-'}, gap {gap_text}, "
                f"crossfade {s.crossfade_s:g} s"
            )

    @group.command("analyze")
    @click.argument("song")
    @click.argument("file", type=click.Path(path_type=Path))
    @click.option("--apply", is_flag=True, help="Make the estimates the song's tempo and key.")
    @click.pass_context
    def song_analyze(ctx: click.Context, song: str, file: Path, apply: bool) -> None:
        """Estimate tempo and key of a rough recording FILE of SONG."""
        est = wf.song_analyze(project_dir(ctx), song, file, apply)
        click.echo(f"tempo {est.tempo_bpm:g} BPM")
        click.echo(f"key {est.key or 'unknown'} (confidence {est.key_confidence:.2f})")
        if not apply:
            click.echo(
                f"to use them: producer song set {song} --tempo {est.tempo_bpm:g}"
                + (f' --key "{est.key}"' if est.key else "")
            )


def register(cli: click.Group) -> None:
    """Add this module's commands to the `producer` group."""
    _midi_group(cli)
    _section_group(cli)
    _part_group(cli)
    _song_commands(cli)

    @cli.command("click")
    @click.argument("song")
    @click.option("-o", "output", type=click.Path(path_type=Path), required=True, help="WAV file.")
    @click.option("--count-in", type=int, default=1, show_default=True, help="Bars of count-in.")
    @click.option("--bars", type=int, default=None, help="Bars (default: the whole song).")
    @click.pass_context
    def click_cmd(
        ctx: click.Context, song: str, output: Path, count_in: int, bars: int | None
    ) -> None:
        """Write SONG's click track with a count-in."""
        start, frames, replaced = wf.write_click(project_dir(ctx), song, output, bars, count_in)
        click.echo(
            f"{output}: {frames} frames, starting at song frame {start}"
            + (" (replaced the earlier file)" if replaced else "")
        )

    @cli.command("demo")
    @click.argument(
        "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-album")
    )
    @click.option("--soundfont", type=click.Path(path_type=Path), default=None, help=_SF_HELP)
    @click.pass_context
    def demo(ctx: click.Context, directory: Path, soundfont: Path | None) -> None:
        """Make a whole demo album in DIRECTORY: arrangement, SoundFont renders, mix, masters."""
        result = demo_wf.run_demo(project_dir(ctx) / directory, soundfont)
        click.echo(f"{'song':<14} {'profile':<10} {'length':>7} {'LUFS':>7} {'dBTP':>6}  file")
        for line in result.lines:
            mark = "" if line.passed else "  (missed its profile)"
            click.echo(
                f"{line.song:<14} {line.profile:<10} {line.length_s:6.1f}s "
                f"{line.integrated_lufs:7.1f} {line.true_peak_dbtp:6.1f}  {line.path}{mark}"
            )
        for note in result.notes:
            click.echo(note)
        if result.cue:
            click.echo(f"CD image and CUE sheet: {result.cue.with_suffix('.wav')}, {result.cue}")
        click.echo(
            f"done in {result.seconds:.1f} s: producer -C {project_dir(ctx) / directory} show"
        )
