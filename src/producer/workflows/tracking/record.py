"""Record takes (``producer record``): the options, the capture plan (plain, punch, loop), the
monitor mix and click, the input (a device or a file), and the devices there are."""

from __future__ import annotations

import math
import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from producer.audio import Audio
from producer.errors import UserError, ValidationError
from producer.model import Song, TrackKind
from producer.model import timing as tm
from producer.storage import Project
from producer.tracking import capture as cap
from producer.tracking import takes as tk
from producer.tracking.session import MeterCallback, capture_latency, latency_drift, record
from producer.tracking.streams import (
    Device,
    DeviceStream,
    FileSourceStream,
    InputStream,
    list_devices,
)
from producer.workflows import office as office_wf
from producer.workflows.tracking.captures import RECORDINGS_DIR, SavedTake, recover, save_capture
from producer.workflows.tracking.latency import configured_latency_frames, set_latency

DEFAULT_PRE_ROLL_S = 2.0
#: --calibrate: impulses at the start of the capture, far enough apart for any round trip.
CALIBRATION_REPEATS = 2
CALIBRATION_SPACING_S = 0.4


@dataclass(frozen=True)
class RecordOptions:
    """What `producer record` asks for; times in seconds on the song's timeline."""

    tracks: tuple[str, ...]
    """``NAME`` or ``NAME:CH[,CH]`` (1-based input channels), see ``parse_track_inputs``."""
    from_s: float = 0.0
    to_s: float | None = None
    punch_in_s: float | None = None
    punch_out_s: float | None = None
    loop: bool = False
    count_in_bars: int = 0
    pre_roll_s: float = DEFAULT_PRE_ROLL_S
    seconds: float | None = None
    input_device: str | None = None
    output_device: str | None = None
    source_file: Path | None = None
    latency_ms: float | None = None
    crossfade_ms: float = tk.DEFAULT_CROSSFADE_MS
    click: bool = True
    monitor_mix: bool = True
    calibrate: bool = False
    performer: str | None = None
    """Who plays (a person of the office roster); ``instrument``, ``role``, ``booking`` say
    more (defaults: their first instrument and performing role, the booking in progress)."""
    instrument: str | None = None
    role: str | None = None
    booking: str | None = None


@dataclass(frozen=True)
class RecordReport:
    state: str
    message: str
    frames: int
    """Frames captured, count-in and pre-roll included."""
    sample_rate: int
    latency_frames: int
    xruns: int
    latency_drift_frames: int | None
    takes: list[SavedTake]
    recorded_s: float = 0.0
    """Seconds the takes hold (after the count-in): what `producer record` reports."""


def _frames(seconds: float, rate: int, what: str) -> int:
    if not math.isfinite(seconds) or seconds < 0:
        raise ValidationError(f"{what}: {seconds} is not a time of 0 seconds or more")
    return tk.seconds_to_frame(seconds, rate)


_INPUTS = re.compile(r"^(.*):(\d+(?:,\d+)*)$")


def parse_track_inputs(specs: Sequence[str]) -> tuple[cap.TrackInput, ...]:
    """``--track`` values: ``NAME`` (the next free input channel) or ``NAME:1,2`` (1-based
    input channels; two make a stereo take)."""
    out: list[cap.TrackInput] = []
    next_free = 0
    for spec in specs:
        m = _INPUTS.match(spec)
        if m:
            chans = tuple(int(c) - 1 for c in m.group(2).split(","))
            if min(chans) < 0:
                raise UserError(f"--track {spec}: input channels count from 1")
            out.append(cap.TrackInput(m.group(1), chans))
            next_free = max(next_free, max(chans) + 1)
        else:
            out.append(cap.TrackInput(spec, (next_free,)))
            next_free += 1
    return tuple(out)


