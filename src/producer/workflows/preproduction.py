"""Use cases of pre-production: MIDI parts, SoundFont renders, sections, parts, tempo, analysis.

Every change is one undoable step (``project.transaction``). A MIDI track's rendered audio is
the take lane named ``rendered`` on the track (the MIDI stays the source of truth): rendering
again replaces that lane, and every change to the notes, the instrument, the sections or the
tempo re-renders the tracks that have one. Renders live in the rendered-parts cache
(``producer.workflows.parts``), not in the media pool: they are made again when missing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from producer import audio
from producer.errors import NotFoundError, ValidationError
from producer.model import Instrument, Song, ranges
from producer.model import edit as ed
from producer.model.track import TrackKind
from producer.model.validate import isrc_problem, normalise_isrc
from producer.preproduction import arrange, midi, render
from producer.preproduction.analyze import Estimate, estimate
from producer.preproduction.click import click_track
from producer.preproduction.instruments import parse_instrument, program_name
from producer.storage import Project
from producer.workflows.outputs import check_output, existing
from producer.workflows.parts import RENDERED_LANE, place_render, rendered_tracks
from producer.workflows.parts import render_parts as render_parts_cached
from producer.workflows.progress import report as progress
from producer.workflows.project import parse_time_signature


def _open(root: Path) -> Project:
    return Project.open(root)


# ---------------------------------------------------------------- rendering


def _change(
    root: Path,
    slug: str,
    label: str,
    fn: Callable[[Song], Song],
    soundfont: str | Path | None = None,
    render_also: Sequence[str] = (),
) -> Song:
    """Apply ``fn`` to the song as one undoable step and re-render the tracks with a render
    (plus ``render_also``). ``fn`` raising leaves the project as it was."""
    project = _open(root)
    preview = fn(project.song(slug))
    names = sorted(set(rendered_tracks(preview)) | set(render_also))
    renders = render_parts_cached(project, preview, names, soundfont) if names else {}
    with project.transaction(label) as tx:
        song = fn(tx.song(slug))
        for name, part in renders.items():
            song = place_render(song, name, part)
        tx.put_song(song)
    return song


def render_parts(
    root: Path, slug: str, tracks: Sequence[str] = (), soundfont: str | Path | None = None
) -> list[str]:
    """Render MIDI tracks (default: all with notes) to their ``rendered`` take; returns names."""
    project = _open(root)
    song = project.song(slug)
    names = list(tracks) or [t.name for t in song.tracks if t.kind == TrackKind.MIDI]
    for n in names:
        t = ed.get_track(song, n)
        if t.kind != TrackKind.MIDI:
            raise ValidationError(f"track {n!r}: is an audio track, not a MIDI part")
    if not names:
        raise NotFoundError(f"song {slug!r}: has no MIDI tracks to render")
    render.soundfont_path(soundfont)
    _change(root, slug, f"render {', '.join(names)} in {slug}", lambda s: s, soundfont, names)
    return names


# ---------------------------------------------------------------- MIDI files


@dataclass(frozen=True)
class ImportedPart:
    track: str
    notes: int
    instrument: str
    controls: int = 0
    """Controller and pitch-bend events the part keeps (pedals, modulation, ...)."""


@dataclass(frozen=True)
class MidiImported:
    """What ``midi_import`` did: the new parts, what changed in the song (tempo, key, time
    signature: one line each, "" if nothing), and what the file held that was left out or
    could not be read."""

    parts: tuple[ImportedPart, ...]
    changes: tuple[str, ...]
    messages: tuple[str, ...]


def _has_audio(song: Song) -> bool:
    """Whether audio (imports, recordings) is placed in the song; rendered MIDI parts do not
    count: they follow a tempo change by being rendered again."""
    return any(t.kind == TrackKind.AUDIO and t.all_clips() for t in song.tracks)


def _describe_tempo(song: Song) -> str:
    more = f" (+{len(song.tempo_changes)} tempo changes)" if song.tempo_changes else ""
    return f"{song.tempo_bpm:g} BPM{more}"


def midi_import(
    root: Path,
    slug: str,
    file: Path,
    tracks: Sequence[str] = (),
    keep_tempo: bool = False,
    render_parts_too: bool = False,
    soundfont: str | Path | None = None,
    use_file_tempo: bool = False,
    encoding: str | None = None,
) -> MidiImported:
    """Add the MIDI file's parts as MIDI tracks of the song.

    The file's tempo map, time signature and key (those it states) become the song's, and the
    result says so, unless ``keep_tempo``, or the song already has audio placed: then the song
    keeps its own (the parts play at the song's tempo, beat for beat) and the result says what
    the file had; ``use_file_tempo`` takes the file's even then (audio clips keep their time).
    """
    project = _open(root)
    song = project.song(slug)
    data = midi.read_midi(file, tuple(tracks), song.time_signature.beats_per_bar, encoding)
    if render_parts_too:
        render.soundfont_path(soundfont)
    if keep_tempo and use_file_tempo:
        raise ValidationError("midi import: --keep-tempo and --use-file-tempo contradict")
    file_song = replace(
        song,
        tempo_bpm=data.tempo_bpm if data.has_tempo else song.tempo_bpm,
        tempo_changes=data.tempo_changes if data.has_tempo else song.tempo_changes,
        time_signature=data.time_signature if data.has_time_signature else song.time_signature,
        key=data.key or song.key,
    )
    differs = []
    if _describe_tempo(file_song) != _describe_tempo(song) or (
        file_song.tempo_changes != song.tempo_changes
    ):
        differs.append(("tempo", _describe_tempo(song), _describe_tempo(file_song)))
    if file_song.time_signature != song.time_signature:
        differs.append(("time signature", str(song.time_signature), str(file_song.time_signature)))
    if file_song.key != song.key:
        differs.append(("key", song.key or "none", file_song.key))
    adopt = not keep_tempo and (use_file_tempo or not _has_audio(song))
    changes: list[str] = []
    if differs and adopt:
        changes = [
            f"song {what}: {old} -> {new} (from {Path(file).name})" for what, old, new in differs
        ]
        if _has_audio(song):
            changes.append("audio clips keep their time in seconds (not their bars)")
    elif differs:
        why = "--keep-tempo" if keep_tempo else "the song has audio placed"
        theirs = ", ".join(f"{what} {new}" for what, _old, new in differs)
        ours = ", ".join(f"{what} {old}" for what, old, _new in differs)
        changes = [
            f"kept the song's {ours} ({why}); the file has {theirs}: the parts play at the "
            "song's tempo, beat for beat"
            + ("" if keep_tempo else " (--use-file-tempo takes the file's)")
        ]

    def fn(s: Song) -> Song:
        if adopt:
            s = replace(
                s,
                tempo_bpm=file_song.tempo_bpm,
                tempo_changes=file_song.tempo_changes,
                time_signature=file_song.time_signature,
                key=file_song.key,
            )
        for t in data.tracks:
            name = t.name
            n = 1
            while s.track(name) is not None:
                n += 1
                name = f"{t.name} {n}"
            ids = ed.all_clip_ids(s)
            clips = tuple(replace(c, id=ed.new_id(ids, "m")) for c in t.midi_clips)
            s = ed.add_track(s, replace(t, name=name, midi_clips=clips))
        return s

    new_names = [t.name for t in fn(song).tracks if song.track(t.name) is None]
    _change(
        root,
        slug,
        f"import MIDI {Path(file).name} into {slug}",
        fn,
        soundfont,
        new_names if render_parts_too else (),
    )
    result = _open(root).song(slug)
    imported = []
    for n in new_names:
        t = ed.get_track(result, n)
        imported.append(
            ImportedPart(
                n,
                sum(len(c.notes) for c in t.midi_clips),
                program_name(t.instrument or Instrument()),
                sum(len(c.controls) + len(c.pitch_bends) for c in t.midi_clips),
            )
        )
    return MidiImported(tuple(imported), tuple(changes), data.messages)


def midi_export(root: Path, slug: str, track: str, file: Path) -> tuple[int, bool]:
    """Write a MIDI track as a Standard MIDI File; returns (notes, whether an existing file
    was replaced). Never into the project's own files."""
    project = _open(root)
    song = project.song(slug)
    t = ed.get_track(song, track)
    check_output(file, project.root)
    replaced = bool(existing(file))
    midi.write_midi(song, t, file)
    return sum(len(c.notes) for c in t.midi_clips), replaced


# ---------------------------------------------------------------- sections and parts


def section_add(
    root: Path, slug: str, name: str, start_bar: int, bars: int, insert: bool = False
) -> None:
    _change(
        root,
        slug,
        f"section add {name} in {slug}",
        lambda s: arrange.add_section(s, name, start_bar, bars, insert),
    )


def section_move(root: Path, slug: str, name: str, to_bar: int) -> None:
    _change(
        root,
        slug,
        f"section move {name} to bar {to_bar} in {slug}",
        lambda s: arrange.move_section(s, name, to_bar),
    )


def section_duplicate(
    root: Path, slug: str, name: str, to_bar: int | None = None, new_name: str = ""
) -> None:
    _change(
        root,
        slug,
        f"section duplicate {name} in {slug}",
        lambda s: arrange.duplicate_section(s, name, to_bar, new_name),
    )


def section_remove(root: Path, slug: str, name: str, keep_bars: bool = False) -> None:
    _change(
        root,
        slug,
        f"section remove {name} in {slug}",
        lambda s: arrange.remove_section(s, name, keep_bars),
    )


def section_rename(root: Path, slug: str, name: str, new_name: str) -> None:
    _change(
        root,
        slug,
        f"section rename {name} to {new_name} in {slug}",
        lambda s: arrange.rename_section(s, name, new_name),
    )


def part_transpose(
    root: Path, slug: str, track: str, semitones: int, section: str | None = None
) -> None:
    where = f" in section {section}" if section else ""
    _change(
        root,
        slug,
        f"transpose {track} by {semitones:+d}{where} in {slug}",
        lambda s: arrange.transpose(s, track, semitones, section),
    )


def part_instrument(root: Path, slug: str, track: str, instrument: str) -> str:
    """Set a MIDI track's instrument (GM program number or name, or ``drums``); returns its
    name."""
    inst = parse_instrument(instrument)
    _change(
        root,
        slug,
        f"instrument of {track}: {program_name(inst)} in {slug}",
        lambda s: arrange.set_instrument(s, track, inst),
    )
    return program_name(inst)


def song_set(
    root: Path,
    slug: str,
    tempo_bpm: float | None = None,
    key: str | None = None,
    time_signature: str | None = None,
    move_audio: bool = False,
    isrc: str | None = None,
    songwriter: str | None = None,
    gap: str | None = None,
    crossfade_s: float | None = None,
) -> Song:
    """Change the song's tempo, key or time signature (MIDI parts follow the tempo), or its
    delivery metadata: ``isrc`` (CC-XXX-YY-NNNNN, stored without hyphens; "" clears),
    ``songwriter`` (CD-Text), ``gap`` (seconds of silence before it in album mode, or
    "album" for the album default), ``crossfade_s`` (overlap with the next song on the CD).
    Impossible values raise ValidationError, nothing changes."""
    ts = parse_time_signature(time_signature) if time_signature else None
    if tempo_bpm is not None:
        ranges.check_tempo(tempo_bpm, "--tempo")
    if key is not None:
        key = ranges.parse_key(key)
    meta = _delivery_changes(isrc, songwriter, gap, crossfade_s)

    def fn(s: Song) -> Song:
        if tempo_bpm is not None:
            s = arrange.set_tempo(s, tempo_bpm, move_audio)
        if key is not None:
            s = replace(s, key=key)
        if ts is not None:
            s = replace(s, time_signature=ts)
        return meta(s) if meta else s

    if tempo_bpm is None and key is None and ts is None:
        if not meta:
            raise ValidationError(
                "song set: give --tempo, --key, --time-signature, --isrc, --songwriter, --gap "
                "or --crossfade"
            )
        # Metadata only: nothing to re-render, one undoable step.
        project = _open(root)
        with project.transaction(f"song set {slug}") as tx:
            song = fn(tx.song(slug))
            tx.put_song(song)
        return song
    return _change(root, slug, f"song set {slug}", fn)


def _delivery_changes(
    isrc: str | None, songwriter: str | None, gap: str | None, crossfade_s: float | None = None
) -> Callable[[Song], Song] | None:
    """The change ``song set`` makes to the delivery fields (None: none), checked before
    anything is written."""
    if isrc is None and songwriter is None and gap is None and crossfade_s is None:
        return None
    if isrc and (why := isrc_problem(isrc)):
        raise ValidationError(f"--isrc: {why}")
    gap_s: float | None = None
    if gap is not None and gap.strip().lower() not in ("album", "default"):
        try:
            gap_s = float(gap)
        except ValueError:
            raise ValidationError(f"--gap: {gap!r} is not seconds (or 'album')") from None
        if not math.isfinite(gap_s) or gap_s < 0:
            raise ValidationError(f"--gap: {gap} is not a non-negative number of seconds")
    if crossfade_s is not None and not (math.isfinite(crossfade_s) and crossfade_s >= 0):
        raise ValidationError(f"--crossfade: {crossfade_s} is not a non-negative number of seconds")

    def change(s: Song) -> Song:
        if isrc is not None:
            s = replace(s, isrc=normalise_isrc(isrc))
        if songwriter is not None:
            s = replace(s, songwriter=songwriter.strip())
        if gap is not None:
            s = replace(s, gap_before_s=gap_s)
        if crossfade_s is not None:
            s = replace(s, crossfade_s=crossfade_s)
        return s

    return change


def song_analyze(root: Path, slug: str, file: Path, apply: bool = False) -> Estimate:
    """Estimate tempo and key of a rough recording; with ``apply`` make them the song's."""
    _open(root).song(slug)
    progress(f"reading {Path(file).name}")
    data, rate = audio.read(file)
    progress(f"estimating the tempo and key of {Path(file).name}")
    est = estimate(data, rate)
    if apply:
        song_set(root, slug, tempo_bpm=est.tempo_bpm, key=est.key or None)
    return est


def write_click(
    root: Path, slug: str, file: Path, bars: int | None = None, count_in_bars: int = 1
) -> tuple[int, int, bool]:
    """Write the song's click (with a count-in) to ``file``; returns (start frame, frames,
    whether an existing file was replaced). Never into the project's own files."""
    project = _open(root)
    song = project.song(slug)
    check_output(file, project.root)
    replaced = bool(existing(file))
    n = bars
    if n is None:
        per_bar = song.time_signature.beats_per_bar
        n = max(1, -int(-arrange.song_length_beats(song) // per_bar))
    data, start = click_track(song, n, 0, count_in_bars)
    audio.write(file, data, song.sample_rate, subtype="PCM_24")
    return start, data.shape[1], replaced


__all__ = [
    "RENDERED_LANE",
    "ImportedPart",
    "MidiImported",
    "midi_export",
    "midi_import",
    "part_instrument",
    "part_transpose",
    "render_parts",
    "section_add",
    "section_duplicate",
    "section_move",
    "section_remove",
    "section_rename",
    "song_analyze",
    "song_set",
    "write_click",
]
