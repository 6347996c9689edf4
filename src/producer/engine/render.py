"""The block loop: clips → track strips → sends/buses → master → sinks, in bounded memory.

The render is a stream of blocks of ``block_frames`` frames. Every (strip, block) is one task
(``StripRunner.run_strip``, see ``producer.engine.strip``); a task may run once the strip has
finished the block before (its state runs in block order) and every strip it depends on —
what feeds it and the sidechain keys it listens to — has finished this block. Tasks run on
``threads`` threads (the caller's and ``threads − 1`` helpers) as soon as they are ready,
lowest block first, with no barrier between waves or blocks: the tracks of the next block
run while the master finishes this one. numpy, soundfile and pedalboard release the GIL.

Results do not depend on thread timing or thread count: a bus sums its feeds itself, in the
fixed order of the plan's strips (each feeder's main output, then its sends), whatever order
they finished in.

Memory holds ``lookahead`` blocks per strip (the strips may run that far ahead of the block
being written) plus the compensation delays: nothing grows with the song's length.

Two ways to drive it:

* ``render_plan`` writes the mix and stems into sinks, with the automatic tail;
* ``render_blocks`` yields the mix (and stems) block by block on the timeline — a range of
  frames for a real-time driver, which pulls the next block when it needs it (stop by closing
  the generator).
"""

from __future__ import annotations

import collections
import heapq
import threading
from collections.abc import Callable, Collection, Generator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from producer import allocator
from producer.audio import Audio
from producer.engine.plan import MASTER_ID, Plan
from producer.engine.sinks import Sink
from producer.engine.source import MediaSource
from producer.engine.strip import PARAM_STEP_FRAMES, StripOut, StripRunner, lane_values
from producer.errors import RenderError

#: A tail is over when every output stays below this level (−100 dBFS: under a dithered
#: 16-bit floor; JUCE's Freeverb holds its decay near −118 dBFS for ever, so −120 dBFS would
#: run every reverb to MAX_TAIL_S) ...
SILENCE_GAIN = 1e-5
#: ... for this long (seconds).
SILENCE_HOLD_S = 0.5
#: An automatic tail stops here however long the effects ring (seconds).
MAX_TAIL_S = 30.0
#: Blocks the strips may run ahead of the block being handed out.
LOOKAHEAD_BLOCKS = 2

Progress = Callable[[int, int], None]
"""``progress(frames_done, frames_expected)``, called after every block."""


@dataclass(frozen=True)
class RenderResult:
    frames: int
    """Frames written to every sink."""
    latency_frames: int
    """Pre-roll rendered and dropped to compensate the master path's latency."""
    tail_frames: int
    """Frames written after the song's end (or ``end_frame``)."""
    peak: float
    """Largest absolute sample of the mix."""


@dataclass(frozen=True)
class RenderedBlock:
    """One block of output on the timeline: frames ``[frame, frame + mix.shape[1])``."""

    frame: int
    mix: Audio
    """The master's output, float32 (2, n)."""
    stems: Mapping[str, Audio]
    """Strip id → its stem, (2, n), for the stems asked for."""