def plan_capture(song: Song, opts: RecordOptions, latency_frames: int) -> cap.CaptureMeta:
    """Check the options against the song and describe the capture (ValidationError, exit 2)."""
    rate = song.sample_rate
    if not opts.tracks:
        raise UserError("record: name at least one --track")
    inputs = parse_track_inputs(opts.tracks)
    names = [t.track for t in inputs]
    if len(set(names)) != len(names):
        raise UserError("record: a --track is named twice")
    for name in names:
        t = song.track(name)
        if t is not None and t.kind != TrackKind.AUDIO:
            raise ValidationError(f"--track {name}: is a {t.kind} track, not audio")
    if opts.count_in_bars < 0:
        raise ValidationError(f"--count-in: {opts.count_in_bars} bars is negative")
    if opts.seconds is not None and not opts.seconds > 0:
        raise ValidationError(f"--seconds: {opts.seconds} must be more than 0")
    start = _frames(opts.from_s, rate, "--from")
    bar0 = tm.frame_to_bar_beat(song, start)[0]
    bar_frames = tm.bar_to_frame(song, bar0 + 1) - tm.bar_to_frame(song, bar0)
    count_in = opts.count_in_bars * bar_frames
    xfade = tk.seconds_to_frame(opts.crossfade_ms / 1000.0, rate)
    base = cap.CaptureMeta(
        song=song.slug,
        sample_rate=rate,
        channels=max(c for t in inputs for c in t.channels) + 1,
        tracks=inputs,
        latency_frames=latency_frames,
        crossfade_frames=xfade,
    )
    end = tk.song_end_frame(song)
    if opts.punch_in_s is not None or opts.punch_out_s is not None:
        if opts.punch_in_s is None or opts.punch_out_s is None:
            raise UserError("record: --punch-in and --punch-out go together")
        if opts.loop:
            raise UserError("record: --loop and --punch-in are separate modes")
        p_in = _frames(opts.punch_in_s, rate, "--punch-in")
        p_out = _frames(opts.punch_out_s, rate, "--punch-out")
        if p_out <= p_in:
            raise ValidationError(
                f"--punch-out {opts.punch_out_s:g} s: must be after --punch-in {opts.punch_in_s:g} s"
            )
        if p_out > end:
            raise ValidationError(
                f"--punch-in {opts.punch_in_s:g} s --punch-out {opts.punch_out_s:g} s: outside "
                f"the song (it ends at {end / rate:g} s)"
            )
        pre = count_in + _frames(opts.pre_roll_s, rate, "--pre-roll")
        return replace(
            base,
            mode="punch",
            start_frame=p_in - pre,
            range_start_frame=p_in,
            range_end_frame=p_out,
            count_in_frames=pre,
        )
    if opts.loop:
        stop = _frames(opts.to_s, rate, "--to") if opts.to_s is not None else end
        if stop <= start:
            raise ValidationError(
                f"--loop: the range {opts.from_s:g}-{stop / rate:g} s is empty "
                f"(give --to, or a song with content after --from)"
            )
        return replace(
            base,
            mode="loop",
            start_frame=start - count_in,
            range_start_frame=start,
            range_end_frame=stop,
            count_in_frames=count_in,
        )
    return replace(
        base,
        mode="plain",
        start_frame=start - count_in,
        range_start_frame=start,
        range_end_frame=start,
        count_in_frames=count_in,
    )


def _monitor(
    project: Project,
    song: Song,
    meta: cap.CaptureMeta,
    opts: RecordOptions,
    channels: int,
    frames: int,
) -> Callable[[int, int], Audio]:
    """Monitor output for song frames: the mix of the other tracks plus the click."""
    rate = song.sample_rate
    lo = meta.start_frame
    hi = meta.start_frame + frames
    if meta.mode == "loop":
        hi = max(hi, meta.range_end_frame)
    buf = np.zeros((channels, hi - lo), dtype=np.float32)
    others = replace(song, tracks=tuple(t for t in song.tracks if t.name not in opts.tracks))
    if opts.monitor_mix and any(t.all_clips() for t in others.tracks):
        from producer.engine import ArraySink, render_song
        from producer.workflows.mix import ProjectMedia
        from producer.workflows.parts import ensure_parts

        # The other tracks' MIDI parts play from the parts cache: render what it lacks first.
        full = ensure_parts(project, song)
        others = replace(full, tracks=tuple(t for t in full.tracks if t.name not in opts.tracks))
        sink = ArraySink(2)
        a = max(lo, 0)
        render_song(others, ProjectMedia(project.root), sink, start_frame=a, end_frame=hi)
        mix = sink.audio[:, : hi - a]
        buf[:, a - lo : a - lo + mix.shape[1]] += mix[: min(channels, mix.shape[0])]
    if opts.click:
        from producer.preproduction.click import click_track

        click_from = meta.range_start_frame
        if meta.mode == "punch":
            click_from -= tk.seconds_to_frame(opts.pre_roll_s, rate)
        bar0 = tm.frame_to_bar_beat(song, max(click_from, 0))[0]
        bars = tm.frame_to_bar_beat(song, max(hi, 0))[0] - bar0 + 1
        clicks, at = click_track(song, bars, start_bar=bar0, count_in_bars=opts.count_in_bars)
        i = at - lo
        a, b = max(i, 0), min(i + clicks.shape[1], buf.shape[1])
        if b > a:
            buf[:, a:b] += clicks[0, a - i : b - i]

    def source(pos: int, n: int) -> Audio:
        out = np.zeros((channels, n), dtype=np.float32)
        a, b = max(pos - lo, 0), min(pos - lo + n, buf.shape[1])
        if b > a:
            out[:, a - (pos - lo) : b - (pos - lo)] = buf[:, a:b]
        return out

    return source


def open_stream(
    opts: RecordOptions, sample_rate: int, channels: int, lead_in_frames: int = 0
) -> InputStream:
    """The input: a file replayed in real time (``--source``), else a PortAudio device.

    A file at another rate is converted to the song's (as `producer import` does); it starts
    after ``lead_in_frames`` of silence (the count-in), as a performer would. It plays in real
    time, unless ``PRODUCER_SOURCE_REALTIME=0`` (scripts and the README tour test replay files
    as fast as they can: nobody listens, there is no output).
    """
    if opts.source_file is not None:
        stream = FileSourceStream(
            opts.source_file,
            realtime=os.environ.get("PRODUCER_SOURCE_REALTIME", "1") != "0",
            sample_rate=sample_rate,
            lead_in_frames=lead_in_frames,
        )
        if stream.channels < channels:
            raise UserError(
                f"{opts.source_file}: {stream.channels} channel(s) for {channels} track(s)"
            )
        return stream
    return DeviceStream(
        sample_rate,
        channels,
        input_device=opts.input_device,
        output_device=opts.output_device,
        output_channels=2,
    )


