"""The numpy reference of take lanes and comps: the definition the engine's clip sum must match.

Test-only: the product renders comps in one place, the engine (``producer.engine.render_clip_sum``,
which review and ``render_track_takes`` use); this independent, sample-exact restatement of the
rules checks it.

A comp is a list of contiguous segments ``[start_frame, end_frame)`` each taken from one take
lane. Segments meet at their boundary (the seam). At every seam a crossfade of
``n = crossfade_frames`` frames is centred on it: it covers song frames
``[seam - n // 2, seam - n // 2 + n)``, where frame ``seam - n // 2 + k`` (``k = 0 … n-1``) is

    out = prev * cos(π/2 · x) + next * sin(π/2 · x),   x = k / (n − 1)   (n = 1: x = 0.5)

an equal-power crossfade: cos² + sin² = 1, so uncorrelated takes keep their power through the
seam. The positions ``x`` are those of ``producer.dsp.fades``, which the engine uses (the first
crossfade frame is all ``prev``, the last all ``next``). Before the first segment and after the last the comp is silent, with no fade (hard
edges); a segment must be at least ``n`` frames long so that crossfades never overlap.

A lane plays the sum of its clips: clip ``c`` puts media frames
``[c.source_start_frame, c.source_start_frame + c.length_frames)`` at song frames
``[c.start_frame, c.end_frame)``, times ``10 ** (c.gain_db / 20)``. Take clips written by
tracking carry no fades; this reference refuses clips that do (the engine's fade curves are
``producer.dsp.fades``), so it never silently differs from the engine.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from producer.audio import Audio
from producer.dsp.fades import fade_in_curve, fade_out_curve
from producer.model import Comp, FadeShape, Lane, MediaRef, Track
from producer.units import db_to_gain

#: Loads a media file as float32 (channels, frames).
MediaLoader = Callable[[MediaRef], Audio]


def crossfade_curves(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(fade_out, fade_in) of an ``n``-frame equal-power crossfade, float64 ``(n,)``: the
    curves of ``producer.dsp.fades``, which the engine plays."""
    return (
        fade_out_curve(FadeShape.EQUAL_POWER, n).astype(np.float64),
        fade_in_curve(FadeShape.EQUAL_POWER, n).astype(np.float64),
    )


def render_lane(
    lane: Lane, load: MediaLoader, start_frame: int, frames: int, channels: int
) -> Audio:
    """Song frames ``[start_frame, start_frame + frames)`` of ``lane``: float32 (channels, frames)."""
    out = np.zeros((channels, frames), dtype=np.float64)
    end = start_frame + frames
    for clip in lane.clips:
        if clip.fade_in.length_frames or clip.fade_out.length_frames:
            raise ValueError(f"clip {clip.id}: the reference renderer takes clips without fades")
        lo = max(clip.start_frame, start_frame)
        hi = min(clip.end_frame, end)
        if hi <= lo:
            continue
        media = load(clip.media)
        src = clip.source_start_frame + (lo - clip.start_frame)
        seg = media[:, src : src + (hi - lo)]
        gain = db_to_gain(clip.gain_db)
        if seg.shape[0] == 1 and channels > 1:
            seg = np.repeat(seg, channels, axis=0)
        out[:, lo - start_frame : lo - start_frame + seg.shape[1]] += gain * seg[:channels]
    return out.astype(np.float32)


def render_comp(
    track: Track, load: MediaLoader, start_frame: int, frames: int, channels: int
) -> Audio:
    """Song frames ``[start_frame, start_frame + frames)`` of ``track.comp``: (channels, frames)."""
    comp = track.comp if track.comp is not None else Comp()
    lanes = {lane.id: lane for lane in track.lanes}
    n = comp.crossfade_frames
    fade_out, fade_in = crossfade_curves(n)
    out = np.zeros((channels, frames), dtype=np.float64)
    segs = comp.segments
    for i, seg in enumerate(segs):
        lo = seg.start_frame - (n // 2 if i > 0 and n else 0)
        hi = seg.end_frame + (n - n // 2 if i < len(segs) - 1 and n else 0)
        part = render_lane(lanes[seg.lane], load, lo, hi - lo, channels).astype(np.float64)
        if i > 0 and n:
            part[:, :n] *= fade_in
        if i < len(segs) - 1 and n:
            part[:, -n:] *= fade_out
        a, b = max(lo, start_frame), min(hi, start_frame + frames)
        if b > a:
            out[:, a - start_frame : b - start_frame] += part[:, a - lo : b - lo]
    return out.astype(np.float32)


__all__ = ["MediaLoader", "crossfade_curves", "render_comp", "render_lane"]
