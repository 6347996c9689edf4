"""The true-peak guard: the last stage before dither, holding the exact true peak under a target.

pedalboard's ``BrickwallLimiter(true_peak=True)`` detects with 4x oversampling and its own
documentation warns that inter-sample overshoot is reduced, not eliminated (measured: 0.2 dB
over on white noise). The old chain tightened the limiter's ceiling and rendered everything
again until our meter agreed, a full render per try. The guard instead measures the
limiter's output with the meter's own exact true peak (:mod:`producer.analysis.truepeak`) and
lowers each peak that is over the target by a short, smooth dip of gain on every channel
(raised cosine, 2 ms each side, usually a few hundredths of a dB deep): a look-ahead limiter
whose detector is exact, acting only where the first limiter's detector was not. A dip scales
the band-limited signal around the peak by its gain, so the peak lands on the target; peaks
are re-measured after their dips and dipped again if neighbours' dips interacted (rarely more
than one round). No clipping, no re-render.

It works in a stream: samples leave once no later dip can reach them. The exact value of a
peak needs the samples REACH frames after it, so the guard delays the stream by REACH plus a
dip (about 3 s, up to 4.5 s while candidates gather into batches); memory stays a few MB per
channel.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from producer.analysis.truepeak import NEAR, REACH, Candidates, Reconstruction
from producer.audio import Audio

#: Half-length of a dip (s): long enough to be a gain change, not a distortion of the wave.
DIP_S = 0.002
#: Dips land this far under the target (relative), so rounding never leaves a peak over.
UNDERSHOOT = 1e-4
#: Rounds of re-measuring dipped peaks.
ROUNDS = 4
#: Candidates measured per call, at least (unless they have waited long).
BATCH = 128


class TruePeakGuard:
    """Holds the exact true peak of a (channels, frames) stream at or under ``target`` (linear).

    ``process`` blocks in order and collect what it returns (delayed); ``flush`` at the end.
    ``dips`` counts the peaks lowered, ``max_dip_db`` the deepest dip.
    """

    def __init__(self, channels: int, sample_rate: int, target: float) -> None:
        self.channels = channels
        self.target = float(target)
        self._half = max(1, round(DIP_S * sample_rate))
        t = np.arange(-self._half, self._half + 1) / self._half
        self._shape = 0.5 + 0.5 * np.cos(np.pi * t)  # 1 at the centre, 0 at +-half
        self._candidates = [Candidates() for _ in range(channels)]
        self._windows = [Reconstruction() for _ in range(channels)]
        self._pending = np.zeros(0, dtype=np.int64)
        self._pending_channel = np.zeros(0, dtype=np.int64)
        self.frames = 0
        self._released = 0
        self.dips = 0
        self.max_dip_db = 0.0

    def process(self, block: Audio) -> Audio:
        """Take the next block; return the samples that are final now (maybe none)."""
        n = block.shape[1]
        if n == 0:
            return np.zeros((self.channels, 0), dtype=np.float32)
        for c in range(self.channels):
            x = np.ascontiguousarray(block[c], dtype=np.float32)
            at, _, _ = self._candidates[c].find(x, self.target)
            self._windows[c].append(x)
            if len(at):
                self._pending = np.concatenate([self._pending, at])
                self._pending_channel = np.concatenate(
                    [self._pending_channel, np.full(len(at), c, dtype=np.int64)]
                )
        self.frames += n
        ready = self._pending + REACH + NEAR <= self.frames
        # In batches (a fixed cost per call): once there are enough, or the oldest has waited
        # another REACH / 2 (the stream is held back that much longer).
        if ready.any() and (
            ready.sum() >= BATCH or int(self._pending.min()) + 3 * REACH // 2 <= self.frames
        ):
            self._fix(self._pending[ready], self._pending_channel[ready])
            self._pending = self._pending[~ready]
            self._pending_channel = self._pending_channel[~ready]
        # New candidates come from frames >= frames - 2 taps (the interpolator's lag).
        horizon = min(int(self._pending.min()) if len(self._pending) else self.frames,
                      self.frames - 2 * NEAR)  # fmt: skip
        return self._release(horizon - self._half - 1)

    def flush(self) -> Audio:
        """Every remaining sample (the peaks near the end measured with silence after it)."""
        if len(self._pending):
            self._fix(self._pending, self._pending_channel)
            self._pending = np.zeros(0, dtype=np.int64)
            self._pending_channel = np.zeros(0, dtype=np.int64)
        return self._release(self.frames)

    def _release(self, until: int) -> Audio:
        until = min(until, self.frames)
        if until <= self._released:
            return np.zeros((self.channels, 0), dtype=np.float32)
        out = np.stack([w.samples(self._released, until) for w in self._windows])
        self._released = until
        keep = min(self._released, int(self._pending.min()) if len(self._pending) else until)
        for w in self._windows:
            w.forget(keep - REACH - NEAR)
        return out

    def _fix(self, at: npt.NDArray[np.int64], channel: npt.NDArray[np.int64]) -> None:
        """Measure the candidates exactly and dip every peak over the target."""
        at, channel = at.copy(), channel.copy()
        for _ in range(ROUNDS):
            overs: list[tuple[int, float]] = []
            keep = np.zeros(len(at), dtype=bool)
            for c in range(self.channels):
                mine = np.flatnonzero(channel == c)
                if not len(mine):
                    continue
                values, times = self._windows[c].peaks(at[mine])
                over = values > self.target
                keep[mine[over]] = True
                overs += [(round(t), v) for t, v in zip(times[over], values[over], strict=True)]
            if not overs:
                return
            self._dip(overs)
            at, channel = at[keep], channel[keep]

    def _dip(self, overs: list[tuple[int, float]]) -> None:
        """Lower each (frame, value) peak to the target: gain = min over the dips, all channels."""
        h = self._half
        lo = max(min(f for f, _ in overs) - h, self._released)
        hi = min(max(f for f, _ in overs) + h + 1, self.frames)
        if hi <= lo:
            return
        gain = np.ones(hi - lo)
        for frame, value in overs:
            depth = 1.0 - self.target * (1.0 - UNDERSHOOT) / value
            a, b = frame - h, frame + h + 1
            s0, s1 = max(a, lo), min(b, hi)
            if s1 <= s0:
                continue
            dip = 1.0 - depth * self._shape[s0 - a : s1 - a]
            np.minimum(gain[s0 - lo : s1 - lo], dip, out=gain[s0 - lo : s1 - lo])
            self.dips += 1
            self.max_dip_db = max(self.max_dip_db, -20.0 * math.log10(1.0 - depth))
        for w in self._windows:
            w.modify(lo, w.samples(lo, hi) * gain.astype(np.float32))


__all__ = ["DIP_S", "TruePeakGuard"]
