"""The recording loop (plain, punch, loop) and the cutting of a capture into takes.

Recording captures the input continuously from the start of the count-in to the stop, whatever
the mode, straight to disk (:mod:`producer.tracking.capture`). What becomes a take is decided
afterwards from the capture's description alone — so a capture recovered after a crash is cut
exactly as a finished one:

* capture frame ``i`` holds what the performer played along with song frame
  ``start_frame + i - latency_frames`` (the round trip delays the input by the latency; this is
  the latency compensation). With ``--calibrate`` the capture opens (and, when it ends
  normally, closes) with impulses that measure the round trip from the capture itself;
  those stretches are not part of any take;
* ``plain``: one take from ``range_start_frame`` (the ``--from`` position) to the end;
* ``punch``: one take over the punch range, widened by half the crossfade on each side so the
  comp can crossfade it into the lane (the pre-roll before it is heard, never kept);
* ``loop``: after the count-in the song position cycles through the loop range; pass ``k`` is
  the ``k``-th loop-length stretch and becomes take ``k`` (a last partial pass is kept too).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from producer.audio import Audio
from producer.tracking.capture import (
    DEVICE_LOST,
    FINISHED,
    CaptureMeta,
    CaptureWriter,
)
from producer.tracking.latency import latency_from_impulses
from producer.tracking.streams import DeviceLostError, InputStream

#: Level of the calibration impulses (−6 dBFS: loud enough to stand out of any noise).
CALIBRATION_LEVEL = 0.5

#: Output for song frames ``[start, start + frames)``: float32 ``(output_channels, frames)``.
MonitorSource = Callable[[int, int], Audio]

#: Called after every block with the peak level per input channel (dBFS) — the meter.
MeterCallback = Callable[[np.ndarray], None]


@dataclass(frozen=True)
class TakeAudio:
    """One take cut from a capture: ``audio`` (channels, frames) starts at song ``start_frame``."""

    track: str
    pass_index: int
    start_frame: int
    audio: Audio


def song_frame(meta: CaptureMeta, capture_frame: int) -> int:
    """Song frame the output was playing at ``capture_frame`` (loops wrap)."""
    if meta.mode != "loop":
        return meta.start_frame + capture_frame
    elapsed = capture_frame - meta.count_in_frames
    if elapsed < 0:
        return meta.start_frame + capture_frame
    length = meta.range_end_frame - meta.range_start_frame
    return meta.range_start_frame + elapsed % length


def _silence(channels: int) -> MonitorSource:
    def source(pos: int, n: int) -> Audio:
        return np.zeros((channels, n), dtype=np.float32)

    return source


def calibration_train(meta: CaptureMeta, channels: int) -> Audio:
    """The calibration impulses, float32 (channels, calibration_frames)."""
    step = meta.calibration_spacing_frames
    train = np.zeros((channels, meta.calibration_frames), dtype=np.float32)
    train[:, step : step * (meta.calibration_repeats + 1) : step] = CALIBRATION_LEVEL
    return train


def monitor_block(
    meta: CaptureMeta, source: MonitorSource, first: int, frames: int, channels: int
) -> Audio:
    """The output (channels, frames) for capture frames ``[first, first + frames)``: the
    calibration impulses first (if any), then the song, following loop wraps."""
    out: list[Audio] = []
    cal = meta.calibration_frames
    if first < cal:
        n = min(frames, cal - first)
        block = calibration_train(meta, channels)[:, first : first + n]
        out.append(block)
        first, frames = first + n, frames - n
        if frames == 0:
            return block
    i = first - cal
    first -= cal
    while i < first + frames:
        pos = song_frame(meta, i)
        n = first + frames - i
        if meta.mode == "loop" and i >= meta.count_in_frames:
            n = min(n, meta.range_end_frame - pos)
        out.append(source(pos, n))
        i += n
    return np.concatenate(out, axis=1) if len(out) > 1 else out[0]


@dataclass(frozen=True)
class RecordResult:
    meta: CaptureMeta
    folder: Path


def record(
    stream: InputStream,
    folder: Path,
    meta: CaptureMeta,
    *,
    monitor: MonitorSource | None = None,
    stop: threading.Event | None = None,
    max_frames: int | None = None,
    block_frames: int = 1024,
    on_block: MeterCallback | None = None,
    started: bool = False,
) -> RecordResult:
    """Record from ``stream`` into a new capture ``folder`` until ``stop`` is set, ``max_frames``
    have been captured, the input ends, the disk fills or the device is lost.

    The capture is on disk as it goes; ``record`` returns its final description (``state``
    says why it ended; ``started``: the caller started the stream). The monitor (mix + click)
    is written to the stream's output block by block, positioned by :func:`monitor_block`.
    With calibration, a take that ends normally is followed by the impulses again (the
    postamble) so the round trip can be checked at both ends.
    """
    writer = CaptureWriter(folder, meta)
    state, message = FINISHED, ""
    postamble = 0
    cal = meta.calibration_frames
    channels = stream.output_channels
    # From output frame `post_from` on, the calibration impulses play again (set at the stop).
    post_from = [-1]

    def output(first: int, n: int) -> Audio:
        start = post_from[0]
        if start < 0 or first + n <= start:
            return monitor_block(meta, monitor or _silence(channels), first, n, channels)
        out = np.zeros((channels, n), dtype=np.float32)
        if first < start:
            out[:, : start - first] = monitor_block(
                meta, monitor or _silence(channels), first, start - first, channels
            )
        lo = max(first, start)
        train = calibration_train(meta, channels)
        seg = train[:, lo - start : first + n - start]
        out[:, lo - first : lo - first + seg.shape[1]] = seg
        return out

    if channels and (monitor is not None or cal):
        stream.set_output(output)
    if not started:
        stream.start()
    try:
        while stop is None or not stop.is_set():
            n = block_frames
            if max_frames is not None:
                n = min(n, max_frames - writer.frames)
                if n <= 0:
                    break
            block = stream.read(n)
            if block.shape[1] == 0:
                break
            if not writer.write(block):
                break  # disk full: the writer has closed the capture as such
            if on_block is not None:
                peak = np.max(np.abs(block), axis=1)
                with np.errstate(divide="ignore"):
                    on_block(20 * np.log10(np.maximum(peak, 1e-10)))
        if cal and channels and writer.ok:
            # The output has run ahead of what was read: the postamble starts after both.
            start = max(writer.frames, stream.output_position) + block_frames
            post_from[0] = start
            while writer.frames < start + cal:
                block = stream.read(min(block_frames, start + cal - writer.frames))
                if block.shape[1] == 0 or not writer.write(block):
                    break
            if writer.frames == start + cal:
                postamble = start
    except DeviceLostError as exc:
        state, message = DEVICE_LOST, f"{exc.message}; kept {writer.frames} frames"
    finally:
        try:
            stream.close()
        finally:
            if stream.xruns and not message:
                message = f"{stream.xruns} dropout(s): latency compensation may be off"
            final = writer.close(
                state=state, message=message, xruns=stream.xruns, postamble_start_frame=postamble
            )
    return RecordResult(final, Path(folder))


def capture_latency(meta: CaptureMeta, audio: Audio) -> int:
    """The round trip to compensate: measured from the calibration preamble when the capture
    has one, else the configured ``meta.latency_frames``."""
    cal = meta.calibration_frames
    if not cal:
        return meta.latency_frames
    return latency_from_impulses(
        audio[:, :cal], meta.sample_rate, meta.calibration_repeats, meta.calibration_spacing_frames
    ).latency_frames


def latency_drift(meta: CaptureMeta, audio: Audio) -> int | None:
    """Round trip after the take minus before it (frames); None without a postamble.

    Anything but 0 means a dropout shifted the output against the input during the take.
    """
    post = meta.postamble_start_frame
    if not meta.calibration_frames or not post:
        return None
    end = latency_from_impulses(
        audio[:, post : post + meta.calibration_frames],
        meta.sample_rate,
        meta.calibration_repeats,
        meta.calibration_spacing_frames,
    ).latency_frames
    return end - capture_latency(meta, audio)


def cut_takes(meta: CaptureMeta, audio: Audio) -> list[TakeAudio]:
    """The takes in a capture (see the module docstring), per track, in pass order.

    ``audio`` is the capture (input channels, frames); each take holds the track's channels.
    """
    lat = capture_latency(meta, audio)
    if meta.postamble_start_frame:
        audio = audio[:, : meta.postamble_start_frame]
    audio = audio[:, meta.calibration_frames :]
    # Compensated: frame j of `aligned` sounds at song frame start_frame + j (loops: wrapped).
    aligned = audio[:, lat:] if lat >= 0 else np.pad(audio, ((0, 0), (-lat, 0)))
    total = aligned.shape[1]
    spans: list[tuple[int, int, int]] = []  # (pass, first aligned frame, song frame)
    if meta.mode == "loop":
        length = meta.range_end_frame - meta.range_start_frame
        k = 0
        first = meta.count_in_frames
        while first < total:
            spans.append((k, first, meta.range_start_frame))
            first += length
            k += 1
        ends = [min(s[1] + length, total) for s in spans]
    elif meta.mode == "punch":
        half = meta.crossfade_frames // 2
        lo = max(meta.range_start_frame - half - meta.start_frame, 0)
        hi = min(meta.range_end_frame - half + meta.crossfade_frames - meta.start_frame, total)
        spans = [(0, lo, meta.start_frame + lo)] if hi > lo else []
        ends = [hi]
    else:
        first = max(meta.range_start_frame - meta.start_frame, 0)
        spans = [(0, first, meta.start_frame + first)] if total > first else []
        ends = [total]
    takes = []
    for (k, first, at), end in zip(spans, ends, strict=True):
        if end <= first:
            continue
        for t in meta.tracks:
            chans = list(t.channels)
            takes.append(TakeAudio(t.track, k, at, np.ascontiguousarray(aligned[chans, first:end])))
    return takes


__all__ = [
    "MeterCallback",
    "MonitorSource",
    "RecordResult",
    "TakeAudio",
    "calibration_train",
    "capture_latency",
    "cut_takes",
    "latency_drift",
    "monitor_block",
    "record",
    "song_frame",
]