class _Pipeline:
    """The (strip, block) tasks of one render, run as they become ready; yields the master's
    blocks in order, ``(mix, stems)`` for render positions ``[j·block, …)``."""

    def __init__(
        self,
        plan: Plan,
        source: MediaSource,
        start_frame: int,
        total: int,
        stems: Collection[str],
        threads: int,
        lookahead: int = LOOKAHEAD_BLOCKS,
    ) -> None:
        self.plan = plan
        self.runner = StripRunner(plan, source, start_frame, bool(stems))
        self.stems = list(stems)
        self.threads = max(1, threads)
        self.lookahead = max(1, lookahead)
        self.block = plan.block_frames
        self.total = total
        self.nblocks = -(-total // self.block)
        strips = plan.strips
        self.order = [sid for wave in plan.waves for sid in wave]
        self.rank = {sid: i for i, sid in enumerate(self.order)}
        # What each strip sums at its input, in the plan's order (a fixed summation order).
        self.feeders: dict[str, list[str]] = {sid: [] for sid in self.order}
        for sid in self.order:
            s = strips[sid]
            for dest in dict.fromkeys([s.output, *(x.dest for x in s.sends)]):
                if dest:
                    self.feeders[dest].append(sid)
        self.keys = {
            sid: [ins.sidechain for ins in strips[sid].inserts if ins.sidechain]
            for sid in self.order
        }
        self.deps = {sid: sorted(strips[sid].deps, key=self.rank.__getitem__) for sid in self.order}
        self.dependents: dict[str, list[str]] = {sid: [] for sid in self.order}
        for sid in self.order:
            for d in self.deps[sid]:
                self.dependents[d].append(sid)
        # Scheduling state, guarded by ``cond``.
        self.cond = threading.Condition()
        self.done = dict.fromkeys(self.order, 0)  # blocks finished per strip
        self.busy: set[str] = set()  # queued or running
        self.ready: list[tuple[int, int, str]] = []  # heap of (block, rank, strip)
        self.outs: dict[int, dict[str, StripOut]] = collections.defaultdict(dict)
        self.handed = 0  # blocks handed out to the consumer
        self.error: BaseException | None = None
        self.stop = False

    # ------------------------------------------------------------------ scheduling

    def _offer(self, sids: Collection[str]) -> None:
        """Queue the next block of each of ``sids`` that can run now (``cond`` held)."""
        for sid in sids:
            j = self.done[sid]
            if (
                sid in self.busy
                or j >= self.nblocks
                or j >= self.handed + self.lookahead
                or any(self.done[d] <= j for d in self.deps[sid])
            ):
                continue
            self.busy.add(sid)
            heapq.heappush(self.ready, (j, self.rank[sid], sid))
        if self.ready:
            self.cond.notify(len(self.ready))

    def _take(self, until_master: int | None) -> tuple[int, str] | None:
        """The next task, waiting for one; None when there is nothing to wait for: the render
        stopped, or (the consumer) block ``until_master`` of the master is done."""
        with self.cond:
            while True:
                if self.error is not None or self.stop:
                    return None
                if until_master is not None and self.done[MASTER_ID] > until_master:
                    return None
                if self.ready:
                    j, _, sid = heapq.heappop(self.ready)
                    return j, sid
                self.cond.wait()

    def _run(self, j: int, sid: str) -> None:
        """Task (``sid``, block ``j``): sum its inputs, run the strip, publish the result."""
        try:
            with self.cond:
                outs = self.outs[j]
            p0 = j * self.block
            n = min(self.block, self.total - p0)
            x = self._input(sid, outs)
            keys = {k: _present(outs[k].key) for k in self.keys[sid]}
            out = self.runner.run_strip(self.plan.strips[sid], x, p0, n, keys)
        except BaseException as exc:
            with self.cond:
                if self.error is None:
                    self.error = exc
                self.cond.notify_all()
            return
        with self.cond:
            outs[sid] = out
            self.done[sid] = j + 1
            self.busy.discard(sid)
            self._offer([sid, *self.dependents[sid]])
            if sid == MASTER_ID:
                self.cond.notify_all()  # the consumer waits for the master

    def _input(self, sid: str, outs: Mapping[str, StripOut]) -> Audio | None:
        """The sum of what feeds ``sid`` in this block, (2, n); None when nothing does."""
        acc: Audio | None = None
        for f in self.feeders[sid]:
            o = outs[f]
            for dest, sig in [(self.plan.strips[f].output, o.main), *o.sends]:
                if dest != sid or sig is None:
                    continue
                if acc is None:
                    # The feeder's fresh array becomes the sum; a copy only where it is shared
                    # (a key or stem), so the in-place adds touch nothing else.
                    shared = sig is o.key or sig is o.stem
                    acc = np.array(sig, order="K") if shared else sig
                else:
                    np.add(acc, sig, out=acc)
        return acc

    def _helper(self) -> None:
        while True:
            task = self._take(None)
            if task is None:
                return
            self._run(*task)

    # ------------------------------------------------------------------ consuming

    def blocks(self) -> Generator[tuple[Audio, dict[str, Audio]], None, None]:
        helpers = [
            threading.Thread(target=self._helper, name=f"producer-engine-{i}", daemon=True)
            for i in range(self.threads - 1)
        ]
        with self.cond:
            self._offer(self.order)
        for t in helpers:
            t.start()
        try:
            for j in range(self.nblocks):
                # The caller's thread works too while it waits for the master's block j.
                while (task := self._take(j)) is not None:
                    self._run(*task)
                with self.cond:
                    if self.error is not None:
                        raise self.error
                    outs = self.outs.pop(j)
                    self.handed = j + 1
                    self._offer(self.order)  # the lookahead window moved on
                master = outs[MASTER_ID].main
                n = min(self.block, self.total - j * self.block)
                mix = master if master is not None else np.zeros((2, n), dtype=np.float32)
                yield mix, {k: _present(outs[k].stem) for k in self.stems}
        finally:
            with self.cond:
                self.stop = True
                self.cond.notify_all()
            for t in helpers:
                t.join()


def _present(x: Audio | None) -> Audio:
    """A key or stem the runner made because it was asked for."""
    assert x is not None
    return x


def _check_stems(plan: Plan, stems: Collection[str]) -> None:
    unknown = [k for k in stems if k not in plan.strips or k == MASTER_ID]
    if unknown:
        raise RenderError(f"no strip {unknown[0]!r} to take a stem from")


def render_blocks(
    plan: Plan,
    source: MediaSource,
    *,
    start_frame: int = 0,
    end_frame: int | None = None,
    stems: Collection[str] = (),
    threads: int = 2,
) -> Generator[RenderedBlock, None, None]:
    """The mix of timeline frames ``[start_frame, end)`` block by block, in order.

    ``end`` is ``end_frame`` or the song's last clip. Blocks hold at most ``plan.block_frames``
    frames (the first is shorter by the master's latency, which is rendered and dropped), and
    their ``frame`` fields follow each other without gaps. A real-time driver compiles with
    short blocks and pulls the next one as it needs it; the strips run at most
    ``LOOKAHEAD_BLOCKS`` ahead. The thread that pulls does rendering work too (it is one of
    the ``threads``): pull from a thread of the driver's, not from the audio device's
    callback, and hand blocks over through a queue. Closing the generator stops the render
    and its threads.
    """
    _check_stems(plan, stems)
    allocator.keep_freed_blocks()  # blocks of a few hundred kB per strip, freed every block
    end = plan.end_frame if end_frame is None else end_frame
    body = max(0, end - start_frame)
    skip = plan.latency_frames
    frame = start_frame
    pipeline = _Pipeline(plan, source, start_frame, skip + body, stems, threads).blocks()
    try:
        for mix, stem_blocks in pipeline:
            n = mix.shape[1]
            if skip >= n:
                skip -= n
                continue
            if skip:
                mix = mix[:, skip:]
                stem_blocks = {k: v[:, skip:] for k, v in stem_blocks.items()}
                skip = 0
            yield RenderedBlock(frame, mix, stem_blocks)
            frame += mix.shape[1]
    finally:
        pipeline.close()  # stops the helper threads at once


def _peak(x: Audio) -> float:
    return max(float(x.max()), -float(x.min())) if x.size else 0.0


def render_plan(
    plan: Plan,
    source: MediaSource,
    mix: Sink,
    stems: Mapping[str, Sink] | None = None,
    *,
    start_frame: int = 0,
    end_frame: int | None = None,
    tail_frames: int | None = None,
    threads: int = 2,
    progress: Progress | None = None,
) -> RenderResult:
    """Render ``plan`` into ``mix`` (stereo) and optional ``stems`` (strip id → sink).

    The output covers timeline frames ``[start_frame, end)`` where ``end`` is ``end_frame`` or
    the song's last clip, then ``tail_frames`` more (default: with no ``end_frame``, until every
    output has stayed below −100 dBFS for ``SILENCE_HOLD_S``, at most ``MAX_TAIL_S``; the silent
    run itself is not written). Sinks are closed on success and aborted on failure.
    """
    stems = dict(stems or {})
    _check_stems(plan, stems)
    sinks: list[Sink] = [mix, *stems.values()]
    # Sinks are written on a thread of their own (in order, at most a few blocks behind), so
    # encoding the output overlaps the processing of the next block.
    writer = _Writer()
    try:
        result = _render(
            plan,
            source,
            writer.wrap(mix),
            {k: writer.wrap(v) for k, v in stems.items()},
            start_frame,
            end_frame,
            tail_frames,
            threads,
            progress,
        )
        writer.flush()
    except BaseException:
        writer.shutdown()
        for sink in sinks:
            sink.abort()
        raise
    writer.shutdown()
    for sink in sinks:
        sink.close()
    return result


class _Writer:
    """One background thread writing blocks to sinks in submission order; bounded backlog."""

    MAX_PENDING = 4

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="producer-writer")
        self.pending: collections.deque[Future[None]] = collections.deque()

    def submit(self, sink: Sink, audio: Audio) -> None:
        self.pending.append(self.pool.submit(sink.write, audio))
        while len(self.pending) > self.MAX_PENDING:
            self.pending.popleft().result()  # re-raises a write error here

    def flush(self) -> None:
        while self.pending:
            self.pending.popleft().result()

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.pending.clear()

    def wrap(self, sink: Sink) -> Sink:
        return _QueuedSink(self, sink)


