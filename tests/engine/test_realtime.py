"""The real-time driver: the ring buffer between the render thread and the audio callback, and
the renderer thread, against the offline render (a second path to the same samples)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from producer.engine import ArraySink, ArraySource, Sink, compile_song, render_plan
from producer.engine.realtime import Renderer, Ring, Stopped
from producer.errors import RenderError
from producer.model import Clip, EffectSlot, Lane, MediaRef, Song, Track

RATE = 48000


def _consume(ring: Ring, sizes: list[int]) -> np.ndarray:
    """Read the ring the way a callback does (odd sizes, never waiting) until it is done."""
    out: list[np.ndarray] = []
    i = 0
    while True:
        buf = np.full((sizes[i % len(sizes)], ring.channels), np.nan, dtype=np.float32)
        i += 1
        n = ring.read_into(buf)
        if n:
            assert not np.isnan(buf[:n]).any()
            out.append(buf[:n].copy())
        elif ring.finished and ring.available == 0:
            break
        else:
            time.sleep(0.0005)
    return np.concatenate(out).T if out else np.zeros((ring.channels, 0), np.float32)


@settings(max_examples=25, deadline=None)
@given(
    capacity=st.integers(1, 700),
    writes=st.lists(st.integers(0, 900), min_size=1, max_size=12),
    reads=st.lists(st.integers(1, 500), min_size=1, max_size=6),
)
def test_ring_delivers_every_frame_in_order(
    capacity: int, writes: list[int], reads: list[int]
) -> None:
    """Whatever the block sizes and capacity, what is read is exactly what was written."""
    ring = Ring(2, capacity)
    data = np.random.default_rng(capacity).standard_normal((2, sum(writes))).astype(np.float32)

    def producer() -> None:
        pos = 0
        for n in writes:
            ring.write(data[:, pos : pos + n])
            pos += n
        ring.finished = True

    t = threading.Thread(target=producer)
    t.start()
    got = _consume(ring, reads)
    t.join()
    np.testing.assert_array_equal(got, data)


def test_ring_read_never_blocks_and_reports_shortfall() -> None:
    ring = Ring(2, 8)
    buf = np.zeros((4, 2), np.float32)
    assert ring.read_into(buf) == 0  # empty: returns at once
    ring.write(np.ones((2, 3), np.float32))
    assert ring.read_into(buf) == 3 and ring.available == 0


def test_ring_write_gives_up_when_stopped() -> None:
    ring = Ring(1, 4)
    ring.write(np.zeros((1, 4), np.float32))
    threading.Timer(0.05, ring.stop).start()
    with pytest.raises(Stopped):
        ring.write(np.zeros((1, 1), np.float32))  # full, and nobody reads


def test_ring_refuses_the_wrong_channel_count() -> None:
    with pytest.raises(RenderError, match="channels"):
        Ring(2, 4).write(np.zeros((1, 4), np.float32))


def _song(frames: int) -> tuple[Song, dict[str, np.ndarray]]:
    rng = np.random.default_rng(5)
    media = {
        f"m{i}.wav": (0.2 * rng.standard_normal((2, frames))).astype(np.float32) for i in range(3)
    }
    tracks = tuple(
        Track(
            name=f"T{i}",
            lanes=(
                Lane(
                    "l1",
                    clips=(Clip(f"c{i}", MediaRef(p, "0" * 64, RATE, 2, frames), 0, 0, frames),),
                ),
            ),
            active="l1",
            inserts=(
                EffectSlot("eq", {"band2_gain_db": 4.0}),
                EffectSlot("compressor", {"threshold_db": -24.0, "ratio": 4.0}),
            ),
            pan=(i - 1) / 2,
        )
        for i, p in enumerate(media)
    )
    return Song(title="S", slug="s", sample_rate=RATE, tracks=tracks), media


def test_renderer_plays_what_the_offline_render_writes() -> None:
    """The engine rendering into the ring on its thread, read in callback-sized pieces,
    equals the same song rendered offline, sample for sample."""
    frames = RATE
    song, media = _song(frames)
    offline = ArraySink()
    render_plan(compile_song(song, block_frames=4096), ArraySource(media), offline, tail_frames=0)
    plan = compile_song(song, block_frames=4096)
    ring = Ring(2, 3000)  # smaller than a block: the render waits on the reader

    def produce(sink: Sink) -> None:
        render_plan(plan, ArraySource(media), sink, tail_frames=0)

    renderer = Renderer(produce, ring)
    renderer.start()
    got = _consume(ring, [441, 512, 1000])
    renderer.check()
    np.testing.assert_array_equal(got, offline.audio)


def test_renderer_stops_a_render_in_progress_and_reports_errors() -> None:
    song, media = _song(RATE * 4)
    plan = compile_song(song, block_frames=1024)
    ring = Ring(2, 2048)

    def produce(sink: Sink) -> None:
        render_plan(plan, ArraySource(media), sink, tail_frames=0)

    renderer = Renderer(produce, ring)
    renderer.start()
    assert renderer.wait_for(2048, timeout=30)
    renderer.stop()  # nobody reads: the render is waiting on a full ring and must end
    assert ring.finished
    renderer.check()  # stopping is not an error

    def fails(sink: object) -> None:
        raise RenderError("boom")

    broken = Renderer(fails, Ring(2, 16))
    broken.start()
    with pytest.raises(RenderError, match="boom"):
        broken.wait_for(16, timeout=5)
