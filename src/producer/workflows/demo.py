"""The main job: ``producer demo [DIR]`` makes a whole demo album from nothing.

Stages: a project (artist, title) → three songs from the arrangements written for
producer (``producer.preproduction.arrangements``), with sections, MIDI parts and a default mix
(balances, high-pass/peak EQ, compression, a reverb bus fed by sends) → every part rendered
with the SoundFont into its ``rendered`` take → each song mixed by the engine → each mix
mastered to the ``streaming`` profile, and the album to the ``cd`` profile as one image with a
CUE sheet → a JSON and an HTML report per master (the mastering reports) and a summary
for the shell to print. The album gets an office too (``producer.workflows.demo_office``):
roster, past sessions with expenses, budget, a producer agreement, accepted split sheets.
"""

from __future__ import annotations

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
from producer.mastering.export import Loudness, Tags, write_master
from producer.mastering.profiles import get_profile
from producer.mastering.report import write_reports
from producer.model import Song
from producer.model import timing as tm
from producer.preproduction import arrangements
from producer.storage import Project
from producer.workflows.demo_office import WRITER, add_demo_office
from producer.workflows.parts import place_render, render_parts

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


def _prepare_folder(root: Path) -> None:
    """A second run replaces the demo album; never delete a folder that is not a project."""
    if root.exists():
        if not root.is_dir():
            raise UserError(f"{root}: is a file; choose a folder for the demo album")
        if any(root.iterdir()) and not (root / "album.json").is_file():
            raise UserError(
                f"{root}: holds files that are not a producer project; not replacing it"
            )
        shutil.rmtree(root)


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
    """Build the demo album in ``root`` (replacing an earlier demo there)."""
    t0 = time.perf_counter()
    tell = progress or (lambda _msg: None)

    said = threading.Lock()

    def say(msg: str) -> None:
        with said:
            tell(f"{time.perf_counter() - t0:5.1f}s  {msg}")

    root = Path(root)
    _prepare_folder(root)
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
    for profile, results in (("streaming", streaming), ("cd", cd_results)):
        folder = root / "masters" / profile
        folder.mkdir(parents=True, exist_ok=True)
        for i, (song, result) in enumerate(zip(final, results, strict=True), 1):
            path = folder / f"{i:02d}-{song.slug}.wav"
            write_master(
                path,
                result.audio,
                result.sample_rate,
                result.bit_depth,
                Tags(song.title, ARTIST, TITLE, i, len(final), year="2026"),
                Loudness(result.integrated_lufs, result.loudness_range_lu, result.true_peak_dbtp),
            )
            write_reports(result, get_profile(profile), path, f"song {song.slug} (demo mix)")
            lines.append(
                MasterLine(
                    song.title,
                    result.audio.shape[1] / result.sample_rate,
                    profile,
                    result.integrated_lufs,
                    result.true_peak_dbtp,
                    path,
                    result.passed,
                )
            )
    say("album: CD image and CUE sheet")
    cd_dir = root / "masters" / "cd"
    image = build_cd_image([r.audio for r in cd_results], cd_inputs, title=TITLE, performer=ARTIST)
    write_master(cd_dir / "album.wav", image.audio, 44100, "16", Tags(TITLE, ARTIST, TITLE))
    cue_path = cd_dir / "album.cue"
    with atomic_output(cue_path) as tmp:
        tmp.write_text(write_cue(image.cue), encoding="utf-8")
    return DemoResult(root, tuple(lines), tuple(mixes), cue_path, time.perf_counter() - t0)


__all__ = ["ARTIST", "TITLE", "DemoResult", "MasterLine", "run_demo"]