class _QueuedSink:
    def __init__(self, writer: _Writer, sink: Sink) -> None:
        self.writer = writer
        self.sink = sink

    def write(self, audio: Audio) -> None:
        self.writer.submit(self.sink, audio)

    def close(self) -> None:
        pass  # render_plan closes the real sinks after the last write

    def abort(self) -> None:
        pass


def _render(
    plan: Plan,
    source: MediaSource,
    mix: Sink,
    stems: dict[str, Sink],
    start_frame: int,
    end_frame: int | None,
    tail_frames: int | None,
    threads: int,
    progress: Progress | None,
) -> RenderResult:
    rate = plan.sample_rate
    end = plan.end_frame if end_frame is None else end_frame
    body = max(0, end - start_frame)
    auto_tail = tail_frames is None and end_frame is None
    tail = tail_frames if tail_frames is not None else (int(MAX_TAIL_S * rate) if auto_tail else 0)
    hold = int(SILENCE_HOLD_S * rate)
    expected = body + (0 if auto_tail else tail)
    written = 0
    peak = 0.0
    # Auto tail: silent frames after the end are held back and written only when sound follows.
    pending: list[tuple[Audio, Mapping[str, Audio]]] = []
    pending_frames = 0

    def emit(mix_block: Audio, stem_blocks: Mapping[str, Audio]) -> bool:
        """Write one block of output frames; False when the tail has ended."""
        nonlocal written, pending_frames, peak
        n = mix_block.shape[1]
        if not auto_tail or written + pending_frames + n <= body:
            mix.write(mix_block)
            for k, sink in stems.items():
                sink.write(stem_blocks[k])
            written += n
            peak = max(peak, _peak(mix_block))
            return True
        # Frames at or after the song end: find the last one above the silence level.
        level = np.max(np.abs(mix_block), axis=0)
        for b in stem_blocks.values():
            level = np.maximum(level, np.max(np.abs(b), axis=0))
        first_tail = max(0, body - written - pending_frames)
        loud = np.nonzero(level[first_tail:] > SILENCE_GAIN)[0]
        cut = first_tail + (int(loud[-1]) + 1 if loud.size else 0)
        if cut > 0:
            for pm, ps in pending:
                mix.write(pm)
                for k, sink in stems.items():
                    sink.write(ps[k])
                written += pm.shape[1]
            pending.clear()
            pending_frames = 0
            mix.write(mix_block[:, :cut])
            for k, sink in stems.items():
                sink.write(stem_blocks[k][:, :cut])
            written += cut
            peak = max(peak, _peak(mix_block[:, :cut]))
        if cut < n:
            pending.append((mix_block[:, cut:], {k: v[:, cut:] for k, v in stem_blocks.items()}))
            pending_frames += n - cut
        return pending_frames < hold

    blocks = render_blocks(
        plan,
        source,
        start_frame=start_frame,
        end_frame=start_frame + body + tail,
        stems=list(stems),
        threads=threads,
    )
    try:
        for block in blocks:
            more = emit(block.mix, block.stems)
            if progress is not None:  # every block, the last one too
                progress(written + pending_frames, max(expected, written + pending_frames))
            if not more:
                break
    finally:
        blocks.close()
    return RenderResult(written, plan.latency_frames, max(0, written - body), peak)


__all__ = [
    "LOOKAHEAD_BLOCKS",
    "MAX_TAIL_S",
    "PARAM_STEP_FRAMES",
    "SILENCE_GAIN",
    "SILENCE_HOLD_S",
    "Progress",
    "RenderResult",
    "RenderedBlock",
    "lane_values",
    "render_blocks",
    "render_plan",
]
