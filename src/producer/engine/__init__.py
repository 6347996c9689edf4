"""The mix engine: a Song and its media in, audio out, block by block in bounded memory.

``compile_song`` turns the model into a ``Plan`` (what plays, processors from the effect
catalog, bus order, latency compensation); ``render_plan`` runs the block loop into sinks (the
mix and optional stems); ``render_song`` does both. The engine never opens project files: a
``MediaSource`` is handed in (``ArraySource`` for arrays), and so are the sinks (``FileSink``,
``ArraySink``).
"""

from __future__ import annotations

from collections.abc import Mapping

from producer.engine.plan import (
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
    MAX_TAIL_S,
    PARAM_STEP_FRAMES,
    SILENCE_GAIN,
    SILENCE_HOLD_S,
    Progress,
    RenderResult,
    lane_values,
    render_plan,
)
from producer.engine.sinks import BIT_DEPTHS, FORMATS, ArraySink, FileSink, Sink
from producer.engine.source import ArraySource, MediaSource
from producer.model import Song


def render_song(
    song: Song,
    source: MediaSource,
    mix: Sink,
    stems: Mapping[str, Sink] | None = None,
    *,
    effects: Effects | None = None,
    fade_curve: FadeCurve | None = None,
    block_frames: int = 16384,
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


__all__ = [
    "BIT_DEPTHS",
    "FORMATS",
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
    "Sink",
    "StripPlan",
    "bus_id",
    "compile_song",
    "lane_values",
    "render_plan",
    "render_song",
    "track_id",
]
