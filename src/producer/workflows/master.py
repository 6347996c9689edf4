"""Use cases of ``producer master`` and ``producer profiles``: glue between files, projects,
the engine and the mastering stage.

* :func:`master_file` masters any audio file to a profile (or a reference).
* :func:`master_song` renders a project song's mix with the engine, then masters it on its own
  to ``masters/<profile>/singles/NN-<slug>.<ext>``.
* :func:`master_project_album` masters every song (track- or album-normalised) to
  ``masters/<profile>/NN-<slug>.<ext>`` and, for the ``cd`` profile, writes ``album.wav`` +
  ``album.cue`` (Red Book checked). Each song's own
  ``isrc`` (CUE ISRC, ID3 TSRC, bext), ``songwriter`` (CD-Text SONGWRITER), ``gap_before_s``
  (INDEX 00; None = ``--gap``) and ``crossfade_s`` (into the next song; CD image only — the
  per-track files stay whole) are used; the album's ``upc`` is the CUE CATALOG.

Every master gets ``<name>.report.json`` and ``<name>.report.html`` next to it. Files appear
under their final names only when complete.

Names say what a file is: a song mastered alone and the same song as part of an album run
(album-normalised, faded, sequenced) are different masters, so they live in different places
(``singles/`` vs the profile folder); a master matched to a reference or to a custom target
carries that in its name (``-like-<reference>``, ``-16lufs``). A run that replaces an earlier
file says so (``Delivered.replaced``). Every verdict comes from the requirement rows of
:mod:`producer.mastering.verdict`, checked on the file as written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from producer import audio as audio_io
from producer.analysis import loudness
from producer.audio import Audio
from producer.errors import NotFoundError, UserError, ValidationError
from producer.fileio import atomic_output, names_file
from producer.mastering import album as album_mod
from producer.mastering import report as report_mod
from producer.mastering import verdict as verdict_mod
from producer.mastering.chain import (
    ChainSettings,
    CompressorSettings,
    MasterResult,
    master_source,
)
from producer.mastering.cue import isrc_problem, normalise_isrc, write_cue
from producer.mastering.export import Loudness, Tags, write_master
from producer.mastering.profiles import DeliveryProfile, get_profile, load_profiles
from producer.mastering.stream import FileSource
from producer.mastering.verdict import LoudnessGoal, Verdict
from producer.model import Song
from producer.model.office import WRITER_ROLES
from producer.storage import Project
from producer.workflows import mix as mix_wf
from producer.workflows.outputs import check_output, existing
from producer.workflows.progress import frames as progress_frames
from producer.workflows.progress import report as progress

SINGLES_DIR = "singles"
"""Under ``masters/<profile>/``: songs mastered on their own (``producer master SONG``)."""


@dataclass(frozen=True)
class Delivered:
    """One written master: its ``--json`` row, the verdict it comes from, and what it replaced."""

    row: dict[str, Any]
    verdict: Verdict
    replaced: str = ""
    """The earlier file this one replaced, in words ("" when the name was free)."""

    @property
    def passed(self) -> bool:
        return self.verdict.passed

    @property
    def problems(self) -> tuple[str, ...]:
        return self.verdict.problems


@dataclass(frozen=True)
class AlbumDelivery:
    """An album run: its masters, how it was normalised, the CD image, and leftovers."""

    masters: list[Delivered]
    normalisation: str
    image: Path | None = None
    cue: Path | None = None
    stale: tuple[Path, ...] = ()
    """Masters in the folder from an earlier run that are not part of this album."""
    image_replaced: bool = False
    """The CD image and CUE sheet replaced those of an earlier run."""


@dataclass(frozen=True)
class MasterOptions:
    """What the user chose besides the profile."""

    target_lufs: float | None = None
    ceiling_dbtp: float | None = None
    reference: Path | None = None
    isrc: str = ""
    title: str = ""
    artist: str = ""
    normalisation: str | None = None
    gap_s: float = 2.0
    fade_in_s: float = 0.0
    fade_out_s: float = 0.0
    settings: ChainSettings = field(default_factory=ChainSettings)
    layout: str | None = None
    """Loudspeaker layout of a multichannel input file that does not declare it."""


def chain_settings(
    tilt_db: float = 0.0,
    glue: bool = False,
    noise_shaping: bool = False,
    max_limiting_db: float = 15.0,
) -> ChainSettings:
    """Chain settings from the CLI's flags (the shell may not import mastering itself)."""
    if not 0.0 < max_limiting_db <= 40.0:
        raise UserError(f"--max-limiting-db {max_limiting_db} must be in (0, 40] dB")
    if abs(tilt_db) > 12.0:
        raise UserError(f"--tilt-db {tilt_db} must be within ±12 dB")
    return ChainSettings(
        tilt_db=tilt_db,
        compressor=CompressorSettings() if glue else None,
        noise_shaping=noise_shaping,
        max_limiting_db=max_limiting_db,
    )


