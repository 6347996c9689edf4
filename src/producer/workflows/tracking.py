"""Use cases of tracking: record, recover, devices, latency, takes, comps, review.

Captures in progress live in ``.producer/recordings/<id>/`` (raw samples + a JSON sidecar,
see ``producer.tracking.capture``). When a recording ends — or, after a crash, on the next
tracking command (``recover``) — each take is written as a WAV file next to its capture,
imported into the media pool, and added to its track as a new take lane in one undoable step;
then the capture is marked ``saved``. The raw capture is kept: a take is never lost, even if
the import fails (disk full), because the next command tries again.

Device settings that belong to this machine, not to the song (the measured round-trip
latency), are kept in ``.producer/tracking.json``.
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from producer import audio
from producer.audio import Audio
from producer.errors import FormatError, NotFoundError, UserError, ValidationError
from producer.model import COMP, MediaRef, Song, Track, TrackKind, ranges
from producer.model import edit as ed
from producer.model import timing as tm
from producer.storage import Project
from producer.storage.project import ALBUM_FILE
from producer.tracking import capture as cap
from producer.tracking import review as rv
from producer.tracking import takes as tk
from producer.tracking.latency import LatencyMeasurement, measure_latency
from producer.tracking.session import (
    MeterCallback,
    TakeAudio,
    capture_latency,
    cut_takes,
    latency_drift,
    record,
)
from producer.tracking.streams import (
    Device,
    DeviceStream,
    FileSourceStream,
    InputStream,
    list_devices,
)
from producer.workflows import office as office_wf
from producer.workflows.outputs import check_output

RECORDINGS_DIR = ".producer/recordings"
SETTINGS_FILE = ".producer/tracking.json"
SAVED = "saved"
DEFAULT_PRE_ROLL_S = 2.0
#: --calibrate: impulses at the start of the capture, far enough apart for any round trip.
CALIBRATION_REPEATS = 2
CALIBRATION_SPACING_S = 0.4


# ---------------------------------------------------------------- settings


def _settings(root: Path) -> dict[str, Any]:
    p = Path(root) / SETTINGS_FILE
    if not p.is_file():
        return {}
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{p}: unreadable ({exc})") from None
    return data if isinstance(data, dict) else {}


def _save_settings(root: Path, data: dict[str, Any]) -> None:
    p = Path(root) / SETTINGS_FILE
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(p)


def configured_latency_frames(root: Path, sample_rate: int) -> int:
    """The round trip measured (or set) for this machine at ``sample_rate``; 0 when never."""
    value = _settings(root).get("latency_frames", {}).get(str(sample_rate), 0)
    return int(value)


def set_latency(root: Path, sample_rate: int, latency_frames: int) -> None:
    data = _settings(root)
    data.setdefault("latency_frames", {})[str(sample_rate)] = int(latency_frames)
    _save_settings(root, data)


# ---------------------------------------------------------------- media


def media_loader(project: Project) -> Callable[[MediaRef], Audio]:
    """Whole media files of ``project`` as float32 (channels, frames), each read once (takes
    are short; the engine streams instead)."""
    cache: dict[str, Audio] = {}

    def load(ref: MediaRef) -> Audio:
        if ref.path not in cache:
            cache[ref.path] = audio.read(project.media_path(ref))[0]
        return cache[ref.path]

    return load


# ---------------------------------------------------------------- recovery


@dataclass(frozen=True)
class SavedTake:
    track: str
    take: int
    lane_id: str
    start_s: float
    duration_s: float
    capture: str
    state: str


def _take_wav(folder: Path, t: TakeAudio) -> Path:
    safe = "".join(ch if ch.isalnum() else "-" for ch in t.track)
    return folder / f"take-{safe}-{t.pass_index + 1}.wav"


def save_capture(project: Project, folder: Path) -> list[SavedTake]:
    """Turn a capture (finished or interrupted) into take lanes; mark it saved."""
    meta, data = cap.read_capture(folder)
    cut = cut_takes(meta, data)
    refs: list[tuple[TakeAudio, MediaRef]] = []
    for t in cut:
        wav = _take_wav(folder, t)
        audio.write(wav, t.audio, meta.sample_rate, subtype="FLOAT")
        refs.append((t, project.import_media(wav)))
    saved: list[SavedTake] = []
    if refs:
        with project.transaction(f"record {len(refs)} take(s) into {meta.song}") as tx:
            song = tx.song(meta.song)
            for t, ref in refs:
                if song.track(t.track) is None:
                    song = ed.add_track(song, Track(name=t.track))
                before = ed.get_track(song, t.track)
                song, lane_id = tk.add_take(song, t.track, ref, t.start_frame)
                credit = office_wf.TakeCredit(
                    meta.performer, meta.instrument, meta.role, meta.booking
                )
                song = office_wf.credit_lane(song, t.track, lane_id, credit)
                track = ed.get_track(song, t.track)
                n = meta.crossfade_frames
                # A take stopped before the punch-out punches only as far as it reaches.
                punch_out = min(
                    meta.range_end_frame, t.start_frame + t.audio.shape[1] - (n - n // 2)
                )
                if meta.mode == "punch" and punch_out > meta.range_start_frame:
                    # Punch into what played before this take was added.
                    track = tk.punch_into_comp(
                        replace(track, active=before.active, comp=before.comp),
                        lane_id,
                        meta.range_start_frame,
                        punch_out,
                        n,
                    )
                    song = ed.replace_track(song, track)
                saved.append(
                    SavedTake(
                        track=t.track,
                        take=tk.take_number(track, lane_id),
                        lane_id=lane_id,
                        start_s=t.start_frame / meta.sample_rate,
                        duration_s=t.audio.shape[1] / meta.sample_rate,
                        capture=folder.name,
                        state=meta.state,
                    )
                )
            tx.put_song(song)
    cap.mark(folder, SAVED, meta.message)
    return saved


def saved_captures(root: Path) -> list[Path]:
    """Capture folders whose takes are saved in the project (media/ and a history step): the
    raw capture and the take files beside it are then needed no more (`producer gc`)."""
    base = Path(root) / RECORDINGS_DIR
    out = []
    for p in sorted(base.glob(f"*/{cap.META_NAME}")):
        try:
            if cap.read_meta(p.parent).state == SAVED:
                out.append(p.parent)
        except FormatError:
            continue  # unreadable: not ours to judge, `recover` reports it
    return out


def recover(root: Path) -> list[SavedTake]:
    """Save every capture left unsaved (a killed recording, or one whose import failed)."""
    saved: list[SavedTake] = []
    base = Path(root) / RECORDINGS_DIR
    pending = [
        p.parent
        for p in sorted(base.glob(f"*/{cap.META_NAME}"))
        if cap.read_meta(p.parent).state != SAVED
    ]
    if not pending:
        if not (Path(root) / ALBUM_FILE).is_file():
            Project.open(root)  # not a project: its clear NotFoundError
        return saved
    project = Project.open(root)
    for folder in pending:
        saved += save_capture(project, folder)
    return saved


# ---------------------------------------------------------------- recording


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


# ---------------------------------------------------------------- devices, latency


def devices() -> list[Device]:
    return list_devices()


def latency_measure(
    root: Path,
    *,
    sample_rate: int | None = None,
    input_device: str | None = None,
    output_device: str | None = None,
    save: bool = True,
    stream: InputStream | None = None,
) -> LatencyMeasurement:
    """Measure the round trip through a loopback and remember it for this project."""
    project = Project.open(root)
    rate = sample_rate or project.album.sample_rate
    ranges.check_sample_rate(rate, "--rate")
    if stream is None:
        stream = DeviceStream(
            rate, 1, input_device=input_device, output_device=output_device, output_channels=1
        )
    m = measure_latency(stream)
    if save:
        set_latency(root, rate, m.latency_frames)
    return m


# ---------------------------------------------------------------- takes


@dataclass(frozen=True)
class TakeInfo:
    number: int
    lane_id: str
    name: str
    active: bool
    in_comp: bool
    start_s: float
    end_s: float


def take_list(root: Path, slug: str, track: str) -> tuple[list[TakeInfo], bool]:
    """The takes of a track, and whether the comp is what plays."""
    recover(root)
    song = Project.open(root).song(slug)
    t = ed.get_track(song, track)
    used = {s.lane for s in t.comp.segments} if t.comp else set()
    out = []
    for i, lane in enumerate(t.lanes):
        starts = [c.start_frame for c in lane.clips] or [0]
        ends = [c.end_frame for c in lane.clips] or [0]
        out.append(
            TakeInfo(
                number=i + 1,
                lane_id=lane.id,
                name=lane.name,
                active=t.active == lane.id,
                in_comp=lane.id in used,
                start_s=min(starts) / song.sample_rate,
                end_s=max(ends) / song.sample_rate,
            )
        )
    return out, t.active == COMP


def _edit(root: Path, slug: str, label: str, fn: Callable[[Song], Song]) -> Song:
    recover(root)
    project = Project.open(root)
    with project.transaction(label) as tx:
        song = fn(tx.song(slug))
        tx.put_song(song)
    return song


def take_select(root: Path, slug: str, track: str, which: str) -> None:
    _edit(root, slug, f"select take {which} on {track}", lambda s: tk.select_take(s, track, which))


def take_rename(root: Path, slug: str, track: str, number: int, name: str) -> None:
    _edit(
        root,
        slug,
        f"rename take {number} on {track}",
        lambda s: tk.rename_take(s, track, number, name),
    )


def take_remove(root: Path, slug: str, track: str, number: int) -> None:
    _edit(
        root, slug, f"remove take {number} from {track}", lambda s: tk.remove_take(s, track, number)
    )


def take_comp(
    root: Path, slug: str, track: str, use: str, crossfade_ms: float = tk.DEFAULT_CROSSFADE_MS
) -> Track:
    song = _edit(
        root,
        slug,
        f"comp {track}",
        lambda s: tk.build_comp(s, track, use, crossfade_ms),
    )
    return ed.get_track(song, track)


def take_import(
    root: Path,
    slug: str,
    track: str,
    files: Sequence[Path],
    at_seconds: float = 0.0,
    performer: str | None = None,
    instrument: str | None = None,
    role: str | None = None,
    booking: str | None = None,
) -> list[int]:
    """Import audio files as new takes (one lane each) of ``track`` at ``at_seconds``, played
    by ``performer`` (a person of the office roster) if given."""
    recover(root)
    project = Project.open(root)
    song = project.song(slug)
    at = _frames(at_seconds, song.sample_rate, "--at")
    credit = office_wf.take_credit(project, slug, performer, instrument, role, booking)
    refs = [project.import_media(Path(f)) for f in files]
    numbers = []
    with project.transaction(f"import {len(refs)} take(s) into {track}") as tx:
        song = tx.song(slug)
        if song.track(track) is None:
            song = ed.add_track(song, Track(name=track))
        for f, ref in zip(files, refs, strict=True):
            song, lane_id = tk.add_take(song, track, ref, at, name=Path(f).stem)
            song = office_wf.credit_lane(song, track, lane_id, credit)
            numbers.append(tk.take_number(ed.get_track(song, track), lane_id))
        tx.put_song(song)
    return numbers


def render_track_takes(root: Path, slug: str, track: str) -> tuple[Audio, int]:
    """What the track plays (its comp or active take) from frame 0 to its last clip's end:
    the engine's clip sum before the strip, (channels, frames), and the sample rate."""
    project = Project.open(root)
    song = project.song(slug)
    t = ed.get_track(song, track)
    end = max([c.end_frame for c in t.all_clips()] + [0])
    return _clip_sum(project, song, track, 0, end), song.sample_rate


