"""Use cases of session interchange: a song out to another DAW, another DAW's session in.

``export_session`` writes DAWproject, REAPER, AAF or OTIO through ``producer.interchange`` (the
song reduced to what the format carries, with the loss report), or renders BWF stems (every
track and bus from the song start to its end, ``bext`` time reference and iXML, a cue list).

``import_session`` reads a session file, checks every clip against its media *before* anything
is written, copies the audio it finds into the media pool (``Project.import_media``, like
``producer import``), makes the clips of absent audio offline (they play silence and
``producer validate`` lists them), renders note clips with the SoundFont, and stores the new
song in one undoable step. A malformed file stops it with one line naming the file and the
element; no song is created then.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from producer.errors import FormatError, ValidationError
from producer.interchange import (
    NAMES,
    ImportedSession,
    LossReport,
    MediaLookup,
    bwf,
    export_format,
    export_song,
    import_format,
    plan_export,
    read_session,
    song_end_frame,
)
from producer.model import MediaRef, Song, TrackKind
from producer.model import edit as ed
from producer.storage import Project
from producer.workflows.outputs import check_output
from producer.workflows.progress import frames as progress_frames
from producer.workflows.progress import report as progress_report

if TYPE_CHECKING:
    from producer.engine import Progress


@dataclass(frozen=True)
class ExportResult:
    format: str
    path: Path
    report: LossReport
    files: tuple[Path, ...] = ()


@dataclass(frozen=True)
class ImportResult:
    slug: str
    title: str
    report: LossReport
    offline: tuple[str, ...]
    """Names of the audio files the session names that were not found."""


def _media_lookup(project: Project) -> MediaLookup:
    """Where a clip's audio is in the project (None: offline or missing)."""

    def find(ref: MediaRef) -> Path | None:
        if ref.offline:
            return None
        p = project.root / ref.path
        return p if p.is_file() else None

    return find


def export_session(
    root: Path, slug: str, out: Path, fmt: str | None = None, progress: Progress | None = None
) -> ExportResult:
    """Write song ``slug`` to ``out`` as ``fmt`` (from the extension when None; a folder or a
    name without extension means stems).

    Rendering stems reports its progress through ``producer.workflows.progress`` (or to the
    engine callback ``progress(frames_done, frames_expected)`` when one is given)."""
    project = Project.open(root)
    song = project.song(slug)
    check_output(out, project.root)  # never over the project's own files
    kind = export_format(out, fmt)
    if kind == "stems":
        return _export_stems(project, song, out, progress)
    from producer.workflows.parts import ensure_parts

    song = ensure_parts(project, song)  # the session names the rendered parts' files
    report = export_song(song, project.album, kind, out, _media_lookup(project))
    return ExportResult(kind, out, report, (out,))


def _export_stems(
    project: Project, song: Song, out: Path, progress: Progress | None
) -> ExportResult:
    from producer.workflows.mix import render

    report = LossReport(NAMES["stems"], "export")
    end = song_end_frame(song)
    if end <= 0:
        raise ValidationError(f"song {song.slug!r}: has no audio to consolidate into stems")
    if out.exists() and not out.is_dir():
        raise ValidationError(f"{out}: is a file; stems go to a folder")
    report.carry("every track and bus as a stem from the song start to its end")
    report.carry("the mix (master output)")
    report.carry("bext time reference and iXML track names")
    report.carry("cue list of markers and sections")
    for t in song.tracks:
        if t.kind == TrackKind.MIDI and t.midi_clips:
            report.carry("MIDI parts as their SoundFont render")
    report.lose(
        "editable clips, fades, automation and effects",
        "",
        "stems are consolidated audio: everything is printed into them",
    )
    if song.master.inserts or song.master.automation or song.master.gain_db:
        report.lose(
            "master bus processing",
            "the stems",
            "stems are track and bus outputs before the master; only the mix file has it",
        )
    rate = song.sample_rate
    with tempfile.TemporaryDirectory(prefix="producer-stems-") as tmp:
        tmpdir = Path(tmp)
        summary = render(
            project.root,
            song.slug,
            output=tmpdir / "mix.wav",
            stems_dir=tmpdir / "stems",
            file_format="wav",
            bit_depth="24",
            start_s=0.0,
            end_s=end / rate,
            tail_s=0.0,
            progress=progress or progress_frames(f"rendering the stems of {song.slug}"),
        )
        sources = [(tmpdir / "mix.wav", "Mix")]
        names = [t.name for t in song.tracks] + [f"bus {b.name}" for b in song.buses]
        sources += list(zip(summary.stems, names, strict=True))
        for c in summary.clipping:  # 24-bit stems cannot hold samples over full scale
            report.lose(
                f"{c.samples} samples over full scale (peak {c.peak_dbfs:+.1f} dBFS)",
                c.stem or "the mix",
                "clipped in the 24-bit stem; lower the fader or put a limiter before it",
            )
        files = bwf.write_stems(out, song, sources, project.album.title)
    return ExportResult("stems", out, report, tuple(files))