def profiles() -> list[DeliveryProfile]:
    """Every delivery profile, in file order."""
    return list(load_profiles().values())


def profile_rows() -> list[dict[str, Any]]:
    """The profiles as JSON-ready rows (``producer profiles --json``)."""
    return [
        {
            "name": p.name,
            "target_lufs": p.target_lufs,
            "tolerance_lu": p.tolerance_lu,
            "ceiling_dbtp": p.ceiling_dbtp,
            "sample_rate": p.sample_rate,
            "bit_depth": p.bit_depth,
            "formats": list(p.formats),
            "normalisation": p.normalisation,
            "description": p.description,
        }
        for p in profiles()
    ]


def _profile(name: str, opts: MasterOptions) -> DeliveryProfile:
    return get_profile(name, opts.target_lufs, opts.ceiling_dbtp)


def _check_isrc(isrc: str) -> str:
    if not isrc:
        return ""
    problem = isrc_problem(isrc)
    if problem:
        raise UserError(problem)
    return normalise_isrc(isrc)


def _song_isrc(song: Song) -> str:
    """The song's ISRC, normalised; UserError naming the song when it is impossible."""
    try:
        return _check_isrc(song.isrc)
    except UserError as exc:
        raise UserError(f"song {song.slug!r}: isrc: {exc.message}") from None


def _reference_target(opts: MasterOptions) -> tuple[tuple[Audio, int] | None, float | None]:
    """The reference (audio, rate) and its integrated loudness, the target it sets."""
    if opts.reference is None:
        return None, None
    reference = audio_io.read(opts.reference)
    target = loudness.measure(reference[0], reference[1]).integrated_lufs
    if not target > -70.0:
        raise UserError(f"{opts.reference}: the reference is silent")
    return reference, target


def _earlier(path: Path) -> str:
    """What an existing file at ``path`` is, from its report when it has one ("" if none)."""
    if not path.exists():
        return ""
    try:
        old = json.loads(report_mod.report_paths(path)[0].read_text(encoding="utf-8"))
        what = f"{old['integrated_lufs']:.2f} LUFS, {old['profile']}"
        if old.get("run"):
            what += f", {old['run']}"
        if old.get("made_at"):
            what += f", made {old['made_at'].replace('T', ' ')[:16]}"
        return f"an earlier master ({what})"
    except (OSError, ValueError, KeyError, TypeError):
        return "an earlier file"


def deliver(
    result: MasterResult,
    profile: DeliveryProfile,
    goal: LoudnessGoal,
    paths: list[Path],
    tags: Tags,
    context: report_mod.ReportContext,
) -> list[Delivered]:
    rows: list[Delivered] = []
    loud = Loudness(result.integrated_lufs, result.loudness_range_lu, result.true_peak_dbtp)
    for path in paths:
        replaced = _earlier(path)
        progress(f"writing {path.name}")
        write_master(
            path,
            result.samples,
            result.sample_rate,
            result.bit_depth,
            tags,
            loud,
            description=f"master: {profile.name} {result.integrated_lufs:.1f} LUFS",
        )
        verdict = verdict_mod.judge(result, profile, goal, verdict_mod.file_facts(path))
        progress(f"writing the report of {path.name}")
        report_mod.write_reports(result, profile, verdict, path, context)
        rows.append(
            Delivered(report_mod.summary(result, verdict, path, bool(replaced)), verdict, replaced)
        )
    return rows


