"""Render a song: its mix and stems to files (``render``), into the caller's sinks
(``render_into``), and once per render id into ``renders/`` (``render_by_id``)."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from producer import __version__, cpus
from producer.engine import (
    BIT_DEPTHS,
    DEFAULT_BLOCK_FRAMES,
    FORMATS,
    CatalogEffects,
    FileSink,
    Progress,
    Sink,
    bus_id,
    compile_song,
    render_plan,
    track_id,
)
from producer.errors import NotFoundError, UserError, ValidationError
from producer.model import Bus, Song, Track
from producer.storage import Project, to_dict
from producer.units import gain_to_db
from producer.workflows.mix.media import ProjectMedia
from producer.workflows.outputs import check_output, existing
from producer.workflows.progress import frames as progress_frames

MIXES_DIR = "mixes"
"""Where `producer mix` writes a song's mix by default (``mixes/<slug>.<format>``), as the
demo does."""
RENDERS_DIR = "renders"
"""The cache of whole-song mixes by render id (``renders/<render id>.wav``): what the review
studio plays and `producer master` masters."""
RENDER_ID = re.compile(r"[0-9a-f]{64}")
"""A render id: 64 hex digits (a sha256), so no id names a path outside ``renders/``."""


def _check_media(project: Project, song: Song) -> Song:
    """Make the song's audio readable: render again the MIDI parts the cache lacks, then check
    every media file is there (NotFoundError naming the file). Returns the song to render
    (changed only if a part had to be replaced, see ``ensure_parts``)."""
    from producer.workflows.parts import ensure_parts

    song = ensure_parts(project, song)
    for t in song.tracks:
        for lane in t.lanes:
            for c in lane.clips:
                if not c.media.offline:  # offline media plays silence (ProjectMedia)
                    project.media_path(c.media)  # NotFoundError naming the file
    return song


# ---------------------------------------------------------------- render


@dataclass(frozen=True)
class Clipping:
    """An integer output that went over full scale: how many samples were clipped, the peak."""

    path: Path
    samples: int
    peak_dbfs: float
    stem: str = ""
    """The track or bus of a stem ("" for the mix)."""

    def advice(self, slug: str) -> str:
        """One line: what happened and what to do about it."""
        over = max(self.peak_dbfs, 0.0)
        what = f"stem of {self.stem}" if self.stem else "mix"
        if self.stem:
            fix = f"lower {self.stem}'s fader by at least {over:.1f} dB"
        else:
            fix = (
                f"lower the mix by at least {over:.1f} dB (track faders, or "
                f"master.gain_db automation), or add a limiter on the master: producer fx add "
                f"{slug} master limiter ceiling_db=-1 true_peak=true"
            )
        return (
            f"{self.path}: {self.samples} samples of the {what} were over full scale (peak "
            f"{self.peak_dbfs:+.1f} dBFS) and were clipped; {fix}, or render --bit-depth 32f"
        )


@dataclass(frozen=True)
class RenderSummary:
    path: Path
    stems: tuple[Path, ...]
    frames: int
    sample_rate: int
    peak_dbfs: float
    latency_frames: int
    tail_frames: int
    clipping: tuple[Clipping, ...] = ()
    """Integer outputs (the mix, stems) that clipped."""
    replaced: tuple[Path, ...] = ()
    """Outputs that replaced an existing file of the same name."""

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate

    @property
    def clipped_samples(self) -> int:
        """Clipped samples of the mix itself (stems not counted)."""
        return sum(c.samples for c in self.clipping if not c.stem)


def _frames(seconds: float | None, rate: int, what: str) -> int | None:
    if seconds is None:
        return None
    if not math.isfinite(seconds) or seconds < 0:
        raise ValidationError(f"{what}: {seconds} is not a time of 0 seconds or more")
    return round(seconds * rate)


def _safe_name(name: str) -> str:
    return re.sub(r"[^\w.+-]+", "_", name).strip("._") or "strip"


def render(
    root: Path,
    slug: str,
    output: Path | None = None,
    stems_dir: Path | None = None,
    file_format: str | None = None,
    bit_depth: str = "24",
    start_s: float | None = None,
    end_s: float | None = None,
    tail_s: float | None = None,
    progress: Progress | None = None,
    block_frames: int = DEFAULT_BLOCK_FRAMES,
    threads: int = 2,
) -> RenderSummary:
    """Render song ``slug`` to ``output`` (default ``mixes/<slug>.<format>``) and stems.

    Stems go to ``stems_dir`` as ``<track>.<ext>`` and ``bus-<bus>.<ext>``. Files appear
    under their names only when complete. ``file_format`` defaults to the output's extension
    (else wav); an extension that disagrees with it is refused rather than written wrongly.
    """
    file_format = _output_format(output, file_format)
    if file_format not in FORMATS:
        raise UserError(f"--format {file_format!r}: use one of {', '.join(FORMATS)}")
    if bit_depth not in BIT_DEPTHS:
        raise UserError(f"--bit-depth {bit_depth!r}: use one of {', '.join(BIT_DEPTHS)}")
    project = Project.open(root)
    song = project.song(slug)
    problems = project.song_problems(slug)
    if problems:  # what `validate` reports about the song, a render refuses
        raise ValidationError(problems[0], problems)
    rate = song.sample_rate
    start = _frames(start_s, rate, "--start") or 0
    end = _frames(end_s, rate, "--end")
    tail = _frames(tail_s, rate, "--tail")
    if end is not None and end <= start:
        raise ValidationError(f"--end {end_s} s is not after --start {start_s or 0} s")
    song = _check_media(project, song)
    threads = min(threads, cpus.available())  # a batch worker's share of the machine
    plan = compile_song(song, CatalogEffects(project.root), block_frames=block_frames)
    out = output if output is not None else project.root / MIXES_DIR / f"{slug}.{file_format}"
    check_output(out, project.root)
    stem_paths: dict[str, Path] = {}
    if stems_dir is not None:
        used: set[str] = set()

        def stem_path(stem: str) -> Path:
            # Names that differ only in characters a file name cannot hold get a number.
            name, k = stem, 1
            while name.lower() in used:
                k += 1
                name = f"{stem}-{k}"
            used.add(name.lower())
            return stems_dir / f"{name}.{file_format}"

        for t in song.tracks:
            stem_paths[track_id(t.name)] = stem_path(_safe_name(t.name))
        for b in song.buses:
            stem_paths[bus_id(b.name)] = stem_path(f"bus-{_safe_name(b.name)}")
        for p in stem_paths.values():
            check_output(p, project.root)
    replaced = existing(out, *stem_paths.values())
    sinks: dict[str, FileSink] = {}
    mix: FileSink | None = None
    source = ProjectMedia(project.root)
    try:
        mix = FileSink(out, rate, 2, file_format, bit_depth)
        for i, (sid, path) in enumerate(stem_paths.items(), start=1):
            sinks[sid] = FileSink(path, rate, 2, file_format, bit_depth, seed=i)
    except BaseException:
        for s in [*([mix] if mix else []), *sinks.values()]:
            s.abort()
        raise
    try:
        result = render_plan(
            plan,
            source,
            mix,
            sinks,
            start_frame=start,
            end_frame=end,
            tail_frames=tail,
            threads=threads,
            progress=progress or progress_frames(f"mixing {slug}"),
        )
    finally:
        source.close()
    assert mix is not None
    peak_dbfs = gain_to_db(result.peak)
    names = strip_names(song)
    clipping = tuple(
        Clipping(sink.path, sink.clipped_samples, gain_to_db(sink.peak), names.get(sid, ""))
        for sid, sink in [("", mix), *sinks.items()]
        if sink.clipped_samples
    )
    return RenderSummary(
        out,
        tuple(stem_paths.values()),
        result.frames,
        rate,
        peak_dbfs,
        result.latency_frames,
        result.tail_frames,
        clipping,
        replaced,
    )


# ---------------------------------------------------------------- render id

RENDER_ID_IGNORES = frozenset(
    {"title", "isrc", "songwriter", "gap_before_s", "crossfade_s", "markers", "approved_render_id"}
)
"""Song fields that do not change the mix's audio, left out of the render id: setting an
ISRC or a title (or the studio's approval itself) must not turn an approved mix into a new
one."""


def engine_version() -> str:
    """What turns a document into audio: producer's version and pedalboard's (JUCE units)."""
    from importlib.metadata import version

    return f"producer {__version__}; pedalboard {version('pedalboard')}"


def render_id(project: Project, song: Song) -> str:
    """The mix's identity: sha256 of the song document (less ``RENDER_ID_IGNORES``), the
    hashes of the media it plays and of the files its effects read, and the engine version.

    Two renders with the same id are the same audio; a review note or an approval that names
    it refers to exactly what was heard.
    """
    doc = {k: v for k, v in to_dict(song).items() if k not in RENDER_ID_IGNORES}
    media = sorted({(c.media.path, c.media.sha256) for t in song.tracks for c in t.all_clips()})
    files: dict[str, str] = {}
    strips: list[Track | Bus] = [*song.tracks, *song.buses, song.master]
    for strip in strips:
        for slot in strip.inserts:
            for name, value in slot.params.items():
                if name.endswith("_path") and isinstance(value, str) and value:
                    p = Path(value) if Path(value).is_absolute() else project.root / value
                    files[value] = (
                        hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "missing"
                    )
    payload = {"song": doc, "media": media, "files": files, "engine": engine_version()}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CachedRender:
    """The song's whole mix as 32-bit float WAV ``renders/<render_id>.wav``."""

    render_id: str
    path: Path
    reused: bool


def render_by_id(root: Path, slug: str, progress: Progress | None = None) -> CachedRender:
    """The song's current mix, rendered once per render id: an identical render is reused.

    The file is what the review studio plays and what ``producer master`` masters; it is
    written under a temporary name and renamed, so a present file is always complete.
    """
    project = Project.open(root)
    song = project.song(slug)
    rid = render_id(project, song)
    path = project.root / RENDERS_DIR / f"{rid}.wav"
    if path.is_file():
        return CachedRender(rid, path, True)
    render(root, slug, output=path, file_format="wav", bit_depth="32f", progress=progress)
    return CachedRender(rid, path, False)


def cached_render_path(root: Path, rid: str) -> Path:
    """``renders/<rid>.wav`` of a render id (NotFoundError when it is not a render id or the
    file is gone; a render id is 64 hex digits, so no id reaches outside ``renders/``)."""
    if not RENDER_ID.fullmatch(rid):
        raise NotFoundError(f"{rid!r} is not a render id")
    path = Path(root) / RENDERS_DIR / f"{rid}.wav"
    if not path.is_file():
        raise NotFoundError(f"render {rid[:12]}: its file renders/{rid}.wav is gone")
    return path


def _output_format(output: Path | None, file_format: str | None) -> str:
    ext = output.suffix.lower().lstrip(".") if output is not None else ""
    if file_format is None:
        if ext and ext not in FORMATS:
            raise UserError(
                f"{output}: a mix is written as {' or '.join(FORMATS)}; name the file .wav or .flac"
            )
        return ext or "wav"
    if ext and ext != file_format:
        raise UserError(f"{output}: the name says .{ext} but --format is {file_format}; pick one")
    return file_format


def render_into(
    root: Path,
    slug: str,
    sinks: Callable[[Sequence[str], int], tuple[Sink, Mapping[str, Sink]]],
    *,
    song: Song | None = None,
    progress: Progress | None = None,
    block_frames: int = DEFAULT_BLOCK_FRAMES,
    threads: int = 2,
) -> tuple[int, int]:
    """Render song ``slug`` (or ``song``, e.g. from a snapshot) into the caller's sinks in one
    engine pass: the mix, and each track's post-fader signal keyed by track name.

    ``sinks(track names, expected frames)`` makes them once the song is compiled (the names
    are the tracks that play; the frames the song's length without its tail). Returns (frames,
    sample rate). The sinks may analyse rather than write (workflows.analyze).
    """
    project = Project.open(root)
    the_song = song if song is not None else project.song(slug)
    problems = project.song_problems(slug) if song is None else []
    if problems:  # as `render`: what `validate` reports about the song is refused
        raise ValidationError(problems[0], problems)
    checked = _check_media(project, the_song)  # renders what the parts cache lacks
    if song is None:
        the_song = checked
    plan = compile_song(the_song, CatalogEffects(project.root), block_frames=block_frames)
    names = [t.name for t in the_song.tracks if track_id(t.name) in plan.strips]
    mix, stems = sinks(names, plan.end_frame)
    by_id = {track_id(name): sink for name, sink in stems.items()}
    source = ProjectMedia(project.root)
    try:
        result = render_plan(plan, source, mix, by_id, threads=threads, progress=progress)
    finally:
        source.close()
    return result.frames, the_song.sample_rate


def strip_names(song: Song) -> Mapping[str, str]:
    """Strip id → display name, for reports."""
    names = {track_id(t.name): t.name for t in song.tracks}
    names.update({bus_id(b.name): b.name for b in song.buses})
    return names