# ---------------------------------------------------------------- import


def _title(session: ImportedSession, title: str | None, file: Path) -> str:
    return (title or session.metadata.get("title") or file.stem).strip() or file.stem


def import_session(
    root: Path,
    file: Path,
    title: str | None = None,
    media_dirs: tuple[Path, ...] = (),
    fmt: str | None = None,
) -> ImportResult:
    """Create a new song from the session ``file`` (see the module docstring)."""
    project = Project.open(root)
    kind = import_format(file, fmt)
    rate = project.album.sample_rate
    progress_report(f"reading {file.name}")
    with tempfile.TemporaryDirectory(prefix="producer-session-") as tmp:
        session = read_session(file, kind, title or file.stem, rate, Path(tmp), media_dirs)
        name = _title(session, title, file)
        try:
            slug = ed.slugify(name)
        except ValidationError:
            raise ValidationError(
                f"title {name!r}: needs a letter or digit; give --title"
            ) from None
        if slug in project.album.songs:
            raise ValidationError(f"song {slug!r} exists already; give the import another --title")
        song = replace(session.song, title=name, slug=slug)
        song, offline = _bring_media(project, session, song)
    report = session.report
    for key, n in offline.items():
        report.lose(
            f"audio {session.media[key].name!r}",
            f"{n} clip(s)",
            "not found beside the session or in --media-dir: the clips are offline, play "
            "silence, and `producer validate` lists them",
        )
    for meta in ("artist", "album", "year"):
        if meta in session.metadata:
            report.lose(
                f"{meta} {session.metadata[meta]!r}",
                "the session's metadata",
                "album facts stay the project's own (`producer album set` changes them)",
            )
    song = _render_parts(project, song, report)
    with project.transaction(f"import session {file.name} as {slug}") as tx:
        if slug in tx.album.songs:
            raise ValidationError(f"song {slug!r} exists already; give another --title")
        tx.put_song(song)
    names = tuple(session.media[k].name for k in offline)
    return ImportResult(slug, name, report, names)


def _bring_media(
    project: Project, session: ImportedSession, song: Song
) -> tuple[Song, dict[str, int]]:
    """Pool refs for the media found (copied into media/), offline refs for the rest.

    Returns the song and, per absent media key, how many clips name it.
    """
    refs: dict[str, MediaRef] = {}
    found = [(key, mf.path) for key, mf in session.media.items() if mf.path is not None]
    for i, (key, path) in enumerate(found):
        progress_report(f"copying {path.name} into media/", i, len(found))
        refs[key] = project.import_media(path)
    need: dict[str, int] = {}
    counts: dict[str, int] = {}
    for t in song.tracks:
        for lane in t.lanes:
            for c in lane.clips:
                if c.media.path not in refs:
                    end = c.source_start_frame + c.length_frames
                    need[c.media.path] = max(need.get(c.media.path, 0), end)
                    counts[c.media.path] = counts.get(c.media.path, 0) + 1
    tracks = []
    for t in song.tracks:
        lanes = []
        for lane in t.lanes:
            clips = []
            for c in lane.clips:
                key = c.media.path
                if key in refs:
                    ref = refs[key]
                    length = min(c.length_frames, ref.frames - c.source_start_frame)
                    if length <= 0:  # check_media_bounds let a frame of rounding through
                        element = session.elements.get(c.id, c.id)
                        raise FormatError(f"{session.source}: {element}: outside its media")
                    clips.append(replace(c, media=ref, length_frames=length))
                else:
                    mf = session.media[key]
                    ref = MediaRef(
                        path="",
                        sha256="",
                        sample_rate=song.sample_rate,
                        channels=min(max(mf.channels, 1), 2),
                        frames=need[key],
                        source_name=mf.name,
                        offline=True,
                    )
                    clips.append(replace(c, media=ref))
            lanes.append(replace(lane, clips=tuple(clips)))
        tracks.append(replace(t, lanes=tuple(lanes)))
    return replace(song, tracks=tuple(tracks)), counts


def _render_parts(project: Project, song: Song, report: LossReport) -> Song:
    """Render the MIDI parts with the SoundFont into their ``rendered`` take lanes."""
    from producer.workflows.parts import place_render, render_parts

    names = [t.name for t in song.tracks if t.kind == TrackKind.MIDI and t.midi_clips]
    if not names:
        return song
    for name, part in render_parts(project, song, names, None).items():
        song = place_render(song, name, part)
    report.carry("note clips as MIDI parts rendered with the SoundFont")
    return song


def plan(root: Path, slug: str, fmt: str) -> LossReport:
    """The loss report of exporting ``slug`` as ``fmt``, without writing anything."""
    project = Project.open(root)
    return plan_export(project.song(slug), fmt)[1]


__all__ = ["ExportResult", "ImportResult", "export_session", "import_session", "plan"]