def _variant(opts: MasterOptions) -> str:
    """The part of a master's name that says what else than the profile shaped it."""
    out = ""
    if opts.reference is not None:
        out += f"-like-{re.sub(r'[^A-Za-z0-9_.+]+', '-', opts.reference.stem).strip('-')}"
    if opts.target_lufs is not None:
        out += f"-{abs(opts.target_lufs):g}lufs"
    if opts.ceiling_dbtp is not None:
        out += f"-{abs(opts.ceiling_dbtp):g}dbtp"
    return out


def _outputs(
    default_dir: Path, stem: str, profile: DeliveryProfile, out: Path | None
) -> list[Path]:
    if out is not None and names_file(out):
        paths = [out]
    else:
        folder = out if out is not None else default_dir
        paths = [folder / f"{stem}.{ext}" for ext in profile.formats]
    for p in paths:
        problem = verdict_mod.format_problem(profile, p)
        if problem:
            raise UserError(problem)  # before the work: a lossy "CD master" is never made
    return paths


def _goal(
    profile: DeliveryProfile, profile_name: str, target: float | None, opts: MasterOptions
) -> LoudnessGoal:
    if target is not None and opts.reference is not None:
        return verdict_mod.reference_goal(profile, target, opts.reference.name)
    return verdict_mod.profile_goal(profile, get_profile(profile_name).target_lufs)


def master_file(
    path: Path, profile_name: str, out: Path | None = None, opts: MasterOptions = MasterOptions()
) -> list[Delivered]:
    """Master an audio file; returns one ``--json`` row per written file.

    ``out`` is a file (its extension picks the format) or a folder; by default the master goes
    next to the input as ``<stem>-<profile>.<ext>`` for each of the profile's formats.
    """
    profile = _profile(profile_name, opts)
    isrc = _check_isrc(opts.isrc)
    paths = _outputs(path.parent, f"{path.stem}-{profile.name}{_variant(opts)}", profile, out)
    for p in paths:
        check_output(p, None, path, opts.reference)
    # Streamed from the file (bounded memory for any length); a mono file is repeated on
    # both channels where the profile is 2-channel (Red Book).
    progress(f"reading {path.name}")
    source = FileSource(path, upmix_to=2 if profile.channels == 2 else None)
    if source.frames == 0:
        raise UserError(f"{path}: holds no audio (zero frames)")
    # The channel weights of its loudness: the layout named, else declared, else by count.
    layout = loudness.file_layout(path, opts.layout)
    weights = (
        layout.weights if layout is not None and len(layout.weights) == source.channels else None
    )
    reference, target = _reference_target(opts)
    stage = f"mastering {path.name} to {profile.name}"
    progress(stage)
    result = master_source(
        source,
        profile,
        opts.settings,
        reference,
        target_lufs=target,
        progress=lambda step: progress(f"{stage}: {step}"),
        channel_weights=weights,
    )
    tags = Tags(title=opts.title or path.stem, artist=opts.artist, isrc=isrc)
    context = report_mod.ReportContext(
        tags, str(path), "one file", reference, opts.reference.name if opts.reference else ""
    )
    return deliver(
        result, profile, _goal(profile, profile_name, target, opts), paths, tags, context
    )


def _mix_file(project: Project, song: Song) -> Path:
    """The song's mix, rendered by the mix workflow (engine, the project's effects and media)
    as 32-bit float, once per render id (``renders/<render id>.wav``, reused when identical)."""
    rendered = mix_wf.render_by_id(
        project.root, song.slug, progress=progress_frames(f"mixing {song.slug}")
    )
    return Path(rendered.path)


def _render_mix(project: Project, song: Song) -> Audio:
    """:func:`_mix_file` read whole: float32 (2, frames) at the song's rate (album runs)."""
    return audio_io.read(_mix_file(project, song))[0]


