"""Use cases of the mix: render a song (mix and stems), buses, sends, inserts, automation.

The engine never opens project files; ``ProjectMedia`` is the ``MediaSource`` this workflow
hands it: soundfile reading the project's media folder in blocks, with the open files cached
(one lock per file, since tracks run on a thread pool and may share a file).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import soundfile as sf

from producer import __version__, cpus
from producer.audio import Audio, pcm24_data_offset
from producer.dsp import catalog
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
from producer.errors import FormatError, NotFoundError, UserError, ValidationError
from producer.model import (
    MASTER,
    AutomationLane,
    AutomationPoint,
    Bus,
    EffectSlot,
    MediaRef,
    ParamValue,
    Send,
    Song,
    Track,
    ranges,
    validate_song,
)
from producer.model import edit as ed
from producer.storage import Project, to_dict
from producer.units import gain_to_db
from producer.workflows.inspection import refuse_new_problems
from producer.workflows.outputs import check_output, existing
from producer.workflows.progress import frames as progress_frames

# ---------------------------------------------------------------- media


#: Scale of a left-justified 24-bit sample held in an int32: exactly 2^−31.
_INT32_SCALE = 1.0 / 2147483648.0


@dataclass
class _Media:
    file: sf.SoundFile
    lock: threading.Lock
    is_float: bool
    """Integer PCM cannot hold NaN/Inf: only float files need the finiteness check."""
    wav24: int | None
    """The sample data's offset in a 24-bit WAV file (read without libsndfile), or None."""
    fd: int = -1


