"""The mix engine: a Song and its media in, audio out, block by block in bounded memory.

``compile_song`` turns the model into a ``Plan`` (what plays, processors from the effect
catalog, bus order, latency compensation); ``render_plan`` runs the block loop into sinks (the
mix and optional stems); ``render_song`` does both. ``render_blocks`` yields the mix block by
block instead (a real-time driver pulls it). ``render_clip_sum`` is what one track plays
before its strip: the one renderer of take lanes and comps. The engine never opens project
files: a ``MediaSource`` is handed in (``ArraySource`` for arrays), and so are the sinks
(``FileSink``, ``ArraySink``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from producer.audio import Audio
from producer.engine.plan import (
    DEFAULT_BLOCK_FRAMES,
    MASTER_ID,
    CatalogEffects,
    Effects,
    FadeCurve,
    Plan,
    StripPlan,
    bus_id,
    compile_song,
    track_id,
)
from producer.engine.render import (
    LOOKAHEAD_BLOCKS,
    MAX_TAIL_S,
    SILENCE_GAIN,
    SILENCE_HOLD_S,
    Progress,
    RenderedBlock,
    RenderResult,
    render_blocks,
    render_plan,
)
from producer.engine.sinks import BIT_DEPTHS, FORMATS, ArraySink, FileSink, Sink
from producer.engine.source import ArraySource, MediaSource
from producer.engine.strip import PARAM_STEP_FRAMES, StripRunner, lane_values
from producer.errors import NotFoundError
from producer.model import MASTER, Bus, Song


def render_song(
    song: Song,
    source: MediaSource,
    mix: Sink,
    stems: Mapping[str, Sink] | None = None,
    *,
    effects: Effects | None = None,
    fade_curve: FadeCurve | None = None,
    block_frames: int = DEFAULT_BLOCK_FRAMES,
    start_frame: int = 0,
    end_frame: int | None = None,
    tail_frames: int | None = None,
    threads: int = 2,
    progress: Progress | None = None,
) -> RenderResult:
    """Compile and render ``song``; stems are keyed by ``track_id(name)`` / ``bus_id(name)``."""
    plan = compile_song(song, effects, fade_curve=fade_curve, block_frames=block_frames)
    return render_plan(
        plan,
        source,
        mix,
        stems,
        start_frame=start_frame,
        end_frame=end_frame,
        tail_frames=tail_frames,
        threads=threads,
        progress=progress,
    )


def render_clip_sum(
    song: Song,
    track: str,
    source: MediaSource,
    start_frame: int,
    frames: int,
    *,
    lane: str | None = None,
    fade_curve: FadeCurve | None = None,
) -> Audio:
    """What track ``track`` plays at timeline frames ``[start_frame, start_frame + frames)``
    before its strip (no polarity, inserts, fader or pan): float32 (channels, frames).

    The clip sum of its active lane — or of lane ``lane`` — or its comp: clip gains, fades, the
    automatic crossfades of overlapping clips and the comp's seam crossfades, exactly as the
    mix plays them. A mono track gives (1, frames); silence where nothing plays.
    """
    t = song.track(track)
    if t is None:
        raise NotFoundError(f"song {song.slug!r}: no track {track!r}")
    if lane is not None:
        if all(x.id != lane for x in t.lanes):
            raise NotFoundError(f"track {track!r}: no lane {lane!r}")
        t = replace(t, active=lane)
    # Only the track's sources: no effects are created, nothing is routed.
    bare = replace(t, inserts=(), sends=(), automation=(), output=MASTER, mute=False, solo=False)
    alone = replace(song, tracks=(bare,), buses=(), master=Bus(MASTER, output=""))
    plan = compile_song(alone, fade_curve=fade_curve, block_frames=max(1, frames))
    strip = plan.strips[track_id(track)]
    runner = StripRunner(plan, source, start_frame, stems=False)
    out = runner.clip_sum(strip, start_frame, frames)
    if out is None:
        return np.zeros((strip.channels, frames), dtype=np.float32)
    return np.ascontiguousarray(out, dtype=np.float32)


__all__ = [
    "BIT_DEPTHS",
    "DEFAULT_BLOCK_FRAMES",
    "FORMATS",
    "LOOKAHEAD_BLOCKS",
    "MASTER_ID",
    "MAX_TAIL_S",
    "PARAM_STEP_FRAMES",
    "SILENCE_GAIN",
    "SILENCE_HOLD_S",
    "ArraySink",
    "ArraySource",
    "CatalogEffects",
    "Effects",
    "FadeCurve",
    "FileSink",
    "MediaSource",
    "Plan",
    "Progress",
    "RenderResult",
    "RenderedBlock",
    "Sink",
    "StripPlan",
    "bus_id",
    "compile_song",
    "lane_values",
    "render_blocks",
    "render_clip_sum",
    "render_plan",
    "render_song",
    "track_id",
]