def _silent(path: Path) -> bool:
    """Whether every sample of the file is zero (read in blocks)."""
    return not any(np.any(block) for block in audio_io.blocks(path))


def _check_approval(project: Project, song: Song, force: bool) -> str:
    """The render id of the song's current mix, refused (exit 2) when the album requires
    approvals (``album set --require-approval``) that this exact render lacks, unless
    ``force``. The studio's database is only opened when approvals are required."""
    rid = mix_wf.render_id(project, song)
    if project.album.require_approval and not force:
        from producer.workflows.studio.review import require_approvals

        require_approvals(project.root, song, rid)
    return rid


def _open(root: Path) -> Project:
    return Project.open(root)


def _song_index(project: Project, slug: str) -> int:
    slugs = [s.slug for s in project.songs()]
    if slug not in slugs:
        raise NotFoundError(f"no song {slug!r} in {project.root} (songs: {', '.join(slugs)})")
    return slugs.index(slug) + 1


def master_song(
    root: Path,
    slug: str,
    profile_name: str,
    out: Path | None = None,
    opts: MasterOptions = MasterOptions(),
    force: bool = False,
) -> list[Delivered]:
    """Render ``slug``'s mix and master it on its own to
    ``masters/<profile>/singles/NN-<slug><variant>.<ext>``.

    When the album requires approvals, only a mix whose render id they approved is mastered
    (``force`` masters the current mix anyway); each row names the ``render_id`` mastered."""
    profile = _profile(profile_name, opts)
    isrc = _check_isrc(opts.isrc)
    project = _open(root)
    n = _song_index(project, slug)
    song = project.song(slug)
    isrc = isrc or _song_isrc(song)  # --isrc overrides the song's own
    rid = _check_approval(project, song, force)
    folder = project.root / "masters" / profile.name / SINGLES_DIR
    paths = _outputs(folder, f"{n:02d}-{slug}{_variant(opts)}", profile, out)
    for p in paths:
        check_output(p, project.root, opts.reference)
    reference, target = _reference_target(opts)
    mix = _mix_file(project, song)
    if _silent(mix):
        raise UserError(f"song {slug!r}: its mix is silent, there is nothing to master")
    stage = f"mastering {slug} to {profile.name}"
    progress(stage)
    # Streamed from the rendered mix: bounded memory for a song of any length.
    result = master_source(
        FileSource(mix),
        profile,
        opts.settings,
        reference,
        target_lufs=target,
        progress=lambda step: progress(f"{stage}: {step}"),
    )
    album = project.album
    tags = Tags(
        song.title,
        album.artist,
        album.title,
        n,
        len(project.songs()),
        isrc,
        str(album.year) if album.year else "",
        composer=song.songwriter,
    )
    context = report_mod.ReportContext(
        tags,
        f"the mix of song {slug}",
        "this song mastered on its own",
        reference,
        opts.reference.name if opts.reference else "",
    )
    goal = _goal(profile, profile_name, target, opts)
    rows = deliver(result, profile, goal, paths, tags, context)
    return [replace(d, row={**d.row, "render_id": rid}) for d in rows]


def _stale(folder: Path, profile: DeliveryProfile, written: list[Path]) -> tuple[Path, ...]:
    """Numbered masters in ``folder`` that this run did not write (an earlier album order)."""
    if not folder.is_dir():
        return ()
    keep = {p.name for p in written}
    found = [
        p
        for p in folder.iterdir()
        if re.fullmatch(r"\d\d-.+", p.stem)
        and p.suffix.lstrip(".") in profile.formats
        and p.name not in keep
    ]
    return tuple(sorted(found))


def _roster_writers(project: Project) -> str:
    """The people of the office roster with a writer's role (none when the office is broken:
    a CD-Text credit is not worth refusing a master for)."""
    try:
        people = project.office.people.people
    except ValidationError:
        return ""
    return ", ".join(p.name for p in people if set(p.roles) & set(WRITER_ROLES))