def _clip_sum(
    project: Project, song: Song, track: str, start: int, frames: int, lane: str | None = None
) -> Audio:
    """Frames ``[start, start + frames)`` of what ``track`` (or its lane ``lane``) plays, from
    the engine: the mix's own comp renderer."""
    from producer.engine import render_clip_sum
    from producer.workflows.mix import ProjectMedia

    source = ProjectMedia(project.root)
    try:
        return render_clip_sum(song, track, source, start, frames, lane=lane)
    finally:
        source.close()


# ---------------------------------------------------------------- review


def _guide(song: Song, track: Track) -> list[rv.GuideNote]:
    """The MIDI guide: the track's own MIDI clips, else a MIDI track named "<track> guide"."""
    source = track if track.midi_clips else song.track(f"{track.name} guide")
    if source is None:
        return []
    notes = []
    for mc in source.midi_clips:
        for n in mc.notes:
            b = mc.start_beat + n.start_beat
            notes.append(
                rv.GuideNote(
                    tm.beat_to_seconds(song, b),
                    tm.beat_to_seconds(song, b + n.length_beats),
                    n.pitch,
                )
            )
    return sorted(notes, key=lambda g: g.start_s)


def take_review(
    root: Path, slug: str, track: str, take: int | None = None, plot: Path | None = None
) -> rv.TakeReview:
    """Coach a take (default: what the track plays): pitch, timing, levels; optional PNG."""
    recover(root)
    project = Project.open(root)
    song = project.song(slug)
    t = ed.get_track(song, track)
    if take is None and t.active == COMP and t.comp is not None:
        first = min(s.start_frame for s in t.comp.segments)
        last = max(s.end_frame for s in t.comp.segments)
        data = _clip_sum(project, song, track, first, last - first)
    else:
        lane = tk.get_take(t, take) if take is not None else t.active_lane()
        if lane is None or not lane.clips:
            raise NotFoundError(f"track {track!r}: has no take to review")
        first = min(c.start_frame for c in lane.clips)
        last = max(c.end_frame for c in lane.clips)
        data = _clip_sum(project, song, track, first, last - first, lane=lane.id)
    rate = song.sample_rate
    offset_s = first / rate

    def nearest_16th(s: float) -> float:
        beat = tm.seconds_to_beat(song, s + offset_s)
        return tm.beat_to_seconds(song, round(beat * 4) / 4) - offset_s

    guide = [
        rv.GuideNote(g.start_s - offset_s, g.end_s - offset_s, g.pitch) for g in _guide(song, t)
    ]
    result = rv.review_take(
        data, rate, tuning_hz=song.tuning_hz, nearest_grid_s=nearest_16th, guide=guide
    )
    # Report times on the song's timeline, not from the take's first frame.
    result = replace(
        result,
        notes=[
            replace(
                n,
                start_s=n.start_s + offset_s,
                end_s=n.end_s + offset_s,
                target_s=n.target_s + offset_s,
            )
            for n in result.notes
        ],
        f0_times_s=[x + offset_s for x in result.f0_times_s],
    )
    if plot is not None:
        check_output(plot, project.root)
        rv.plot_review(result, plot)
    return result


__all__ = [
    "RECORDINGS_DIR",
    "RecordOptions",
    "RecordReport",
    "SavedTake",
    "TakeInfo",
    "configured_latency_frames",
    "devices",
    "latency_measure",
    "media_loader",
    "plan_capture",
    "record_song",
    "recover",
    "render_track_takes",
    "save_capture",
    "saved_captures",
    "set_latency",
    "take_comp",
    "take_import",
    "take_list",
    "take_remove",
    "take_rename",
    "take_review",
    "take_select",
]
