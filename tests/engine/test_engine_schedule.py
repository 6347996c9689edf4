"""The engine's scheduler: (strip, block) tasks run as their inputs are ready, on any number of
threads, and the result never depends on it.

* the same song renders bit-identically on 1, 2 and 3 threads and at any block size (a bus
  sums its feeds in the plan's order, whatever order they finish in);
* ``render_blocks`` hands out the mix block by block on the timeline: the blocks follow each
  other, join into what ``render_plan`` writes, and the strips never run more than
  ``LOOKAHEAD_BLOCKS`` ahead of the block handed out; closing the generator stops the helpers;
* an effect that fails stops the render with its error, sinks aborted, no helper left running.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from engine_standins import StandInEffects

from producer.audio import Audio
from producer.engine import (
    LOOKAHEAD_BLOCKS,
    ArraySink,
    ArraySource,
    bus_id,
    compile_song,
    render_blocks,
    render_plan,
    track_id,
)
from producer.model import Bus, Clip, EffectSlot, Lane, MediaRef, ParamValue, Send, Song, Track

RATE = 48000
F = npt.NDArray[np.float32]


def _media(n: int) -> dict[str, F]:
    rng = np.random.default_rng(7)
    return {
        f"m{i}.wav": rng.uniform(-0.4, 0.4, (1 if i % 3 == 0 else 2, n + 500 * i)).astype(
            np.float32
        )
        for i in range(6)
    }


def _song(media: Mapping[str, F]) -> Song:
    """Six tracks (mono and stereo, one plain), sends into two buses, a bus into a bus, a
    latent insert (compensated), a sidechain ducker keyed by a track, a master insert."""
    tracks = []
    for i, (path, a) in enumerate(media.items()):
        ref = MediaRef(path, "0" * 64, RATE, a.shape[0], a.shape[1])
        kw: dict[str, Any] = {"gain_db": -3.0 - i, "pan": (i - 2.5) / 3.0}
        if i == 1:
            kw["inserts"] = (EffectSlot("latent", {"delay_frames": 300}),)
        if i == 2:
            kw["inserts"] = (EffectSlot("duck", {"depth": 0.8}, sidechain="T0"),)
        if i in (1, 2, 4):
            kw["sends"] = (Send("Echo" if i % 2 else "Room", level_db=-6.0),)
        if i == 5:
            kw["output"] = "Group"
        tracks.append(
            Track(
                name=f"T{i}",
                lanes=(Lane("l", clips=(Clip(f"c{i}", ref, 100 * i, 0, a.shape[1]),)),),
                active="l",
                **kw,
            )
        )
    buses = (
        Bus("Echo", inserts=(EffectSlot("echo", {"delay_frames": 700, "feedback": 0.5}),)),
        Bus("Room", inserts=(EffectSlot("latent", {"delay_frames": 64}),), output="Group"),
        Bus("Group", gain_db=-1.0),
    )
    master = Bus("master", output="", inserts=(EffectSlot("gain", {"gain_db": -2.0}),))
    return Song(
        title="S", slug="s", sample_rate=RATE, tracks=tuple(tracks), buses=buses, master=master
    )


STEMS = (track_id("T0"), track_id("T2"), bus_id("Echo"), bus_id("Group"))


def _render(song: Song, media: Mapping[str, F], block: int, threads: int) -> dict[str, F]:
    plan = compile_song(song, StandInEffects(), block_frames=block)
    mix = ArraySink()
    stems = {k: ArraySink() for k in STEMS}
    render_plan(plan, ArraySource(media), mix, stems, tail_frames=2000, threads=threads)
    return {"mix": mix.audio, **{k: v.audio for k, v in stems.items()}}


def test_any_thread_count_and_block_size_give_the_same_samples() -> None:
    media = _media(20000)
    song = _song(media)
    first = _render(song, media, 4096, 1)
    assert first["mix"].shape[1] > 22000 and np.abs(first["mix"]).max() > 0.1
    for block, threads in [(4096, 2), (4096, 3), (1000, 2), (333, 3), (65536, 2)]:
        got = _render(song, media, block, threads)
        for k, v in first.items():
            np.testing.assert_array_equal(got[k], v, err_msg=f"{k} at {block}/{threads}")


class _Recording(ArraySource):
    """An ArraySource remembering the furthest frame it was asked for."""

    def __init__(self, arrays: Mapping[str, F]) -> None:
        super().__init__(arrays)
        self.furthest = 0
        self.lock = threading.Lock()

    def read(self, ref: MediaRef, start_frame: int, frames: int) -> Audio:
        with self.lock:
            self.furthest = max(self.furthest, start_frame + frames)
        return super().read(ref, start_frame, frames)


def _engine_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("producer-engine")]


def test_render_blocks_is_the_render_block_by_block() -> None:
    media = _media(20000)
    song = _song(media)
    block = 1000
    plan = compile_song(song, StandInEffects(), block_frames=block)
    whole = ArraySink()
    render_plan(plan, ArraySource(media), whole, tail_frames=0, threads=2)

    plan = compile_song(song, StandInEffects(), block_frames=block)
    assert plan.latency_frames == 300  # the longest path: the latent track's (Room's 64 is less)
    source = _Recording(media)
    blocks = render_blocks(plan, source, start_frame=0, end_frame=whole.audio.shape[1], threads=2)
    parts = []
    frame = 0
    for k, b in enumerate(blocks):
        assert b.frame == frame and b.mix.shape[0] == 2 and not b.stems
        parts.append(b.mix)
        frame += b.mix.shape[1]
        # Bounded run-ahead: the strips read at most LOOKAHEAD_BLOCKS blocks past this one.
        assert source.furthest <= (k + 1 + LOOKAHEAD_BLOCKS) * block
    # The first block is shorter by the latency (rendered and dropped), the last by the end.
    sizes = [p.shape[1] for p in parts]
    assert sizes[0] == block - plan.latency_frames and set(sizes[1:-1]) == {block}
    np.testing.assert_array_equal(np.concatenate(parts, axis=1), whole.audio)
    assert not _engine_threads()


def test_closing_render_blocks_stops_its_threads() -> None:
    media = _media(200000)
    plan = compile_song(_song(media), StandInEffects(), block_frames=1000)
    blocks = render_blocks(plan, ArraySource(media), start_frame=5000, end_frame=150000)
    first = next(blocks)
    assert first.frame == 5000
    assert _engine_threads()  # a helper is working ahead
    blocks.close()
    assert not _engine_threads()


class _Failing(StandInEffects):
    """Stand-ins, and a "gain" that fails at its third block."""

    def create(
        self,
        kind: str,
        params: Mapping[str, ParamValue],
        sample_rate: int,
        channels: int,
        max_block_frames: int,
    ) -> Any:
        unit = super().create(kind, params, sample_rate, channels, max_block_frames)
        if kind != "gain":
            return unit
        calls = [0]
        process = unit.process

        def failing(audio: Audio) -> Audio:
            calls[0] += 1
            if calls[0] == 3:
                raise RuntimeError("the unit broke")
            return process(audio)

        unit.process = failing  # type: ignore[method-assign]
        return unit


def test_a_failing_effect_stops_the_render_with_its_error() -> None:
    media = _media(20000)
    plan = compile_song(_song(media), _Failing(), block_frames=1000)
    mix = ArraySink()
    with pytest.raises(RuntimeError, match="the unit broke"):
        render_plan(plan, ArraySource(media), mix, tail_frames=0, threads=3)
    assert mix.audio.shape[1] == 0  # aborted: nothing kept
    assert not _engine_threads()