class ProjectMedia:
    """A ``MediaSource`` over the media files under ``root`` (soundfile, blocks, cached handles).

    24-bit WAV, the usual recording format, is decoded here rather than by libsndfile, whose
    per-sample conversion costs 3.6 ns a sample (a tenth of a mix's CPU): the block's bytes
    in one ``pread``, then one numpy pass puts each 3-byte sample into the top of an int32 —
    the same float values after the scale (x·2^8·2^−31 = x/2^23, exact), 3.5x faster.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._files: dict[str, _Media] = {}
        self._guard = threading.Lock()
        self._local = threading.local()  # read_raw's buffers, per thread

    def _open(self, path: str) -> _Media:
        with self._guard:
            entry = self._files.get(path)
            if entry is None:
                p = self.root / path
                if not p.is_file():
                    raise NotFoundError(f"{path}: missing media file in {self.root}")
                try:
                    f = sf.SoundFile(str(p))
                except Exception as exc:
                    raise FormatError(f"{path}: not a readable audio file ({exc})") from None
                wav24 = None
                if (
                    f.format in ("WAV", "WAVEX")
                    and f.subtype == "PCM_24"
                    and sys.byteorder == "little"
                ):
                    wav24 = pcm24_data_offset(p, f.channels, f.frames)
                entry = _Media(f, threading.Lock(), f.subtype in ("FLOAT", "DOUBLE"), wav24)
                if wav24 is not None:
                    entry.fd = os.open(p, os.O_RDONLY)
                self._files[path] = entry
            return entry

    def _buffer(self, name: str, shape: tuple[int, ...], dtype: type[np.generic]) -> Any:
        """A buffer of this thread, reused while shape and type match (mono and stereo files
        and a song's last short block keep one each)."""
        bufs: dict[tuple[str, tuple[int, ...]], Any] | None = getattr(self._local, "bufs", None)
        if bufs is None or len(bufs) > 16:
            bufs = self._local.bufs = {}
        buf = bufs.get((name, shape))
        if buf is None:
            buf = bufs[(name, shape)] = np.empty(shape, dtype=dtype)
        return buf

    def _read24(self, m: _Media, start_frame: int, frames: int) -> npt.NDArray[np.int32]:
        """Frames of a 24-bit WAV as int32 (frames, channels), left-justified (x·2^8)."""
        assert m.wav24 is not None
        ch = m.file.channels
        align = 3 * ch
        n = max(0, min(frames, m.file.frames - start_frame))
        # One byte in front: the int32 read at byte 3i−1 holds sample i in its top three bytes.
        raw = self._buffer("bytes", (frames * align + 1,), np.uint8)
        got = os.preadv(m.fd, [memoryview(raw)[1 : 1 + n * align]], m.wav24 + start_frame * align)
        if got != n * align:
            raise FormatError(f"{m.file.name}: the file ended early (truncated?)")
        out: npt.NDArray[np.int32] = self._buffer("int32", (frames, ch), np.int32)
        samples = np.ndarray((n * ch,), dtype="<i4", buffer=raw, strides=(3,))
        np.bitwise_and(samples, -256, out=out.reshape(-1)[: n * ch])
        out[n:] = 0
        return out

    def read(self, ref: MediaRef, start_frame: int, frames: int) -> Audio:
        """audio : ndarray [shape=(channels, frames)], zero-padded past the end of the file.

        Offline media (``MediaRef.offline``: a session imported without its audio) is silence.
        """
        if ref.offline:
            return np.zeros((ref.channels, frames), dtype=np.float32)
        path = ref.path
        m = self._open(path)
        if m.wav24 is not None:
            raw = self._read24(m, start_frame, frames)
            return np.multiply(raw, np.float32(_INT32_SCALE), dtype=np.float32).T
        with m.lock:
            m.file.seek(start_frame)
            data = m.file.read(frames, dtype="float32", always_2d=True)
        # The transposed view keeps libsndfile's interleaved layout (no copy): the engine's
        # elementwise numpy operations follow the memory order, and the mix reaches the output
        # file interleaved again.
        out: Audio = data.T
        if m.is_float and not np.isfinite(out).all():
            raise FormatError(f"{path}: contains NaN or Inf samples")
        if out.shape[1] < frames:
            out = np.pad(out, ((0, 0), (0, frames - out.shape[1])))
        return out

    def read_raw(
        self, ref: MediaRef, start_frame: int, frames: int
    ) -> tuple[npt.NDArray[np.int16] | npt.NDArray[np.int32] | Audio, float]:
        """(samples [shape=(frames, channels)], scale): see ``RawMediaSource.read_raw``.

        16-bit PCM comes as libsndfile's int16 samples, 24-bit WAV as left-justified int32
        (``_read24``), both in buffers reused per thread (no conversion pass, no allocation;
        the engine converts while it applies the gain); other formats as ``read`` gives them,
        with scale 1.
        """
        if ref.offline:
            return self.read(ref, start_frame, frames).T, 1.0
        m = self._open(ref.path)
        if m.wav24 is not None:
            return self._read24(m, start_frame, frames), _INT32_SCALE
        f = m.file
        if f.subtype != "PCM_16":
            return self.read(ref, start_frame, frames).T, 1.0
        buf = self._buffer("int16", (frames, f.channels), np.int16)
        with m.lock:
            f.seek(start_frame)
            got = f.read(frames, dtype="int16", out=buf).shape[0]
        if got < frames:
            buf[got:] = 0
        return buf, 1.0 / 32768.0

    def close(self) -> None:
        for m in self._files.values():
            m.file.close()
            if m.fd >= 0:
                os.close(m.fd)
        self._files.clear()


MIXES_DIR = "mixes"
"""Where `producer mix` writes a song's mix by default (``mixes/<slug>.<format>``), as the
demo does."""


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
    path = project.root / "renders" / f"{rid}.wav"
    if path.is_file():
        return CachedRender(rid, path, True)
    render(root, slug, output=path, file_format="wav", bit_depth="32f", progress=progress)
    return CachedRender(rid, path, False)


def cached_render_path(root: Path, rid: str) -> Path:
    """``renders/<rid>.wav`` of a render id (NotFoundError when it is not a render id or the
    file is gone; a render id is 64 hex digits, so no id reaches outside ``renders/``)."""
    if not re.fullmatch(r"[0-9a-f]{64}", rid):
        raise NotFoundError(f"{rid!r} is not a render id")
    path = Path(root) / "renders" / f"{rid}.wav"
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


# ---------------------------------------------------------------- buses and sends


def bus_add(root: Path, slug: str, name: str, output: str = MASTER) -> None:
    project = Project.open(root)
    with project.transaction(f"add bus {name}") as tx:
        song = tx.song(slug)
        if not name.strip():
            raise ValidationError("bus name: is empty")
        if song.track(name) is not None:
            raise ValidationError(f"song {slug!r}: {name!r} is a track's name")
        ed.get_bus(song, output)
        tx.put_song(ed.add_bus(song, Bus(name=name, output=output)))


def send_add(
    root: Path, slug: str, strip: str, bus: str, level_db: float = 0.0, pre_fader: bool = False
) -> None:
    """Add (or replace) a send from track or bus ``strip`` to ``bus``."""
    ranges.check_gain_db(level_db, "--level-db")
    project = Project.open(root)
    with project.transaction(f"send {strip} to {bus}") as tx:
        song = tx.song(slug)
        if bus == MASTER:
            raise ValidationError("a send goes to a bus; the master is every strip's output")
        _strip(song, strip)
        new = ed.add_send(song, strip, Send(bus=bus, level_db=level_db, pre_fader=pre_fader))
        _check_routing(new)
        refuse_new_problems(project.root, song, new)  # e.g. a loop through a sidechain key
        tx.put_song(new)


def _check_routing(song: Song) -> None:
    problems = [p for p in validate_song(song) if "cycle" in p]
    if problems:
        raise ValidationError(problems[0], problems)


# ---------------------------------------------------------------- inserts


def _strip(song: Song, name: str) -> Track | Bus:
    """The track, bus or master called ``name`` (tracks first)."""
    t = song.track(name)
    if t is not None:
        return t
    b = song.bus(name)
    if b is not None:
        return b
    known = ", ".join([*(t.name for t in song.tracks), *(b.name for b in song.buses), MASTER])
    raise NotFoundError(f"song {song.slug!r}: no track or bus {name!r} (strips: {known})")


def _put_strip(song: Song, old: Track | Bus, **changes: object) -> Song:
    if isinstance(old, Track):
        return ed.replace_track(song, replace(old, **changes))  # type: ignore[arg-type]
    return ed.update_bus(song, old.name, **changes)


def parse_params(kind: str, pairs: Sequence[str]) -> dict[str, ParamValue]:
    """``["threshold_db=-18", "ratio=4"]`` → typed values; UserError naming the bad item."""
    params: dict[str, ParamValue] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            raise UserError(f"{pair!r}: write parameters as name=value")
        params[name.strip()] = catalog.parse_value(kind, name.strip(), text.strip())
    problems = catalog.check_params(kind, params)
    if problems:
        raise ValidationError(problems[0], problems)
    return params


def _slot_index(strip: Track | Bus, which: str) -> int:
    """0-based index of the insert named by a 1-based number or a kind (or slot name)."""
    inserts = strip.inserts
    if which.isdigit():
        n = int(which)
        if not 1 <= n <= len(inserts):
            raise NotFoundError(f"{strip.name}: no insert {n} (it has {len(inserts)})")
        return n - 1
    hits = [i for i, s in enumerate(inserts) if which in (s.kind, s.name)]
    if not hits:
        listed = ", ".join(f"{i}:{s.kind}" for i, s in enumerate(inserts, 1)) or "none"
        raise NotFoundError(f"{strip.name}: no insert {which!r} (inserts: {listed})")
    if len(hits) > 1:
        raise UserError(f"{strip.name}: {len(hits)} inserts are {which!r}; give its number")
    return hits[0]


def fx_add(
    root: Path, slug: str, strip_name: str, kind: str, pairs: Sequence[str], sidechain: str = ""
) -> int:
    """Append an insert; returns its 1-based position."""
    if kind not in catalog.KINDS:
        raise NotFoundError(f"unknown effect kind {kind!r} (kinds: {', '.join(catalog.KINDS)})")
    params = parse_params(kind, pairs)
    project = Project.open(root)
    with project.transaction(f"fx add {kind} on {strip_name}") as tx:
        song = tx.song(slug)
        strip = _strip(song, strip_name)
        if sidechain:
            if not catalog.KINDS[kind].accepts_sidechain:
                raise UserError(f"{kind}: takes no sidechain input")
            _strip(song, sidechain)
        slot = EffectSlot(kind=kind, params=params, sidechain=sidechain)
        after = _put_strip(song, strip, inserts=(*strip.inserts, slot))
        refuse_new_problems(project.root, song, after)  # e.g. an impulse response not there
        tx.put_song(after)
        return len(strip.inserts) + 1


def fx_set(root: Path, slug: str, strip_name: str, which: str, pairs: Sequence[str]) -> None:
    project = Project.open(root)
    with project.transaction(f"fx set {which} on {strip_name}") as tx:
        song = tx.song(slug)
        strip = _strip(song, strip_name)
        i = _slot_index(strip, which)
        slot = strip.inserts[i]
        given = parse_params(slot.kind, pairs)
        for name in given:
            target = f"fx.{i + 1}.{name}"
            if any(lane.target == target and lane.points for lane in strip.automation):
                # The lane sets this parameter while it exists: a fixed value would be dead.
                raise ValidationError(
                    f"{strip.name}.{target} is automated: a fixed {slot.kind}.{name} would "
                    f"have no effect; change the lane (producer automate {slug} "
                    f"{strip.name}.{target} --points ...) or remove it (... --clear)"
                )
        params = {**slot.params, **given}
        inserts = list(strip.inserts)
        inserts[i] = replace(slot, params=params)
        after = _put_strip(song, strip, inserts=tuple(inserts))
        refuse_new_problems(project.root, song, after)
        tx.put_song(after)


def fx_remove(root: Path, slug: str, strip_name: str, which: str) -> None:
    project = Project.open(root)
    with project.transaction(f"fx remove {which} on {strip_name}") as tx:
        song = tx.song(slug)
        strip = _strip(song, strip_name)
        i = _slot_index(strip, which)
        prefix = f"fx.{i + 1}."
        if any(lane.target.startswith(prefix) for lane in strip.automation):
            raise UserError(f"{strip.name}: insert {i + 1} is automated; remove its lanes first")
        inserts = strip.inserts[:i] + strip.inserts[i + 1 :]
        # Lanes of the inserts after it follow them: fx.3.x becomes fx.2.x.
        lanes = tuple(_renumbered(lane, i + 1) for lane in strip.automation)
        tx.put_song(_put_strip(song, strip, inserts=inserts, automation=lanes))


def _renumbered(lane: AutomationLane, removed: int) -> AutomationLane:
    """``lane`` after insert ``removed`` (1-based) was taken out of the chain."""
    parts = lane.target.split(".")
    if len(parts) == 3 and parts[0] == "fx" and parts[1].isdigit() and int(parts[1]) > removed:
        return replace(lane, target=f"fx.{int(parts[1]) - 1}.{parts[2]}")
    return lane


def fx_bypass(root: Path, slug: str, strip_name: str, which: str, bypass: bool = True) -> None:
    project = Project.open(root)
    with project.transaction(f"fx bypass {which} on {strip_name}") as tx:
        song = tx.song(slug)
        strip = _strip(song, strip_name)
        i = _slot_index(strip, which)
        inserts = list(strip.inserts)
        inserts[i] = replace(inserts[i], bypass=bypass)
        after = _put_strip(song, strip, inserts=tuple(inserts))
        refuse_new_problems(project.root, song, after)
        tx.put_song(after)


def fx_kinds() -> list[catalog.EffectSpec]:
    """Every effect kind with its parameters, units and ranges."""
    return list(catalog.KINDS.values())


# ---------------------------------------------------------------- automation


def parse_points(text: str, rate: int) -> tuple[AutomationPoint, ...]:
    """``"0:-20,2:0"`` (seconds:value, comma-separated) → points at frames of ``rate``."""
    points = []
    for item in text.split(","):
        t, sep, v = item.strip().partition(":")
        try:
            seconds, value = float(t), float(v)
        except ValueError:
            seconds = value = math.nan
        if not sep or not math.isfinite(seconds) or not math.isfinite(value) or seconds < 0:
            raise UserError(f"--points: {item.strip()!r} is not seconds:value (like 2.5:-6)")
        points.append(AutomationPoint(round(seconds * rate), value))
    frames = [p.frame for p in points]
    if frames != sorted(frames):
        raise UserError("--points: times must not go backwards")
    return tuple(points)


def _split_target(song: Song, target: str) -> tuple[Track | Bus, str]:
    """``"Vox.fx.1.threshold_db"`` → (the strip Vox, ``"fx.1.threshold_db"``)."""
    names = [t.name for t in song.tracks] + [b.name for b in song.buses] + [MASTER]
    for name in sorted(names, key=len, reverse=True):  # longest first: names may hold dots
        if target.startswith(name + "."):
            return _strip(song, name), target[len(name) + 1 :]
    raise NotFoundError(
        f"automation target {target!r}: starts with no track or bus (strips: {', '.join(names)})"
    )


def _check_lane(strip: Track | Bus, param: str, points: tuple[AutomationPoint, ...]) -> None:
    parts = param.split(".")
    where = f"{strip.name}.{param}"
    values = [p.value for p in points]
    if param == "gain_db" or (len(parts) == 3 and parts[0] == "sends" and parts[2] == "level_db"):
        for v in values:
            ranges.check_gain_db(v, f"{where} --points")
    if param == "gain_db":
        return
    if param == "mute":
        if any(v not in (0.0, 1.0) for v in values):
            raise ValidationError(f"{where}: values must be 0 (playing) or 1 (muted)")
        return
    if param == "pan":
        if any(not -1.0 <= v <= 1.0 for v in values):
            raise ValidationError(f"{where}: values must lie in -1..+1")
        return
    if len(parts) == 3 and parts[0] == "sends" and parts[2] == "level_db":
        if not any(s.bus == parts[1] for s in strip.sends):
            raise NotFoundError(f"{where}: {strip.name} has no send to {parts[1]!r}")
        return
    if len(parts) == 3 and parts[0] == "fx" and parts[1].isdigit():
        n = int(parts[1])
        if not 1 <= n <= len(strip.inserts):
            raise NotFoundError(f"{where}: {strip.name} has {len(strip.inserts)} insert(s)")
        kind = strip.inserts[n - 1].kind
        spec = catalog.KINDS.get(kind)
        p = spec.params.get(parts[2]) if spec else None
        if spec is None or p is None:
            valid = ", ".join(spec.params) if spec else "none"
            raise NotFoundError(f"{where}: {kind} has no parameter {parts[2]!r} (valid: {valid})")
        if not p.automatable:
            raise ValidationError(f"{where}: {kind}.{parts[2]} cannot be automated")
        for v in values:
            problems = catalog.check_params(kind, {parts[2]: v})
            if problems:
                raise ValidationError(f"{where}: {problems[0]}", problems)
        return
    raise ValidationError(
        f"automation target {where!r}: use gain_db, pan, mute, sends.<bus>.level_db or "
        "fx.<n>.<param>"
    )


@dataclass(frozen=True)
class Automated:
    """What ``automate`` did: the lane's points, and what it does to the fixed value."""

    target: str
    points: int
    note: str
    """How the lane and the strip's fixed value combine ("" when there is nothing to say)."""


def _lane_note(strip: Track | Bus, param: str, lane: AutomationLane | None) -> str:
    """How a lane of ``param`` and the fixed value combine, in words (for the shells)."""
    if lane is None:
        return ""
    values = [p.value for p in lane.points]
    lo, hi = min(values), max(values)
    parts = param.split(".")
    if param == "gain_db":
        g = strip.gain_db
        return f"the fader ({g:+.1f} dB) trims it: {lo + g:+.1f} .. {hi + g:+.1f} dB in the mix"
    if len(parts) == 3 and parts[0] == "sends":
        send = next((x for x in strip.sends if x.bus == parts[1]), None)
        level = send.level_db if send else 0.0
        return (
            f"the send level ({level:+.1f} dB) trims it: {lo + level:+.1f} .. "
            f"{hi + level:+.1f} dB in the mix"
        )
    if param == "pan":
        return f"it replaces the fixed pan ({strip.pan:+.2f}) while it exists"
    if param == "mute":
        return "the fixed mute, when on, silences the strip whatever the lane says"
    if len(parts) == 3 and parts[0] == "fx":
        slot = strip.inserts[int(parts[1]) - 1]
        fixed = slot.params.get(parts[2])
        if fixed is None:
            spec = catalog.KINDS.get(slot.kind)
            fixed = spec.params[parts[2]].default if spec and parts[2] in spec.params else "?"
        return f"it replaces the fixed {slot.kind}.{parts[2]} ({fixed}) while it exists"
    return ""


def automate(
    root: Path, slug: str, target: str, points_text: str | None, clear: bool = False
) -> Automated:
    """Set the automation lane ``target`` (``Vox.gain_db``) to the points, or remove it
    (``clear``). The fader and send levels trim their lanes; a pan or effect-parameter lane
    replaces the fixed value while it exists (the result's ``note`` says which)."""
    if clear == (points_text is not None):
        raise UserError("automate: give --points or --clear (not both)")
    project = Project.open(root)
    with project.transaction(f"{'clear' if clear else 'automate'} {target}") as tx:
        song = tx.song(slug)
        strip, param = _split_target(song, target)
        lanes = tuple(lane for lane in strip.automation if lane.target != param)
        if clear:
            if len(lanes) == len(strip.automation):
                listed = ", ".join(f"{strip.name}.{lane.target}" for lane in strip.automation)
                raise NotFoundError(f"{target}: no automation lane (lanes: {listed or 'none'})")
            tx.put_song(_put_strip(song, strip, automation=lanes))
            return Automated(target, 0, "")
        assert points_text is not None
        points = parse_points(points_text, song.sample_rate)
        _check_lane(strip, param, points)
        new = AutomationLane(target=param, points=points)
        after = _put_strip(song, strip, automation=(*lanes, new))
        refuse_new_problems(project.root, song, after)
        tx.put_song(after)
        return Automated(target, len(points), _lane_note(strip, param, new))


def strip_names(song: Song) -> Mapping[str, str]:
    """Strip id → display name, for reports."""
    names = {track_id(t.name): t.name for t in song.tracks}
    names.update({bus_id(b.name): b.name for b in song.buses})
    return names


__all__ = [
    "MIXES_DIR",
    "RENDER_ID_IGNORES",
    "Automated",
    "CachedRender",
    "Clipping",
    "ProjectMedia",
    "RenderSummary",
    "automate",
    "bus_add",
    "cached_render_path",
    "engine_version",
    "fx_add",
    "fx_bypass",
    "fx_kinds",
    "fx_remove",
    "fx_set",
    "parse_params",
    "parse_points",
    "render",
    "render_by_id",
    "render_id",
    "render_into",
    "send_add",
    "strip_names",
]