def master_project_album(
    root: Path,
    profile_name: str,
    out: Path | None = None,
    opts: MasterOptions = MasterOptions(),
    force: bool = False,
) -> AlbumDelivery:
    """Master every song of the project to ``masters/<profile>/NN-<slug>.<ext>``; for ``cd``
    also ``album.wav`` + ``album.cue``. Required approvals are checked for every song before
    anything is rendered."""
    if opts.reference is not None:
        raise UserError("--reference matches one file or song; an album run does not take it")
    if out is not None and names_file(out):
        raise UserError(f"-o {out}: an album run writes a folder of masters; name a folder")
    profile = _profile(profile_name, opts)
    project = _open(root)
    songs = project.songs()
    if not songs:
        raise UserError(f"{project.root}: the album has no songs to master")
    for song in songs:
        _check_approval(project, song, force)
    album = project.album
    # CD-Text SONGWRITER: the song's own credit, else the roster's writers.
    album_songwriter = _roster_writers(project)
    isrcs = [_song_isrc(song) for song in songs]  # checked before the (long) rendering
    inputs = []
    for song, isrc in zip(songs, isrcs, strict=True):
        mix = _render_mix(project, song)
        if not np.any(mix):
            raise UserError(f"song {song.slug!r}: its mix is silent, there is nothing to master")
        inputs.append(
            album_mod.AlbumInput(
                mix,
                song.sample_rate,
                title=song.title,
                performer=album.artist,
                songwriter=song.songwriter or album_songwriter,
                isrc=isrc,
                # The song's own gap; else the album default (--gap).
                gap_before_s=opts.gap_s if song.gap_before_s is None else song.gap_before_s,
                crossfade_s=song.crossfade_s,  # used by the CD image only
                fade_in_s=opts.fade_in_s,
                fade_out_s=opts.fade_out_s,
            )
        )
    mode = opts.normalisation or profile.normalisation
    progress(f"mastering {len(songs)} songs to {profile.name} ({mode} normalisation)")
    results = album_mod.master_album(
        inputs,
        profile,
        opts.settings,
        opts.normalisation,
        progress=lambda title, done, total: progress(f"mastering {title}", done, total),
    )
    goals = verdict_mod.album_goals(results, [s.title for s in songs], profile, mode)
    folder = out if out is not None else project.root / "masters" / profile.name
    rows: list[Delivered] = []
    year = str(album.year) if album.year else ""
    image = None
    if profile.name == "cd":
        # Checked before any file is written: a disc the plant would reject is never delivered.
        image = album_mod.build_cd_image(
            [r.audio for r in results],
            inputs,
            catalog=album.upc,
            title=album.title,
            performer=album.artist,
        )
    run = f"album run of {len(songs)} songs, {mode}-normalised"
    written: list[Path] = []
    for n, (song, result, isrc, goal) in enumerate(
        zip(songs, results, isrcs, goals, strict=True), start=1
    ):
        paths = [folder / f"{n:02d}-{song.slug}.{ext}" for ext in profile.formats]
        for p in paths:
            check_output(p, project.root)
        written += paths
        tags = Tags(
            song.title, album.artist, album.title, n, len(songs), isrc, year, song.songwriter
        )
        context = report_mod.ReportContext(tags, f"the mix of song {song.slug}", run)
        rows.extend(deliver(result, profile, goal, paths, tags, context))
    image_path = cue = None
    image_replaced = bool(existing(folder / "album.wav", folder / "album.cue"))
    if image is not None:
        progress("writing the CD image and its CUE sheet")
        image_path = write_master(
            folder / "album.wav",
            image.audio,
            44100,
            "16",
            Tags(album.title, album.artist, album.title),
        )
        cue = folder / "album.cue"
        with atomic_output(cue) as tmp:
            tmp.write_text(write_cue(image.cue), encoding="utf-8")
    stale = _stale(folder, profile, written)
    return AlbumDelivery(rows, mode, image_path, cue, stale, image is not None and image_replaced)


__all__ = [
    "SINGLES_DIR",
    "AlbumDelivery",
    "Delivered",
    "MasterOptions",
    "chain_settings",
    "master_file",
    "master_project_album",
    "master_song",
    "profile_rows",
    "profiles",
]
