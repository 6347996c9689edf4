"""`producer play`: a song (rendered by the engine in real time) or an audio file, to the
output device.

The engine renders ahead on a thread into a ring buffer (``producer.engine.realtime``); a
PortAudio callback copies from it (``producer.tracking.playback``). Opening the device runs
beside loading and compiling the song, so the time to the first sound is the longest of the
two plus one rendered block, not their sum.

Positions (``--from``/``--to``) are seconds (``12.5``), minutes:seconds (``1:02.5``), a bar
(``bar 8``, counted from 0 as `section` counts them), or a section or marker name.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from producer import audio
from producer.audio import Audio
from producer.engine import CatalogEffects, Sink, compile_song, render_plan
from producer.engine.realtime import Renderer, Ring
from producer.errors import NotFoundError, UserError, ValidationError
from producer.model import Song
from producer.model import timing as tm
from producer.storage import Project
from producer.storage.media import speaker_layout
from producer.storage.project import ALBUM_FILE
from producer.tracking.playback import Playback
from producer.workflows.mix import ProjectMedia


@dataclass(frozen=True)
class PlayOptions:
    start: str | None = None
    """``--from``: where to start (see the module docstring); None = the beginning."""
    end: str | None = None
    """``--to``: where to stop; None = the end (a song: after its effects have rung out)."""
    loop: bool = False
    solo: tuple[str, ...] = ()
    """Tracks or buses to hear alone (as ``track set --solo`` would, without saving it)."""
    device: str | None = None
    block_frames: int = 0
    """Frames per audio callback; 0 lets PortAudio choose."""
    latency_s: float = 0.2
    """Suggested output latency: the device buffer (a dropout needs a stall longer than it;
    0.1 s dropped out on a loaded 2-core machine where 0.2 s did not)."""
    render_block_frames: int = 4096
    ring_s: float = 2.0
    """Seconds rendered ahead of the device at most."""
    prefill_s: float = 0.1
    """Seconds rendered before the first sound (beyond the device's buffer)."""
    threads: int = 1
    """Render threads: one is many times faster than real time, and every thread more is one
    more for the audio callback to wait on for the GIL."""


@dataclass(frozen=True)
class PlayReport:
    """What a play did, in the units people read."""

    title: str
    sample_rate: int
    start_s: float
    end_s: float | None
    played_s: float
    passes: int
    underflows: int
    """Times PortAudio reported the device ran dry (the callback came late)."""
    starved: int
    """Callbacks that found the ring short before the end (the renderer fell behind)."""
    start_latency_s: float | None
    """From the start of ``open_player`` to the first frame at the output."""
    since_process_start_s: float | None
    """From the start of the process to the first frame at the output (Linux only)."""
    device_latency_s: float
    block_frames: int
    interrupted: bool

    @property
    def dropouts(self) -> int:
        return self.underflows + self.starved


_BAR_RE = re.compile(r"\s*bar\s*[: ]?\s*(\d+)\s*", re.IGNORECASE)
_CLOCK_RE = re.compile(r"\s*(?:(\d+):)?(\d+(?:\.\d*)?|\.\d+)\s*")


def parse_position(text: str, song: Song | None, rate: int, what: str) -> int:
    """``text`` as a frame: seconds, m:ss, ``bar N`` or a section/marker name of ``song``."""
    if song is not None:
        for s in song.sections:
            if s.name == text:
                return tm.bar_to_frame(song, s.start_bar)
        for mark in song.markers:
            if mark.name == text:
                return mark.frame
    m = _BAR_RE.fullmatch(text)
    if m:
        if song is None:
            raise UserError(f"{what} {text!r}: a file has no bars; give seconds")
        return tm.bar_to_frame(song, int(m.group(1)))
    m = _CLOCK_RE.fullmatch(text)
    if m:
        seconds = float(m.group(2)) + 60.0 * float(m.group(1) or 0)
        if math.isfinite(seconds):
            return round(seconds * rate)
    names = ""
    if song is not None and (song.sections or song.markers):
        names = ", a section or marker (" + ", ".join(
            [s.name for s in song.sections] + [mk.name for mk in song.markers]
        )
        names += ")"
    raise UserError(f"{what} {text!r}: give seconds (12.5), minutes:seconds (1:02.5), bar N{names}")


def _process_age() -> float | None:
    """Seconds since this process started (``/proc/self/stat`` field 22), or None."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")
        return time.clock_gettime(time.CLOCK_BOOTTIME) - started
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _clock(frames: int, rate: int) -> str:
    s = frames / rate
    return f"{int(s // 60)}:{s % 60:04.1f}"


@dataclass
class _Target:
    """What plays: a title, its rate, the range, the producer that writes it, a source."""

    title: str
    rate: int
    song: Song | None
    start: int
    end: int | None
    make_producer: Callable[[], Callable[[Sink], None]]
    close: Callable[[], None]


def _solo(song: Song, names: Sequence[str]) -> Song:
    if not names:
        return song
    known = [t.name for t in song.tracks] + [b.name for b in song.buses]
    for n in names:
        if n not in known:
            raise NotFoundError(f"--solo {n!r}: no such track or bus (strips: {', '.join(known)})")
    return replace(
        song,
        tracks=tuple(replace(t, solo=t.name in names) for t in song.tracks),
        buses=tuple(replace(b, solo=b.name in names) for b in song.buses),
    )


def _song_target(project: Project, song: Song, options: PlayOptions, passes: list[int]) -> _Target:
    problems = project.song_problems(song.slug)
    if problems:  # what `mix` refuses, play refuses
        raise ValidationError(problems[0], problems)
    from producer.workflows.parts import ensure_parts

    song = ensure_parts(project, song)  # MIDI parts the cache lacks are rendered first
    song = _solo(song, options.solo)
    rate = song.sample_rate
    start = 0 if options.start is None else parse_position(options.start, song, rate, "--from")
    end = None if options.end is None else parse_position(options.end, song, rate, "--to")
    source = ProjectMedia(project.root)

    def make() -> Callable[[Sink], None]:
        plan = compile_song(
            song, CatalogEffects(project.root), block_frames=options.render_block_frames
        )
        last = end if end is not None else plan.end_frame
        if last <= start:
            what = f"--to {options.end}" if end is not None else "the song's end"
            raise UserError(
                f"--from {options.start}: {start / rate:.2f} s is not before {what} "
                f"({last / rate:.2f} s)"
            )
        # With neither --to nor --loop the effects ring out, as `mix` renders them.
        end_frame = end if (end is not None or options.loop) else None
        if options.loop and end is None:
            end_frame = plan.end_frame
        target.end = end_frame

        def produce(sink: Sink) -> None:
            while True:
                render_plan(
                    plan,
                    source,
                    sink,
                    start_frame=start,
                    end_frame=end_frame,
                    tail_frames=0 if end_frame is not None else None,
                    threads=options.threads,
                )
                passes[0] += 1
                if not options.loop:
                    return

        return produce

    target = _Target(song.title, rate, song, start, end, make, source.close)
    return target


def _to_stereo(block: Audio, layout: str) -> Audio:
    if block.shape[0] == 1:
        return np.repeat(block, 2, axis=0)
    if block.shape[0] == 2:
        return block
    from producer.dsp.downmix import fold_down, stereo_matrix

    return fold_down(block, stereo_matrix(layout))


def _file_target(path: Path, options: PlayOptions, passes: list[int]) -> _Target:
    meta = audio.info(path)
    layout = speaker_layout(path, meta.channels)  # refuses what cannot fold to stereo
    rate = meta.sample_rate
    start = 0 if options.start is None else parse_position(options.start, None, rate, "--from")
    end = None if options.end is None else parse_position(options.end, None, rate, "--to")
    last = min(end, meta.frames) if end is not None else meta.frames
    if last <= start:
        raise UserError(
            f"--from {options.start}: {start / rate:.2f} s is not before the end "
            f"({last / rate:.2f} s)"
        )

    def make() -> Callable[[Sink], None]:
        def produce(sink: Sink) -> None:
            while True:
                for block in audio.blocks(
                    path, options.render_block_frames, start=start, frames=last - start
                ):
                    sink.write(_to_stereo(block, layout))
                passes[0] += 1
                if not options.loop:
                    return

        return produce

    return _Target(path.name, rate, None, start, last, make, lambda: None)


def _resolve(root: Path, target: str, options: PlayOptions, passes: list[int]) -> _Target:
    """A song of the project at ``root``, else an audio file (relative to ``root``)."""
    project: Project | None = None
    if (root / ALBUM_FILE).is_file():
        project = Project.open(root)
        if target in project.album.songs:
            return _song_target(project, project.song(target), options, passes)
    path = Path(target).expanduser()
    path = path if path.is_absolute() else root / path
    if path.is_file():
        return _file_target(path, options, passes)
    if project is not None:
        songs = ", ".join(project.album.songs) or "none"
        raise NotFoundError(f"{target}: no song of that name (songs: {songs}) and no such file")
    raise NotFoundError(f"{target}: no such file (and {root} is not a producer project)")


class Player:
    """A play in progress: ``start``, then poll ``done`` (pause with ``toggle_pause``), then
    ``close`` for the report. Made by ``open_player``."""

    def __init__(
        self,
        target: _Target,
        renderer: Renderer,
        playback: Playback,
        options: PlayOptions,
        passes: list[int],
        t0: float,
        age0: float | None,
    ) -> None:
        self.title = target.title
        self.sample_rate = target.rate
        self.start_frame = target.start
        self.loop = options.loop
        self._target = target
        self._renderer = renderer
        self._playback = playback
        self._passes = passes
        self._t0 = t0
        self._age0 = age0
        self._closed = False

    @property
    def end_frame(self) -> int | None:
        """Where the play stops (None: where the song's effects have rung out)."""
        return self._target.end

    @property
    def paused(self) -> bool:
        return self._playback.paused

    def toggle_pause(self) -> None:
        self._playback.paused = not self._playback.paused

    @property
    def done(self) -> bool:
        """True once everything played (never, with --loop), or the renderer failed."""
        self._renderer.check()
        return self._playback.drained.is_set()

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for the end; True when it came."""
        self._playback.drained.wait(timeout)
        return self.done

    @property
    def position_frame(self) -> int:
        """The timeline frame being heard now (what left the ring, less the device buffer)."""
        heard = self._renderer.ring.frames_read - round(self._playback.latency_s * self.sample_rate)
        heard = max(0, heard)
        if self.loop and self.end_frame is not None:
            length = max(1, self.end_frame - self.start_frame)
            return self.start_frame + heard % length
        return self.start_frame + heard

    def where(self, frame: int) -> str:
        """``0:12.3`` and, for a song, ``bar 7 beat 2 · verse``."""
        text = _clock(frame, self.sample_rate)
        song = self._target.song
        if song is None:
            return text
        bar, beat = tm.frame_to_bar_beat(song, frame)
        text += f"  bar {bar} beat {int(beat) + 1}"
        for s in song.sections:
            if s.start_bar <= bar < s.end_bar:
                text += f" · {s.name}"
        return text

    def close(self, interrupted: bool = False) -> PlayReport:
        """Stop the stream and the renderer; the report of what played."""
        if not self._closed:
            self._closed = True
            self._renderer.stop()
            try:
                self._playback.close()
            finally:
                self._target.close()
        first = self._playback.first_sound
        end = self.end_frame
        return PlayReport(
            title=self.title,
            sample_rate=self.sample_rate,
            start_s=self.start_frame / self.sample_rate,
            end_s=None if end is None else end / self.sample_rate,
            played_s=self._renderer.ring.frames_read / self.sample_rate,
            passes=self._passes[0],
            underflows=self._playback.underflows,
            starved=self._playback.starved,
            start_latency_s=None if first is None else first - self._t0,
            since_process_start_s=(
                None if first is None or self._age0 is None else first - self._t0 + self._age0
            ),
            device_latency_s=self._playback.latency_s,
            block_frames=self._playback.block_frames,
            interrupted=interrupted,
        )


def open_player(root: Path, target: str, options: PlayOptions = PlayOptions()) -> Player:
    """Resolve ``target`` (a song of the project at ``root``, or an audio file), open the
    output device and start rendering and playing. Raises what ``mix`` would refuse, and
    NotFoundError/UserError for the device."""
    t0 = time.monotonic()
    age0 = _process_age()
    passes = [0]
    resolved = _resolve(Path(root), target, options, passes)
    ring = Ring(2, max(options.render_block_frames * 2, round(options.ring_s * resolved.rate)))
    # Enough for the device's buffer and a little more: a stream asks for its whole buffer
    # in its first callbacks.
    prefill = min(
        round((options.prefill_s + options.latency_s) * resolved.rate), ring.capacity // 2
    )
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        # The device opens (PortAudio start-up, the server connection) while the song compiles.
        device: Future[Playback] = pool.submit(
            Playback,
            ring,
            resolved.rate,
            device=options.device,
            block_frames=options.block_frames,
            latency=options.latency_s,
            prefill_frames=prefill,
        )
        try:
            renderer = Renderer(resolved.make_producer(), ring)
        except BaseException:
            with contextlib.suppress(Exception):
                device.result().close()
            raise
        playback = device.result()
    except BaseException:
        resolved.close()
        raise
    finally:
        pool.shutdown(wait=True)
    renderer.start()
    try:
        playback.start()
    except BaseException:
        renderer.stop()
        playback.close()
        resolved.close()
        raise
    return Player(resolved, renderer, playback, options, passes, t0, age0)


def play(
    root: Path,
    target: str,
    options: PlayOptions = PlayOptions(),
    tick: Callable[[Player], bool] | None = None,
) -> PlayReport:
    """Play to the end (or forever with --loop) and report; ``tick(player)`` is called about
    ten times a second and ends the play by returning False (the shell's keys and display)."""
    player = open_player(root, target, options)
    interrupted = False
    try:
        while not player.wait(0.1):
            if tick is not None and not tick(player):
                interrupted = True
                break
    except KeyboardInterrupt:
        player.close(interrupted=True)
        raise
    finally:
        report = player.close(interrupted=interrupted)
    return report


__all__ = [
    "PlayOptions",
    "PlayReport",
    "Player",
    "open_player",
    "parse_position",
    "play",
]
