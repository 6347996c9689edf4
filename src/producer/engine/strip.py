"""One strip, one block: clips → polarity → inserts → fader, pan, mute → output and sends.

``StripRunner.run_strip`` renders block ``[p0, p0 + n)`` of one track or bus; the scheduler
(``producer.engine.render``) calls it for every strip and block once the strip's inputs (the
feeds summed into a bus, the sidechain keys) are ready, and never for two blocks of one strip
at once: a strip's state (delay lines, effect memories) runs in block order.

A strip runs: source (clip sum, or the bus input) → polarity → inserts → fader (gain_db) → pan
→ mute/solo → output; sends tap the panned signal before or after the fader, with their own
level_db, and are silenced with the strip. Pan laws (``producer.units``): a mono strip is
panned with the constant-power sin/cos law (left = cos((p+1)·π/4), right = sin((p+1)·π/4)),
a stereo strip's pan is a balance (p < 0 scales the right by 1 + p, p > 0 the left by 1 − p).

Automation of gain_db, pan, mute and send levels is sample-accurate (gains interpolated in dB,
then converted per sample). The fader (``gain_db``) and a send's ``level_db`` trim their lanes:
they are added, in dB, to the lane's values (a DAW's trim), so neither is ever inactive. Effect
parameters are set through ``set_param`` every 64 frames (sub-blocks aligned to the render
start, so the result does not depend on the block size). A clip of more than two channels is
folded down to the track's (``producer.dsp.downmix``).

``clip_sum`` is a track's source before the strip — its active lane or comp with clip gains,
fades and seam crossfades — the one comp renderer that review and tests use too.

Fast paths, each bit-identical to the general one (tests/engine/test_engine_fast_paths.py):
with a source offering raw samples (``RawMediaSource``), a block that one clip plays as it is
is read as int16 and converted in the pass that applies the strip's gains (plain strips) or
in a transposing cast to the C-contiguous block pedalboard wants (strips with inserts); only
automated inserts run in 64-frame sub-blocks, the rest of the chain takes the whole block.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from producer.audio import Audio
from producer.dsp.downmix import fold_down
from producer.dsp.effects import PEDALBOARD_BUFFER_FRAMES
from producer.engine.plan import MASTER_ID, ClipPlan, InsertPlan, Plan, Region, StripPlan
from producer.engine.source import MediaSource, RawMediaSource
from producer.errors import RenderError
from producer.model import AutomationLane, Interpolation
from producer.units import balance_pan, constant_power_pan, db_to_gain

#: Effect parameters change at least this often (frames).
PARAM_STEP_FRAMES = 64

F64 = npt.NDArray[np.float64]


def lane_values(lane: AutomationLane, t0: int, n: int) -> F64:
    """Values of ``lane`` at timeline frames ``[t0, t0 + n)``, shape (n,), float64.

    Linear interpolation between points in the parameter's unit; the first value holds before
    the first point and the last after the last one.
    """
    xp = np.array([p.frame for p in lane.points], dtype=np.float64)
    fp = np.array([p.value for p in lane.points], dtype=np.float64)
    frames = np.arange(t0, t0 + n, dtype=np.float64)
    if lane.interpolation == Interpolation.STEP:
        idx = np.searchsorted(xp, frames, side="right") - 1
        return np.asarray(fp[np.clip(idx, 0, len(fp) - 1)], dtype=np.float64)
    return np.asarray(np.interp(frames, xp, fp), dtype=np.float64)


def lane_value_at(lane: AutomationLane, frame: int) -> float:
    return float(lane_values(lane, frame, 1)[0])


def _pan_gains(pan: float | F64, mono: bool) -> tuple[float | F64, float | F64]:
    """(left, right) gains: constant-power sin/cos for mono, balance for stereo."""
    if isinstance(pan, float | int):
        return constant_power_pan(pan) if mono else balance_pan(pan)
    if mono:
        angle = (np.asarray(pan, dtype=np.float64) + 1.0) * (np.pi / 4.0)
        left, right = np.cos(angle), np.sin(angle)
    else:
        p = np.asarray(pan, dtype=np.float64)
        left = np.where(p > 0.0, 1.0 - p, 1.0)
        right = np.where(p < 0.0, 1.0 + p, 1.0)
    if np.ndim(left) == 0:
        return float(left), float(right)
    return left, right


def _as_gain(left: float | F64, right: float | F64) -> Audio:
    """Per-channel gains as float32 (2, 1) or (2, n), ready to broadcast over a block."""
    if np.ndim(left) == 0 and np.ndim(right) == 0:
        return np.array([[left], [right]], dtype=np.float32)
    n = max(np.size(left), np.size(right))
    g = np.empty((2, n), dtype=np.float32)
    g[0] = left
    g[1] = right
    return g


def _scale(x: Audio, left: float | F64, right: float | F64, inplace: bool) -> Audio:
    """x [shape=(1 or 2, n)] times per-channel gains → (2, n), C-contiguous.

    Every strip output has this one layout, so the sums into buses run over contiguous memory
    (adding a transposed block costs four times as much, a mono (n, 2) outer product thirty)
    and pedalboard takes the block as it is. The gains are float32: each output sample is one
    rounded product, the same on every path. ``inplace`` allows overwriting ``x`` (a block the
    caller owns).
    """
    n = x.shape[1]
    g = _as_gain(left, right)
    if x.shape[0] == 1:
        out: Audio = np.empty((2, n), dtype=np.float32)
        np.multiply(x[0], g[0], out=out[0])
        np.multiply(x[0], g[1], out=out[1])
        return out
    out = x if inplace and x.flags.c_contiguous else np.empty((2, n), dtype=np.float32)
    if g.shape[1] == 1 and g[0, 0] == g[1, 0] == 1.0:
        if out is not x:
            np.copyto(out, x)
        return out
    np.multiply(x, g, out=out)
    return out


class _Delay:
    """A fixed delay line of ``frames`` frames on (channels, n) blocks."""

    def __init__(self, channels: int, frames: int) -> None:
        self.state = np.zeros((channels, frames), dtype=np.float32)

    def process(self, x: Audio) -> Audio:
        if self.state.shape[1] == 0:
            return x
        buf = np.concatenate([self.state, x], axis=1)
        n = x.shape[1]
        self.state = buf[:, n:]
        return buf[:, :n]


@dataclass
class StripOut:
    main: Audio | None
    """The main output, compensated for its destination, (2, n); None when silent."""
    sends: list[tuple[str, Audio]]
    key: Audio | None
    """Post-fader signal before mute: the sidechain key for others, (2, n); None when no
    insert listens to this strip."""
    stem: Audio | None


class _Board:
    """Consecutive pedalboard units of a strip as one ``pedalboard.Pedalboard``: one copy into
    JUCE and one back per block instead of one per unit (copies pedalboard makes holding the
    GIL). The same samples: each unit still runs over the whole block in turn."""

    def __init__(self, plugins: list[Any], sample_rate: int) -> None:
        from pedalboard import Pedalboard  # type: ignore[attr-defined]  # not in its __all__

        self.board = Pedalboard(plugins)
        self.sample_rate = sample_rate

    def process(self, x: Audio) -> Audio:
        out: Audio = self.board.process(
            np.ascontiguousarray(x, dtype=np.float32),
            self.sample_rate,
            buffer_size=PEDALBOARD_BUFFER_FRAMES,
            reset=False,
        )
        return out


def _stages(s: StripPlan, sample_rate: int) -> list[InsertPlan | _Board] | None:
    """The static inserts of ``s`` with runs of pedalboard units joined; None when automated
    (those run insert by insert)."""
    if s.fx_automated:
        return None
    stages: list[InsertPlan | _Board] = []
    run: list[tuple[InsertPlan, list[Any]]] = []

    def close_run() -> None:
        if len(run) == 1:
            stages.append(run[0][0])
        elif run:
            stages.append(_Board([p for _, plugins in run for p in plugins], sample_rate))
        run.clear()

    for ins in s.inserts:
        if ins.proc is None:
            continue
        find = getattr(ins.proc, "pedalboard_plugins", None)
        plugins = find() if find is not None and not ins.sidechain else None
        if plugins is None:
            close_run()
            stages.append(ins)
        else:
            run.append((ins, plugins))
    close_run()
    return stages


class StripRunner:
    """Renders blocks of the strips of ``plan``; keeps their delay lines (latency compensation
    of feeds and stems). ``start_frame`` is the timeline frame of render position 0."""

    def __init__(self, plan: Plan, source: MediaSource, start_frame: int, stems: bool) -> None:
        self.plan = plan
        self.source = source
        self.start_frame = start_frame
        self.stems = stems
        self.delays: dict[tuple[str, str], _Delay] = {
            k: _Delay(2, d) for k, d in plan.feed_delays.items() if d > 0
        }
        self.keyed = {ins.sidechain for s in plan.strips.values() for ins in s.inserts}
        self.stem_delays = {
            sid: _Delay(2, d) for sid, d in plan.stem_delays.items() if d > 0 and stems
        }
        self.stages = {sid: _stages(s, plan.sample_rate) for sid, s in plan.strips.items()}
        # Plain strips (static gains, no effects, sends or key) take the direct read when the
        # source offers raw samples: see _read_direct.
        self.raw_source = source if isinstance(source, RawMediaSource) else None
        self.direct = {
            sid
            for sid, s in plan.strips.items()
            if s.is_track
            and s.audible
            and s.channels in (1, 2)
            and not s.sends
            and sid not in self.keyed
            and s.gain_lane is None
            and s.pan_lane is None
            and s.mute_lane is None
            and all(ins.proc is None for ins in s.inserts)
        }

    # ------------------------------------------------------------------ sources

    def _read_region(
        self, s: StripPlan, r: Region, t0: int, n: int, buf: Audio | None
    ) -> Audio | None:
        w0 = max(t0, r.play_start)
        w1 = t0 + n if r.play_end is None else min(t0 + n, r.play_end)
        if w1 <= w0:
            return buf
        for cp in r.clips:
            c = cp.clip
            a, b = max(w0, c.start_frame), min(w1, c.end_frame)
            if b <= a:
                continue
            data = self.source.read(c.media, c.source_start_frame + (a - c.start_frame), b - a)
            if cp.downmix is not None:
                data = fold_down(data, cp.downmix)
            gains = self._clip_gains(
                cp.fade_in, cp.fade_out, a - c.start_frame, b - a, c.length_frames
            )
            gains = self._window_gains(r, a, b, gains)
            if cp.gain != 1.0 or gains is not None:
                g = np.float32(cp.gain) if gains is None else gains * np.float32(cp.gain)
                data = data * g
            if buf is None and a == t0 and b == t0 + n and data.shape[0] == s.channels:
                buf = data  # the whole block from one clip: the source's array is ours to keep
                continue
            if buf is None:
                buf = np.zeros((s.channels, n), dtype=np.float32)
            buf[:, a - t0 : b - t0] += data  # a mono clip on a stereo track feeds both sides
        return buf

    def _plain_clip(self, s: StripPlan, t0: int, n: int) -> ClipPlan | None:
        """The one clip that plays block ``[t0, t0 + n)`` as it is, or None.

        As it is: the clip covers the whole block with unity clip gain, no fade and no comp
        seam in it, and has the strip's channel count — the block is the media's frames.
        """
        if len(s.regions) != 1:
            return None
        r = s.regions[0]
        if t0 < r.play_start or (r.play_end is not None and t0 + n > r.play_end):
            return None
        hits = [cp for cp in r.clips if cp.clip.start_frame < t0 + n and cp.clip.end_frame > t0]
        if len(hits) != 1:
            return None
        cp = hits[0]
        c = cp.clip
        if c.start_frame > t0 or c.end_frame < t0 + n or cp.gain != 1.0:
            return None
        if c.media.channels != s.channels:
            return None
        pos = t0 - c.start_frame
        if self._clip_gains(cp.fade_in, cp.fade_out, pos, n, c.length_frames) is not None:
            return None
        if self._window_gains(r, t0, t0 + n, None) is not None:
            return None
        return cp

    def _read_plain(self, s: StripPlan, t0: int, n: int) -> Audio | None:
        """A track's source block (channels, n), C-contiguous, from the raw samples; or None.

        For strips with inserts: pedalboard wants C-contiguous (channels, n) blocks, and a
        transposing cast of the raw int16 samples gives one without the copy a float read
        (interleaved) would cost. The same values: float32(x)·2^−15 is exact.
        """
        source = self.raw_source
        cp = None if source is None else self._plain_clip(s, t0, n)
        if source is None or cp is None:
            return None
        c = cp.clip
        raw, scale = source.read_raw(c.media, c.source_start_frame + (t0 - c.start_frame), n)
        x: Audio = np.empty((s.channels, n), dtype=np.float32)
        np.copyto(x, raw.T, casting="unsafe")
        if scale != 1.0:
            x *= np.float32(scale)
        return x

    def _read_direct(
        self, s: StripPlan, t0: int, n: int, left: float, right: float
    ) -> Audio | None:
        """A plain strip's main output (2, n) in one pass, or None when the block is not plain.

        Plain: ``_plain_clip`` finds the block. Then the strip is ``read · polarity · (left,
        right)``; with the source's raw samples the int→float conversion and the gains are one
        numpy multiply (the block is not converted, scaled and summed in three passes). The
        result is bit-identical to the general path: float32(x/2^15)·g and x·(g·2^−15) round
        the same exact product once.
        """
        source = self.raw_source
        cp = None if source is None else self._plain_clip(s, t0, n)
        if source is None or cp is None:
            return None
        c = cp.clip
        raw, scale = source.read_raw(c.media, c.source_start_frame + (t0 - c.start_frame), n)
        gains = np.array([left, right], dtype=np.float32)
        gains *= np.float32(-scale if s.polarity_inverted else scale)
        out: Audio = np.empty((2, n), dtype=np.float32)  # C-contiguous, as _scale gives
        if s.channels == 1:
            np.multiply(raw[:, 0], gains[0], out=out[0])
            np.multiply(raw[:, 0], gains[1], out=out[1])
        else:
            np.multiply(raw.T, gains[:, np.newaxis], out=out)
        return out

    @staticmethod
    def _clip_gains(
        fade_in: Audio | None, fade_out: Audio | None, pos: int, n: int, length: int
    ) -> Audio | None:
        """Fade gains of clip frames [pos, pos + n), shape (n,), or None for unity."""
        g: Audio | None = None
        if fade_in is not None and pos < len(fade_in):
            g = np.ones(n, dtype=np.float32)
            k = min(pos + n, len(fade_in))
            g[: k - pos] = fade_in[pos:k]
        if fade_out is not None:
            o0 = length - len(fade_out)
            lo = max(pos, o0)
            if lo < pos + n:
                if g is None:
                    g = np.ones(n, dtype=np.float32)
                g[lo - pos :] *= fade_out[lo - o0 : pos + n - o0]
        return g

    @staticmethod
    def _window_gains(r: Region, a: int, b: int, g: Audio | None) -> Audio | None:
        """Multiply in the comp seam crossfades of timeline frames [a, b)."""
        if r.in_curve is not None:
            e = r.play_start + len(r.in_curve)
            if a < e:
                g = np.ones(b - a, dtype=np.float32) if g is None else g
                k = min(b, e)
                g[: k - a] *= r.in_curve[a - r.play_start : k - r.play_start]
        if r.out_curve is not None and r.play_end is not None:
            o0 = r.play_end - len(r.out_curve)
            lo = max(a, o0)
            if lo < b:
                g = np.ones(b - a, dtype=np.float32) if g is None else g
                g[lo - a :] *= r.out_curve[lo - o0 : b - o0]
        return g

    def clip_sum(self, s: StripPlan, t0: int, n: int) -> Audio | None:
        """Track ``s``'s clips at timeline frames ``[t0, t0 + n)``: (channels, n), or None when
        nothing plays there. The array is the caller's to overwrite."""
        x = self._read_plain(s, t0, n)
        if x is None:
            for r in s.regions:
                x = self._read_region(s, r, t0, n, x)
        return x

    # ------------------------------------------------------------------ strips

    def _inserts(
        self, s: StripPlan, x: Audio, p0: int, t0: int, keys: Mapping[str, Audio]
    ) -> Audio:
        if not s.inserts:
            return x
        stages = self.stages[s.id]
        if stages is not None:
            return self._chain(stages, x, keys)
        # Only the automated inserts run in sub-blocks; the others take the whole block. Each
        # insert is causal and keeps its own state, so running insert by insert over the block
        # equals running the chain sub-block by sub-block — and a 64-frame sub-block costs a
        # static pedalboard unit or the compressor several times its whole-block time.
        n = x.shape[1]
        for ins in s.inserts:
            if ins.proc is None:
                continue
            if not ins.automation:
                x = self._insert(ins, x, keys, 0)
                continue
            setter = getattr(ins.proc, "set_param", None)
            if setter is None:
                raise RenderError(f"{s.name}: effect {ins.slot.kind} cannot be automated")
            # Sub-blocks on a 64-frame grid aligned to the render start: the parameters change
            # at the same frames whatever the block size.
            out = np.empty_like(x)
            i = 0
            while i < n:
                step = PARAM_STEP_FRAMES - (p0 + i) % PARAM_STEP_FRAMES
                j = min(n, i + step)
                grid = t0 + i - (p0 + i) % PARAM_STEP_FRAMES  # the value at the grid frame
                for param, lane in ins.automation:
                    setter(param, lane_value_at(lane, grid))
                out[:, i:j] = self._insert(ins, x[:, i:j], keys, i)
                i = j
            x = out
        return np.asarray(x, dtype=np.float32)

    @staticmethod
    def _insert(ins: InsertPlan, x: Audio, keys: Mapping[str, Audio], offset: int) -> Audio:
        """One insert on ``x`` (c, m): frames ``[offset, offset + m)`` of the block."""
        proc = ins.proc
        if proc is None:
            return x
        if ins.sidechain:
            key = keys[ins.sidechain][:, offset : offset + x.shape[1]]
            keyed: Audio = proc.process_sidechain(x, key)  # type: ignore[attr-defined]
            return keyed
        return proc.process(x)

    @staticmethod
    def _chain(stages: list[InsertPlan | _Board], x: Audio, keys: Mapping[str, Audio]) -> Audio:
        for stage in stages:
            if isinstance(stage, _Board):
                x = stage.process(x)
            else:
                x = StripRunner._insert(stage, x, keys, 0)
        return np.asarray(x, dtype=np.float32)

    def run_strip(
        self, s: StripPlan, x: Audio | None, p0: int, n: int, keys: Mapping[str, Audio]
    ) -> StripOut:
        t0 = self.start_frame + p0
        if s.id in self.direct:
            # The gains as the general path below computes them (left · fader · mute, with
            # mute = 1 for an audible strip), so that the float32 gains are the same.
            left0, right0 = _pan_gains(s.pan, s.channels == 1)
            fader0 = db_to_gain(s.gain_db)
            gl, gr = float(left0) * fader0 * 1.0, float(right0) * fader0 * 1.0
            direct = self._read_direct(s, t0, n, gl, gr)
            if direct is not None:
                return self._finish(s, direct, n)
        if s.is_track:
            x = self.clip_sum(s, t0, n)
        if x is None:
            x = np.zeros((s.channels, n), dtype=np.float32)
        if s.polarity_inverted:
            x = -x
        x = self._inserts(s, x, p0, t0, keys)
        mono = x.shape[0] == 1
        # Fader, pan and mute as per-channel gains: one multiply per output.
        fader: float | F64 = db_to_gain(s.gain_db)
        if s.gain_lane is not None:
            # The fader trims its automation (DAWs' trim): lane value + fader, in dB.
            fader = 10.0 ** ((lane_values(s.gain_lane, t0, n) + s.gain_db) / 20.0)
        pan: float | F64 = s.pan if s.pan_lane is None else lane_values(s.pan_lane, t0, n)
        left, right = _pan_gains(pan, mono)
        mute: float | F64 = 1.0 if s.audible else 0.0
        if s.mute_lane is not None and s.audible:
            mute = np.where(lane_values(s.mute_lane, t0, n) >= 0.5, 0.0, 1.0)
        src = x if not mono else x[0:1]
        sends = []
        for send in s.sends:
            if not s.audible:
                continue
            level: float | F64 = db_to_gain(send.level_db)
            if send.level_lane is not None:
                level = 10.0 ** ((lane_values(send.level_lane, t0, n) + send.level_db) / 20.0)
            g = level * mute * (1.0 if send.pre_fader else fader)
            sig = _scale(src, left * g, right * g, inplace=False)
            sends.append((send.dest, self._delay(s.id, send.dest, sig)))
        keyed = s.id in self.keyed
        key = _scale(src, left * fader, right * fader, inplace=False) if keyed else None
        main = None
        if s.audible:
            # Last use of src: scale it in place when it is our own block (no inserts ran, so
            # no processor can hold on to it) and no key shares it.
            own = not any(ins.proc is not None for ins in s.inserts)
            main = _scale(src, left * fader * mute, right * fader * mute, inplace=own)
        return self._finish(s, main, n, sends, key)

    def _finish(
        self,
        s: StripPlan,
        main: Audio | None,
        n: int,
        sends: list[tuple[str, Audio]] | None = None,
        key: Audio | None = None,
    ) -> StripOut:
        """Stem and output delay of a strip's main output."""
        stem = None
        if self.stems and s.id != MASTER_ID:
            # The stem is the main output put on the master's timeline: its own delay line, fed
            # before the feed delay (which lines it up with its destination bus only).
            raw = main if main is not None else np.zeros((2, n), dtype=np.float32)
            delay = self.stem_delays.get(s.id)
            stem = raw if delay is None else delay.process(raw)
        if main is not None and s.output:
            main = self._delay(s.id, s.output, main)
        return StripOut(main, sends or [], key, stem)

    def _delay(self, src: str, dest: str, x: Audio) -> Audio:
        d = self.delays.get((src, dest))
        return x if d is None else d.process(x)