def record_song(
    root: Path,
    slug: str,
    opts: RecordOptions,
    *,
    stop: threading.Event | None = None,
    on_block: MeterCallback | None = None,
    on_start: Callable[[cap.CaptureMeta], None] | None = None,
    stream: InputStream | None = None,
) -> RecordReport:
    """Record takes into song ``slug``; see ``RecordOptions``. Saves them as take lanes.

    Every check (tracks, ranges, device, sample rate) happens before anything is captured;
    failures raise UserError (exit 2) and leave every existing take as it was.
    """
    recover(root)
    project = Project.open(root)
    song = project.song(slug)
    rate = song.sample_rate
    if opts.latency_ms is not None:
        latency = round(opts.latency_ms / 1000.0 * rate)
    elif opts.source_file is not None:
        latency = 0  # a file has no round trip: the measured device latency is not its
    else:
        latency = configured_latency_frames(root, rate)
    meta = plan_capture(song, opts, latency)
    credit = office_wf.take_credit(
        project, slug, opts.performer, opts.instrument, opts.role, opts.booking
    )
    meta = replace(
        meta,
        performer=credit.performer,
        instrument=credit.instrument,
        role=credit.role,
        booking=credit.booking,
    )
    if stream is None:
        # The file plays from the end of the count-in bars (a punch's pre-roll plays it).
        lead_in = meta.count_in_frames if meta.mode != "punch" else 0
        stream = open_stream(opts, rate, meta.channels, lead_in)
    if stream.channels > meta.channels:
        # A file source with more channels than tracks: the first ones feed the tracks.
        meta = replace(meta, channels=stream.channels)
    max_frames = (
        round(opts.seconds * rate) + meta.count_in_frames if opts.seconds is not None else None
    )
    if meta.mode == "punch" and max_frames is None:
        # A punch stops by itself: after the punch-out, its crossfade and the round trip.
        max_frames = (
            meta.range_end_frame - meta.start_frame + meta.crossfade_frames + max(latency, 0)
        )
    monitor = None
    if stream.output_channels:
        span = max_frames if max_frames is not None else 600 * rate
        monitor = _monitor(project, song, meta, opts, stream.output_channels, span)
    folder = _new_capture_folder(Path(root) / RECORDINGS_DIR)
    if opts.calibrate:
        if not stream.output_channels:
            raise UserError("record --calibrate: needs an output (a loopback) to measure with")
        meta = replace(
            meta,
            calibration_repeats=CALIBRATION_REPEATS,
            calibration_spacing_frames=round(CALIBRATION_SPACING_S * rate),
        )
        if max_frames is not None:
            max_frames += meta.calibration_frames
    if on_start is not None:
        on_start(meta)
    result = record(
        stream, folder, meta, monitor=monitor, stop=stop, max_frames=max_frames, on_block=on_block
    )
    drift: int | None = None
    message = result.meta.message
    if opts.calibrate:
        _, captured = cap.read_capture(folder)
        latency = capture_latency(result.meta, captured)
        drift = latency_drift(result.meta, captured)
        if drift:
            message = (
                f"the round trip changed by {drift} frames during the take (a dropout): "
                "latency compensation is off for part of it; record again"
            )
        set_latency(root, rate, latency)
    saved = save_capture(project, folder)
    recorded = _recorded_seconds(saved)
    if (
        opts.seconds is not None
        and result.meta.state == "finished"
        and recorded < opts.seconds - 1.0 / rate
        and not message
    ):
        message = f"the input ended after {recorded:.2f} s of the {opts.seconds:g} s asked" + (
            f" ({opts.source_file} is shorter)" if opts.source_file is not None else ""
        )
    return RecordReport(
        state=result.meta.state,
        message=message,
        frames=result.meta.frames_written
        - result.meta.calibration_frames * (2 if result.meta.postamble_start_frame else 1),
        sample_rate=rate,
        latency_frames=latency,
        xruns=result.meta.xruns,
        latency_drift_frames=drift,
        takes=saved,
        recorded_s=recorded,
    )


def _recorded_seconds(takes: list[SavedTake]) -> float:
    """Seconds of performance the takes hold (one track's, every pass of a loop)."""
    if not takes:
        return 0.0
    first = takes[0].track
    return sum(t.duration_s for t in takes if t.track == first)


def _new_capture_folder(base: Path) -> Path:
    base.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    n = 1
    while (base / f"{stamp}-{n}").exists():
        n += 1
    return base / f"{stamp}-{n}"


# ---------------------------------------------------------------- devices


def devices() -> list[Device]:
    return list_devices()
