"""The main job: ``producer demo [DIR]`` makes a whole demo album from nothing.

Stages: a project (artist, title) → three songs from the arrangements written for
producer (``producer.preproduction.arrangements``), with sections, MIDI parts and a default mix
(balances, high-pass/peak EQ, compression, a reverb bus fed by sends) → every part rendered
with the SoundFont into its ``rendered`` take → each song mixed by the engine → each mix
mastered to the ``streaming`` profile, and the album to the ``cd`` profile as one image with a
CUE sheet → a JSON and an HTML report per master (the mastering reports) and a summary
for the shell to print. The album gets an office too (``producer.workflows.demo_office``):
roster, past sessions with expenses, budget, a producer agreement, accepted split sheets.

The demo never replaces anything: it refuses a folder that holds a project (the user's edits
live there) or other files, and builds the album beside it in a hidden ``.NAME.<pid>.partial``
folder that is renamed into place only when complete — an interrupted demo leaves no
half-built project under the name (and the next run sweeps the partial folder away).
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from producer import audio
from producer.engine import ArraySource, FileSink, render_song
from producer.errors import UserError
from producer.fileio import atomic_output
from producer.mastering.album import AlbumInput, apply_fades, build_cd_image, master_album
from producer.mastering.chain import MasterResult, master
from producer.mastering.cue import write_cue
from producer.mastering.export import Tags, write_master
from producer.mastering.profiles import get_profile
from producer.mastering.report import ReportContext
from producer.mastering.verdict import album_goals
from producer.model import Song
from producer.model import timing as tm
from producer.preproduction import arrangements
from producer.storage import Project
from producer.workflows.demo_office import WRITER, add_demo_office
from producer.workflows.master import deliver
from producer.workflows.parts import place_render, render_parts
from producer.workflows.progress import current as current_progress

DEMO_STEPS = 13
"""Stages the demo reports (3 renders, the office, 3 mixes, 4 masters, writing, the image): its progress."""

TAIL_S = 3.0
"""Seconds of each mix after its last bar; the masters fade out over the last ``FADE_OUT_S``."""
FADE_OUT_S = 2.5

ARTIST = "The Producers"
TITLE = "First Light (demo)"


@dataclass(frozen=True)
class MasterLine:
    """One row of the summary: a delivered file and its measured figures."""

    song: str
    length_s: float
    profile: str
    integrated_lufs: float
    true_peak_dbtp: float
    path: Path
    passed: bool


@dataclass(frozen=True)
class DemoResult:
    root: Path
    lines: tuple[MasterLine, ...]
    mixes: tuple[Path, ...]
    cue: Path | None
    seconds: float
    notes: tuple[str, ...] = ()
    """What the figures need to be read right (the CD's album normalisation)."""


_PARTIAL_RE = re.compile(r"\.(.+)\.(\d+)\.partial")


def _check_folder(root: Path) -> None:
    """Refuse any folder that holds something: a command never deletes a project."""
    if not root.exists():
        return
    if not root.is_dir():
        raise UserError(f"{root}: is a file; choose a folder for the demo album")
    if (root / "album.json").is_file():
        raise UserError(
            f"{root}: is a producer project already (kept as it is, with your edits); to start "
            f"over remove it first (rm -rf {root}), or make a new demo beside it: "
            f"producer demo {root.name}-2"
        )
    if any(root.iterdir()):
        raise UserError(f"{root}: holds files that are not a producer project; not replacing it")


def _sweep_partials(root: Path) -> None:
    """Remove half-built demos of this name whose process is gone (killed runs)."""
    if not root.parent.is_dir():
        return
    for p in root.parent.iterdir():
        m = _PARTIAL_RE.fullmatch(p.name)
        if m is None or m.group(1) != root.name or not p.is_dir():
            continue
        try:
            os.kill(int(m.group(2)), 0)
        except ProcessLookupError:
            shutil.rmtree(p, ignore_errors=True)
        except (PermissionError, OverflowError):
            continue


def _mix(project: Project, song: Song, out: Path) -> Path:
    """Render the song's mix with the engine (float WAV, effect tails included)."""
    arrays = {}
    for t in song.tracks:
        for c in t.all_clips():
            if c.media.path not in arrays:
                arrays[c.media.path] = audio.read(project.media_path(c.media))[0]
    # The song ends with its last section, plus a tail for releases and the reverb (the engine's
    # own tail runs to -120 dBFS, which a long reverb reaches only after many seconds).
    end = tm.bar_to_frame(song, max(s.end_bar for s in song.sections))
    render_song(
        song,
        ArraySource(arrays),
        FileSink(out, song.sample_rate, 2, "wav", "32f"),
        end_frame=end,
        tail_frames=round(TAIL_S * song.sample_rate),
    )
    return out


def run_demo(
    root: Path,
    soundfont: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoResult:
    """Build the demo album in ``root``, which must not exist yet (or be an empty folder)."""
    root = Path(root)
    if not root.name:  # "." or "/": name the folder itself
        root = root.resolve()
    _check_folder(root)
    _sweep_partials(root)
    building = root.with_name(f".{root.name}.{os.getpid()}.partial")
    shutil.rmtree(building, ignore_errors=True)
    try:
        result = _build(building, root, soundfont, progress)
        _check_folder(root)  # nobody made it meanwhile
        if root.is_dir():
            root.rmdir()  # an empty folder the user made for it
        os.replace(building, root)
    finally:
        if building.exists():
            shutil.rmtree(building, ignore_errors=True)
    return result


def _build(
    root: Path,
    destination: Path,
    soundfont: str | Path | None,
    progress: Callable[[str], None] | None,
) -> DemoResult:
    """Make the album in ``root``; the paths in the result name ``destination``."""
    t0 = time.perf_counter()
    tell = progress or (lambda _msg: None)

    said = threading.Lock()

    steps = iter(range(100))
    shown = current_progress()  # the pool's threads do not inherit it

    def say(msg: str) -> None:
        with said:
            tell(f"{time.perf_counter() - t0:5.1f}s  {msg}")
            shown(msg, next(steps), DEMO_STEPS)

    project = Project.create(root, TITLE, ARTIST)
    with project.transaction("demo: album year") as tx:
        tx.put_album(replace(tx.album, year=2026))
    songs = arrangements.demo_songs()
    for i, song in enumerate(songs, 1):
        song = replace(song, sample_rate=project.album.sample_rate)
        say(f"[{i}/3] {song.title}: arranging and rendering {len(song.tracks)} parts")
        renders = render_parts(project, song, [t.name for t in song.tracks], soundfont)
        with project.transaction(f"demo: {song.title}") as tx:
            for name, part in renders.items():
                song = place_render(song, name, part)
            tx.put_song(song)
    say("the office: roster, sessions, budget, contract, split sheets")
    add_demo_office(project)
    mixes: list[Path] = []
    mix_audio: list[np.ndarray] = []
    for i, song in enumerate(project.songs(), 1):
        say(f"[{i}/3] {song.title}: mixing")
        path = _mix(project, song, root / "mixes" / f"{song.slug}.wav")
        mixes.append(path)
        mixed = audio.read(path)[0]
        mix_audio.append(apply_fades(mixed, song.sample_rate, 0.0, FADE_OUT_S))

    rate = project.album.sample_rate
    final = project.songs()
    cd_inputs = [
        AlbumInput(m, rate, title=s.title, performer=ARTIST, songwriter=WRITER)
        for s, m in zip(final, mix_audio, strict=True)
    ]

    def streaming_master(i: int) -> MasterResult:
        say(f"[{i + 1}/3] {final[i].title}: mastering (streaming)")
        return master(mix_audio[i], rate, get_profile("streaming"))

    def cd_master() -> list[MasterResult]:
        say("album: mastering the CD (album normalisation)")
        return master_album(cd_inputs, get_profile("cd"))

    # The masters are independent: two at a time on two cores (the heavy parts, pedalboard's
    # limiter, soxr and numpy, release the GIL). The album job is the longest: it goes first.
    with ThreadPoolExecutor(max_workers=2) as pool:
        album_job = pool.submit(cd_master)
        streaming_jobs = [pool.submit(streaming_master, i) for i in range(len(final))]
        streaming = [job.result() for job in streaming_jobs]
        cd_results = album_job.result()

    say("writing the masters and their reports")
    lines: list[MasterLine] = []
    titles = [song.title for song in final]
    cd = get_profile("cd")
    for profile, results, goals, run in (
        (
            get_profile("streaming"),
            streaming,
            album_goals(streaming, titles, get_profile("streaming"), "track"),
            "demo album, each song on the streaming target",
        ),
        (
            cd,
            cd_results,
            album_goals(cd_results, titles, cd, "album"),
            "demo album, album-normalised",
        ),
    ):
        folder = root / "masters" / profile.name
        for i, (song, result, goal) in enumerate(zip(final, results, goals, strict=True), 1):
            path = folder / f"{i:02d}-{song.slug}.wav"
            tags = Tags(song.title, ARTIST, TITLE, i, len(final), year="2026", composer=WRITER)
            context = ReportContext(tags, f"the mix of song {song.slug} (demo)", run)
            (delivered,) = deliver(result, profile, goal, [path], tags, context)
            lines.append(
                MasterLine(
                    song.title,
                    result.audio.shape[1] / result.sample_rate,
                    profile.name,
                    result.integrated_lufs,
                    result.true_peak_dbtp,
                    destination / path.relative_to(root),
                    delivered.passed,
                )
            )
    say("album: CD image and CUE sheet")
    cd_dir = root / "masters" / "cd"
    image = build_cd_image([r.audio for r in cd_results], cd_inputs, title=TITLE, performer=ARTIST)
    write_master(cd_dir / "album.wav", image.audio, 44100, "16", Tags(TITLE, ARTIST, TITLE))
    with atomic_output(cd_dir / "album.cue") as tmp:
        tmp.write_text(write_cue(image.cue), encoding="utf-8")
    final_mixes = tuple(destination / m.relative_to(root) for m in mixes)
    cue_path = destination / "masters" / "cd" / "album.cue"
    goal = album_goals(cd_results, titles, cd, "album")[0]
    note = (
        f"cd: album-normalised, one gain ({goal.album_gain_db:+.2f} dB) for every song: "
        f"{goal.loudest_song} at {goal.target_lufs:.1f} LUFS, the others keep their differences"
    )
    say("studio: publishing a version of each song, with comments, for review")
    publish_for_review(root)
    return DemoResult(
        destination, tuple(lines), final_mixes, cue_path, time.perf_counter() - t0, (note,)
    )


DEMO_NOTES = (
    ("artist", 1, "Love this pad here, keep it exactly like that", False),
    ("engineer", 2, "Bass feels a touch heavy from here, I'd take 1 dB off", True),
    ("artist", 3, "Could the drums open up a little more at this point?", False),
)
"""(role, section index, text, answered by the producer) of the demo's review comments."""


def publish_for_review(root: Path) -> None:
    """The review studio of the demo album: version 1 of each song (the mix, rendered by its
    render id), a couple of comments at the starts of sections, a reply, one resolved note and
    the artist's approval of the first song — so `producer -C demo-album serve` shows a
    living studio (after `producer user add`, see the README)."""
    from producer.model.studio import Principal
    from producer.workflows.studio import open_studio, review

    artist = Principal(None, "Ada Lindqvist", "artist", email="ada@demo.example")
    producer = Principal(None, "Ben Okafor", "producer", email="ben@demo.example")
    engineer = Principal(None, "Chloé Martin", "engineer", email="chloe@demo.example")
    who = {"artist": artist, "engineer": engineer}
    studio = open_studio(root)
    try:
        for i, song in enumerate(Project.open(root).songs()):
            version = review.publish(studio, engineer, song.slug, "first mix for review")
            for k, (role, section, text, answered) in enumerate(DEMO_NOTES):
                if (i + k) % 3 == 2:  # two notes per song, a different pair each time
                    continue
                sec = song.sections[min(section, len(song.sections) - 1)]
                at = tm.bar_to_frame(song, sec.start_bar) / song.sample_rate + 0.5
                c = review.add_comment(studio, who[role], version.id, at, text)
                if answered:
                    review.add_comment(
                        studio, producer, version.id, at, "Agreed, let's try it", parent_id=c.id
                    )
                    review.set_resolved(studio, engineer, c.id, True)
            if i == 0:
                review.approve(studio, artist, version.id)
    finally:
        studio.close()


__all__ = [
    "ARTIST",
    "TITLE",
    "DemoResult",
    "MasterLine",
    "publish_for_review",
    "run_demo",
]
