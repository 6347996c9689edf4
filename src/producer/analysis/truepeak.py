"""True peak: the peak of the band-limited signal the samples describe, exact for delivery.

The band-limited signal is the Whittaker-Shannon reconstruction s(t) = sum_k x[k] sinc(t - k)
of the samples (zero before the first and after the last), what an ideal DAC plays. Its peak is
what a true-peak ceiling is about. BS.1770-4 Annex 2 approximates it by 4x oversampling; a 4x
grid alone under-reads by up to 0.69 dB near Nyquist (Attachment 1) and a finite interpolator
misses content near Nyquist, so full-band material (cymbals, clipping) read up to 0.13 dB off.
Here the 4x interpolator only *finds candidates*; the value is computed exactly where it
matters. Chosen by measurement (``bench/bench_truepeak.py``, tests/analysis/test_true_peak.py):

1. Candidates: the BS.1770 structure, a 4x polyphase interpolator (33 taps per branch,
   equiripple: every branch within 0.026 dB of unity to 0.45 fs), run as two matrix products
   per chunk of frames. Chunks whose bound (the branches' L1 gain times the chunk's largest
   sample) cannot reach the largest value known to be in the signal are skipped. Every local
   maximum of the 4x reading within ``CANDIDATE_MARGIN_DB`` of that floor is a candidate: the
   margin covers the grid's under-read (0.69 dB) and the interpolator's near-Nyquist loss; a
   smaller one (0.5 dB) already found every peak of the test material within 0.02 dB.
2. Exact value around each candidate: s(n0 + phi), |phi| <= 1, splits exactly into a near
   field, sum over |k| < 32 of x[n0 + k] sinc(phi - k) (63 multiply-adds per point), and a far
   field. With z[m] = (-1)^m x[m], every far term is (-1)^n0 sin(pi phi)/pi z[n0+k]/(phi-k),
   and 1/(phi - k) = -(1/k + phi/k^2 + phi^2/k^3 + ...) for |k| >= 32, so the far field is
   (-1)^n0 sin(pi phi)/pi * -(S1 + phi S2 + phi^2 S3) with S_p = sum z[n0+k]/k^p: three numbers
   per candidate whatever phi. They are summed out to 2^17 samples on both sides from prefix
   sums of z and j*z, in 16 blocks per octave of distance, each block's 1/k^p expanded to first
   order about its centre. The sinc's 1/k tails are what a windowed-sinc reconstruction
   truncates: a 4096-tap-per-side Kaiser sinc still misses hard-clipped white noise by 0.05 dB,
   this sum by less than 0.001 dB (against FFT interpolation of the whole, zero-padded signal).
   What lies beyond 2^17 samples is left out: for full-scale white noise at most about 0.01 dB.
3. The peak of each candidate's neighbourhood is found on a 1/8-sample grid of phi, then by
   three parabolic refinements (steps 1/8, 1/48, 1/288 of a sample).

Work is bounded for stationary tones, whose thousands of equal peaks all qualify as
candidates: after the first 64 exact values of a round, a candidate is evaluated only if its
4x reading, scaled by the largest exact/4x ratio seen in the round, could beat the best by more
than 0.005 dB.

The last ``TAIL`` samples count by their sample value only (as before): interpolating them
needs samples after the end, and assuming silence there turns the abrupt end of an excerpt
into ringing that is not in the programme.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

#: Oversampling of the candidate stage (at every rate: the margin below holds for a 4x grid).
FACTOR = 4
#: Taps per polyphase branch of the candidate interpolator.
TAPS_PER_PHASE = 33
#: Samples at the end that count by their sample value only (half the interpolator).
TAIL = TAPS_PER_PHASE // 2
#: A candidate is evaluated exactly when its 4x reading is within this of the floor (dB).
CANDIDATE_MARGIN_DB = 1.0
#: Near field: |k| < NEAR summed with the exact sinc.
NEAR = 32
#: Far field reach (samples each side).
REACH = 1 << 17
#: Blocks per octave of distance in the far-field sum.
BLOCKS_PER_OCTAVE = 16
#: Stationary-tone rule: exact values per round before the ratio test, and its tolerance (dB).
ROUND_FREE = 64
RATIO_TOLERANCE_DB = 0.005
_BATCH = 128

# The candidate interpolator's prototype: scipy.signal.remez((33 - 1) * 4 + 1,
# [0, 0.45/4, 0.55/4, 0.5], [4, 0]), first half (it is symmetric). Stored rather than designed
# so that the meter does not import scipy.signal (0.5 s of CPU at start-up); the tests redesign
# it and compare.
_PROTOTYPE_HALF = (
    0.001142168038869037,
    -0.0023686933845288496,
    -0.002057965050204412,
    -0.0014442909874880646,
    -7.470371459507371e-05,
    0.0015880555545373857,
    0.0025694720836865097,
    0.002049517774000149,
    1.4530790103210357e-05,
    -0.002521910112406438,
    -0.003969014686091179,
    -0.003111959644088394,
    -1.7777323174862023e-05,
    0.003737077138154656,
    0.005811342401216675,
    0.004506578493894737,
    2.0626680954630227e-05,
    -0.005321291235757844,
    -0.008201940696682782,
    -0.006308664838549935,
    -2.444392975132434e-05,
    0.007352995120316418,
    0.0112582083166124,
    0.008605864399934497,
    2.8588621745061053e-05,
    -0.009932182703348153,
    -0.01513018186515851,
    -0.011511331239231697,
    -3.24922349056602e-05,
    0.013192521284262126,
    0.020024771715479544,
    0.015186397354681776,
    3.620252810279387e-05,
    -0.01733097682404476,
    -0.02624926875141564,
    -0.0198704115367688,
    -3.8309512604954545e-05,
    0.022646590681018507,
    0.03428015535351773,
    0.025948985960024,
    4.3273838827441187e-05,
    -0.02964206734463519,
    -0.04494645545060739,
    -0.03409761635869134,
    -4.5480398931343585e-05,
    0.03925297228412303,
    0.05980141616488599,
    0.04563823375651794,
    4.788380590062064e-05,
    -0.05341083889322629,
    -0.08221351351764826,
    -0.06352429989673965,
    -4.999376207448589e-05,
    0.07688350440976992,
    0.12096093224655095,
    0.096006085232442,
    5.1713326851804626e-05,
    -0.12539672947902086,
    -0.20833726824367121,
    -0.17781437073688106,
    -5.1385448106320615e-05,
    0.2986935496268103,
    0.6353221573172588,
    0.8998949848275606,
    1.000053502710116,
)


@lru_cache(maxsize=1)
def interpolator_branches() -> npt.NDArray[np.float32]:
    """The candidate interpolator as polyphase branches, shape (TAPS_PER_PHASE, FACTOR).

    Column p, applied as a dot product with ``taps`` consecutive input samples
    x[n .. n + taps - 1], gives the signal at n + (taps - 1)/2 + p/factor: exactly p/factor
    past an input sample, so the interpolated points include the tone peaks the EBU cases aim
    at. Pass band to 0.45 fs, stop band from 0.55 fs (equiripple): every branch is within
    0.026 dB of unity up to 0.45 fs.
    """
    half = np.array(_PROTOTYPE_HALF)
    h = np.concatenate([half, half[-2::-1]])
    padded = np.zeros(TAPS_PER_PHASE * FACTOR)
    padded[: len(h)] = h
    # Branch p holds h[p], h[p + factor], ...; reversed so that a forward dot product with the
    # window x[n .. n + taps - 1] is the convolution.
    branches = padded.reshape(TAPS_PER_PHASE, FACTOR)[::-1]
    out = np.ascontiguousarray(branches, dtype=np.float32)
    out.setflags(write=False)
    return out


def _frame_matrices(
    branches: npt.NDArray[np.float32],
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """The interpolator as two (frame, frame·branches) matrices on frames of ``taps - 1``.

    With x cut into frames X_j of B = taps - 1 samples, output r (branch p) of frame j is
    sum_k branches[k, p]·x[jB + r + k], which reads frames j and j + 1 only:
    Y_j = X_j @ now + X_{j+1} @ next, Y_j of shape (B·branches,) laid out as (r, p).
    """
    taps, factor = branches.shape
    width = taps - 1
    now = np.zeros((width, width * factor), dtype=np.float32)
    nxt = np.zeros((width, width * factor), dtype=np.float32)
    for r in range(width):
        for k in range(taps):
            i = r + k
            target = now if i < width else nxt
            target[i % width, r * factor : (r + 1) * factor] = branches[k]
    return now, nxt


@lru_cache(maxsize=1)
def _interpolator() -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], float]:
    """(now, next, L1 gain) of the branches between the samples (branch 0 is the sample)."""
    between = np.ascontiguousarray(interpolator_branches()[:, 1:])
    now, nxt = _frame_matrices(between)
    gain = float(np.abs(between.astype(np.float64)).sum(axis=0).max())
    return now, nxt, gain


def _far_edges() -> Ints:
    """Edges of the far-field blocks on one side, NEAR = e[0] < ... < e[-1] = REACH: 16 blocks
    per octave of distance (block k covers offsets [e[k], e[k+1]))."""
    edges: list[Ints] = []
    r0 = NEAR
    while r0 < REACH:
        r1 = min(2 * r0, REACH)
        edges.append(np.linspace(r0, r1, BLOCKS_PER_OCTAVE + 1).round().astype(np.int64)[:-1])
        r0 = r1
    return np.append(np.unique(np.concatenate(edges)), REACH)


_EDGES = _far_edges()
#: Edges relative to a candidate: the negative side (offsets -REACH+1 .. -NEAR, as edges
#: -e + 1 ascending), then the positive side.
_EDGES_BOTH = np.concatenate([-_EDGES[::-1] + 1, _EDGES])
_SIDE = len(_EDGES)
#: Block centres relative to the candidate, negative side then positive side.
_CENTRES = np.concatenate(
    [-(_EDGES[:-1] + _EDGES[1:] - 1)[::-1] / 2.0, (_EDGES[:-1] + _EDGES[1:] - 1) / 2.0]
)


def _far_weights() -> tuple[Floats, Floats]:
    """W0, W1 (blocks, 3): S_p = Z0 @ W0 - D1 @ W1 + n0 (Z0 @ W1) for p = 1, 2, 3.

    (j, n0 absolute frames: up to 10^9, far inside float64's exact range for the cancellation.)

    Each block's sum of z/k^p is expanded to first order about its centre c:
    Z0/c^p - p Z1/c^(p+1), Z1 = sum (j - n0 - c) z = D1 - (n0 + c) Z0, with D1 the block's
    sum of j·z: constant weights per block, so all candidates go through two matrix products.
    """
    c = _CENTRES[:, np.newaxis]
    p = np.arange(1, 4, dtype=np.float64)[np.newaxis, :]
    return (1.0 + p) / c**p, p / c ** (p + 1.0)


_W0, _W1 = _far_weights()
_NEAR_K = np.arange(-NEAR + 1, NEAR)
_NEAR_SIGN = np.where(_NEAR_K % 2 == 0, 1.0, -1.0)
_GRID = np.linspace(-1.0, 1.0, 17)
_GRID_SINC = np.sinc(_GRID[:, np.newaxis] - _NEAR_K[np.newaxis, :]).T  # (2·NEAR - 1, 17)


class Reconstruction:
    """A window of one channel's samples, able to evaluate the band-limited signal exactly.

    Holds samples [start, end) (absolute frame numbers); samples outside the window are taken
    as zero (only correct outside the stream: callers keep REACH samples of context around what
    they ask). The prefix sums of z = (-1)^j x[j] and j·z (j the absolute frame) that the far
    field needs are computed when first needed and extended as the window grows, so a stretch
    without candidates costs only the copy of its samples. :meth:`forget` drops samples before
    a frame; the buffers are reused (moved down) rather than reallocated.
    """

    def __init__(self) -> None:
        self._cap = 0
        self._x = np.zeros(0, dtype=np.float32)
        self._p0 = np.zeros(1)
        self._p1 = np.zeros(1)
        self._lo = 0  # buffer index of the first kept sample
        self._hi = 0  # buffer index one past the last sample
        self._ps = 0  # prefix sums are valid on buffer indices [_ps, _pe]
        self._pe = -1
        self.base = 0  # absolute frame of buffer index 0

    @property
    def start(self) -> int:
        return self.base + self._lo

    @property
    def end(self) -> int:
        return self.base + self._hi

    def append(self, x: npt.ArrayLike) -> None:
        """Add the next samples."""
        v = np.asarray(x, dtype=np.float32)
        n = len(v)
        if n == 0:
            return
        if self._hi + n > self._cap:
            self._compact(n)
        self._x[self._hi : self._hi + n] = v
        self._hi += n

    def samples(self, start: int, stop: int) -> npt.NDArray[np.float32]:
        """A copy of the samples of absolute frames [start, stop) (inside the window)."""
        return self._x[start - self.base : stop - self.base].copy()

    def modify(self, start: int, values: npt.ArrayLike) -> None:
        """Replace the samples from absolute frame ``start`` (inside the window).

        Valid prefix sums are updated, not dropped: inside the change by the cumulative sum
        of the difference, after it by a constant.
        """
        v = np.asarray(values, dtype=np.float32)
        i = start - self.base
        j = i + len(v)
        old = self._x[i:j].astype(np.float64)
        self._x[i:j] = v
        if self._pe < i or j <= i:
            return
        if self._ps > i:  # the change starts before the valid range: start again after it
            self._ps, self._pe = 0, -1
            return
        stop = min(j, self._pe)
        delta = self._x[i:stop].astype(np.float64) - old[: stop - i]
        if (self.base + i) % 2:
            delta[0::2] *= -1.0
        else:
            delta[1::2] *= -1.0
        d0 = np.cumsum(delta)
        d1 = np.cumsum(delta * np.arange(self.base + i, self.base + stop, dtype=np.float64))
        self._p0[i + 1 : stop + 1] += d0
        self._p1[i + 1 : stop + 1] += d1
        if stop < self._pe:
            self._p0[stop + 1 : self._pe + 1] += d0[-1]
            self._p1[stop + 1 : self._pe + 1] += d1[-1]

    def forget(self, before: int) -> None:
        """Drop the samples before absolute frame ``before``."""
        self._lo = min(max(self._lo, before - self.base), self._hi)

    def _compact(self, extra: int) -> None:
        keep = self._hi - self._lo
        need = keep + max(2 * extra, 1 << 16)
        shift = self._lo
        valid = self._ps <= shift <= self._pe
        m = self._pe - shift if valid else -1
        if need <= self._cap:  # move down in place (numpy copes with the overlap)
            x, p0, p1 = self._x, self._p0, self._p1
        else:
            x = np.empty(need, dtype=np.float32)
            p0 = np.empty(need + 1)
            p1 = np.empty(need + 1)
            self._cap = need
        x[:keep] = self._x[shift : self._hi]
        if valid:  # prefix sums of absolute frames: moved as they are
            p0[: m + 1] = self._p0[shift : self._pe + 1]
            p1[: m + 1] = self._p1[shift : self._pe + 1]
            self._ps, self._pe = 0, m
        else:
            self._ps, self._pe = 0, -1
        self._x, self._p0, self._p1 = x, p0, p1
        self.base += shift
        self._lo, self._hi = 0, keep

    def _prefix(self, lo: int, hi: int) -> None:
        """Make the prefix sums valid on buffer indices [lo, hi]."""
        if not self._ps <= lo <= self._pe:
            self._ps, self._pe = lo, lo
            self._p0[lo] = 0.0
            self._p1[lo] = 0.0
        start = self._pe
        if hi <= start:
            return
        v = self._x[start:hi].astype(np.float64)
        if (self.base + start) % 2:
            v[0::2] *= -1.0
        else:
            v[1::2] *= -1.0
        np.cumsum(v, out=self._p0[start + 1 : hi + 1])
        self._p0[start + 1 : hi + 1] += self._p0[start]
        v *= np.arange(self.base + start, self.base + hi, dtype=np.float64)
        np.cumsum(v, out=self._p1[start + 1 : hi + 1])
        self._p1[start + 1 : hi + 1] += self._p1[start]
        self._pe = hi

    def far_sums(self, n0: Ints) -> Floats:
        """S_p = sum over NEAR <= |k| < REACH of z[n0 + k] / k^p, p = 1, 2, 3: shape (3, m)."""
        b0 = n0 - self.base
        lo = max(self._lo, int(b0.min()) - REACH + 1)
        hi = min(self._hi, int(b0.max()) + REACH)
        if hi <= lo:
            return np.zeros((3, len(n0)))
        self._prefix(lo, hi)
        edges = b0[:, np.newaxis] + _EDGES_BOTH
        inside = (edges[:, 0] >= lo) & (edges[:, -1] <= hi)
        out = np.empty((3, len(n0)))
        if inside.any():
            e = edges[inside]
            p0, p1 = self._p0[e], self._p1[e]
            z0 = np.concatenate([np.diff(p0[:, :_SIDE]), np.diff(p0[:, _SIDE:])], axis=1)
            d1 = np.concatenate([np.diff(p1[:, :_SIDE]), np.diff(p1[:, _SIDE:])], axis=1)
            s = z0 @ _W0 - d1 @ _W1 + n0[inside, np.newaxis] * (z0 @ _W1)
            out[:, inside] = s.T
        if not inside.all():  # near the ends of the stream: blocks cut by the window
            out[:, ~inside] = self._far_sums_clipped(b0[~inside], lo, hi)
        return out

    def _far_sums_clipped(self, b0: Ints, lo: int, hi: int) -> Floats:
        a = np.clip(b0[:, np.newaxis] + np.delete(_EDGES_BOTH, [_SIDE - 1, 2 * _SIDE - 1]), lo, hi)
        b = np.clip(b0[:, np.newaxis] + np.delete(_EDGES_BOTH, [0, _SIDE]), lo, hi)
        z0 = self._p0[b] - self._p0[a]
        centre = 0.5 * (a + b - 1)
        z1 = (self._p1[b] - self._p1[a]) - (centre + self.base) * z0  # moment about the centre
        valid = b > a
        inv = np.where(valid, 1.0 / np.where(valid, centre - b0[:, np.newaxis], 1.0), 0.0)
        inv2 = inv * inv
        # sum_block z/(c + u)^p ~ Z0/c^p - p Z1/c^(p+1)
        s1 = np.sum(z0 * inv - z1 * inv2, axis=1)
        s2 = np.sum((z0 - 2.0 * z1 * inv) * inv2, axis=1)
        s3 = np.sum((z0 - 3.0 * z1 * inv) * inv2 * inv, axis=1)
        return np.stack([s1, s2, s3])

    def near_samples(self, n0: Ints) -> Floats:
        """x[n0 + k] for |k| < NEAR (zero outside the window), shape (m, 2·NEAR - 1)."""
        idx = (n0 - self.base)[:, np.newaxis] + _NEAR_K
        inside = (idx >= self._lo) & (idx < self._hi)
        return np.where(inside, self._x[np.clip(idx, 0, max(self._cap - 1, 0))], 0.0).astype(
            np.float64
        )

    def peaks(self, n0: npt.ArrayLike) -> tuple[Floats, Floats]:
        """Largest |s(t)| for t in [n0 - 1, n0 + 1] of each candidate, and its t (frames)."""
        c = np.asarray(n0, dtype=np.int64)
        if len(c) == 0:
            return np.zeros(0), np.zeros(0)
        far = self.far_sums(c)
        seg = self.near_samples(c)
        sign = np.where(c % 2 == 0, 1.0, -1.0)

        z_near = seg * _NEAR_SIGN  # (-1)^k x[n0 + k]

        def value(phi: Floats) -> Floats:  # phi (m, j) -> s(n0 + phi)
            # sinc(phi - k) = (-1)^k sin(pi phi) / (pi (phi - k)): one sine per point, not per
            # tap; a point on a sample (phi - k = 0) takes the sample itself.
            d = phi[:, :, np.newaxis] - _NEAR_K
            on_sample = d == 0.0
            inv = 1.0 / np.where(on_sample, 1.0, d)
            near: Floats = np.einsum("mk,mjk->mj", z_near, inv) * np.sin(np.pi * phi) / np.pi
            if on_sample.any():
                hit = on_sample.any(axis=2)
                near[hit] = seg[np.nonzero(hit)[0], np.argmax(on_sample[hit], axis=1)]
            poly = far[0][:, np.newaxis] + phi * (
                far[1][:, np.newaxis] + phi * far[2][:, np.newaxis]
            )
            out: Floats = near - sign[:, np.newaxis] * np.sin(np.pi * phi) / np.pi * poly
            return out

        grid = np.broadcast_to(_GRID, (len(c), len(_GRID)))
        poly = far[0][:, np.newaxis] + grid * (far[1][:, np.newaxis] + grid * far[2][:, np.newaxis])
        on_grid = np.abs(
            seg @ _GRID_SINC - sign[:, np.newaxis] * np.sin(np.pi * grid) / np.pi * poly
        )
        j = np.clip(np.argmax(on_grid, axis=1), 1, len(_GRID) - 2)
        centre = _GRID[j]
        step = _GRID[1] - _GRID[0]
        offsets = np.array([-1.0, 0.0, 1.0])
        rows = np.arange(len(c))
        best = on_grid[rows, j]
        best_phi = centre.copy()
        for _ in range(3):
            phi = np.clip(centre[:, np.newaxis] + step * offsets, -1.0, 1.0)
            v = np.abs(value(phi))
            k = np.argmax(v, axis=1)
            better = v[rows, k] > best
            best = np.where(better, v[rows, k], best)
            best_phi = np.where(better, phi[rows, k], best_phi)
            curvature = v[:, 0] - 2.0 * v[:, 1] + v[:, 2]
            ok = curvature < 0
            shift = np.where(ok, 0.5 * (v[:, 0] - v[:, 2]) / np.where(ok, curvature, -1.0), 0.0)
            centre = np.clip(centre + np.clip(shift, -1.0, 1.0) * step, -1.0, 1.0)
            step /= 6.0
        final = np.abs(value(centre[:, np.newaxis]))[:, 0]
        better = final > best
        return np.where(better, final, best), c + np.where(better, centre, best_phi)


class Candidates:
    """The 4x candidate stage of one channel's stream (BS.1770-4 Annex 2 structure).

    ``event_threshold`` (linear) and ``hop`` (frames): :meth:`find` also returns the hops where
    the 4x reading exceeds the threshold (true-peak events, for plots).
    """

    #: Frames per matrix product of the interpolator (bounds temporaries).
    CHUNK = 8192

    def __init__(self, event_threshold: float = math.inf, hop: int = 480) -> None:
        self._now, self._next, self._gain = _interpolator()
        self._width = TAPS_PER_PHASE - 1
        self._margin = 10.0 ** (CANDIDATE_MARGIN_DB / 20.0)
        self._event_threshold = event_threshold
        self._hop = hop
        self._history = np.zeros(self._width, dtype=np.float32)
        self.frames = 0

    def readings(self, x: npt.NDArray[np.float32]) -> tuple[int, npt.NDArray[np.float32]]:
        """(first, reading) of the next block, every interval: reading[k] is the largest of the
        sample at frame ``first + k`` and the three 4x points after it (no pruning)."""
        n = len(x)
        width = self._width
        frames = -(-n // width)
        buf = np.zeros((frames + 1) * width, dtype=np.float32)
        buf[:width] = self._history
        buf[width : width + n] = x
        self._history = buf[n : n + width].copy()
        framed = buf.reshape(frames + 1, width)
        first = self.frames - width + width // 2
        out = np.empty(n, dtype=np.float32)
        rows = max(1, self.CHUNK // width)
        for r0 in range(0, frames, rows):
            r1 = min(frames, r0 + rows)
            count = min(n - r0 * width, (r1 - r0) * width)
            y = framed[r0:r1] @ self._now
            y += framed[r0 + 1 : r1 + 1] @ self._next
            y = np.abs(y.reshape(-1, FACTOR - 1)[:count])
            reading = out[r0 * width : r0 * width + count]
            np.maximum(y[:, 0], y[:, 1], out=reading)
            for p in range(2, FACTOR - 1):
                np.maximum(reading, y[:, p], out=reading)
            s0 = width // 2 + r0 * width
            np.maximum(reading, np.abs(buf[s0 : s0 + count]), out=reading)
        self.frames += n
        return first, out

    def find(self, x: npt.NDArray[np.float32], floor: float) -> tuple[Ints, Floats, Ints]:
        """4x readings of the next block: candidates that can beat ``floor``, event hops.

        Returns the candidates' frames (the frame nearest each local maximum of the reading
        within CANDIDATE_MARGIN_DB of ``floor``), their readings, and the hops where the
        reading exceeds the event threshold.

        The polyphase interpolation runs as two matrix products on the block cut into frames
        of ``taps - 1`` samples (a free reshape): every output frame depends on its input
        frame and the next one. One BLAS call per chunk, no copy of sliding windows. Output
        (k, p) is the signal at frame ``first + k + (p + 1)/FACTOR``.
        """
        n = len(x)
        width = self._width
        between = FACTOR - 1
        frames = -(-n // width)
        buf = np.zeros((frames + 1) * width, dtype=np.float32)
        buf[:width] = self._history
        buf[width : width + n] = x
        self._history = buf[n : n + width].copy()
        framed = buf.reshape(frames + 1, width)
        first = self.frames - width + width // 2
        threshold = self._event_threshold
        rows = max(1, self.CHUNK // width)
        # Exact pruning: an output of the chunk is at most gain·max|input it reads|.
        frame_peak = np.abs(framed).max(axis=1)
        starts = np.arange(0, frames, rows)
        bounds = (
            np.array([frame_peak[int(r0) : min(frames, int(r0) + rows) + 1].max() for r0 in starts])
            * self._gain
        )
        at_parts: list[Ints] = []
        reading_parts: list[Floats] = []
        events: list[Ints] = []
        for ci in np.argsort(-bounds, kind="stable"):
            if bounds[ci] * self._margin <= floor and bounds[ci] <= threshold:
                break
            r0 = int(starts[ci])
            r1 = min(frames, r0 + rows)
            count = min(n - r0 * width, (r1 - r0) * width)
            y = framed[r0:r1] @ self._now
            y += framed[r0 + 1 : r1 + 1] @ self._next
            y = np.abs(y.reshape(-1, between)[:count])
            # Largest of the three points between sample k and k + 1 (a column loop: numpy's
            # reduce along a short axis is slow), then with the sample at the interval's start
            # (frame first + k = buffer index width//2 + k).
            reading = y[:, 0].copy()
            for p in range(1, between):
                np.maximum(reading, y[:, p], out=reading)
            s0 = width // 2 + r0 * width
            np.maximum(reading, np.abs(buf[s0 : s0 + count]), out=reading)
            top = float(reading.max())
            if top * self._margin > floor:
                hot = np.flatnonzero(reading > floor / self._margin)
                left = reading[np.maximum(hot - 1, 0)]
                right = reading[np.minimum(hot + 1, count - 1)]
                edge = (hot == 0) | (hot == count - 1)
                hot = hot[edge | ((reading[hot] >= left) & (reading[hot] > right))]
                # The frame nearest the reading's point (the exact search covers +-1 frame):
                # the interval's start unless a point at 0.5 or 0.75 beats the sample.
                points = y[hot]
                later = (points[:, 1:].max(axis=1) > np.abs(buf[s0 + hot])) & (
                    points[:, 1:].max(axis=1) >= points[:, 0]
                )
                at_parts.append(first + r0 * width + hot + later.astype(np.int64))
                reading_parts.append(_refined(y, np.abs(buf[s0 : s0 + count + 1]), hot))
            if top > threshold:
                over = np.flatnonzero(reading > threshold)
                frame = np.maximum(first + r0 * width + over, 0)
                events.append(np.unique(frame // self._hop))
        if at_parts:
            at = np.concatenate(at_parts)
            reading_all = np.concatenate(reading_parts)
            valid = at >= 0
            at, reading_all = at[valid], reading_all[valid]
        else:
            at, reading_all = np.zeros(0, dtype=np.int64), np.zeros(0)
        ev = np.unique(np.concatenate(events)) if events else np.zeros(0, dtype=np.int64)
        self.frames += n
        return at, reading_all, ev.astype(np.int64)


def _refined(y: npt.NDArray[np.float32], samples: npt.NDArray[np.float32], hot: Ints) -> Floats:
    """The reading of each hot interval refined by a parabola through the largest 4x point and
    its two neighbours on the 4x grid (samples and interpolated points alike): on a steady tone
    it is the peak to a few thousandths of a dB, where the grid alone reads up to 0.7 dB low, so
    thousands of equal tone peaks need not all be computed exactly (ChannelTruePeak's ratio
    rule). Never below the grid's own reading.

    ``y`` (intervals, 3): |4x points| inside each interval; ``samples``: |sample| at each
    interval's start, one more at the end.
    """
    count = len(y)
    k = hot[:, np.newaxis]
    # The 4x grid from the last point of interval k-1 to the first of interval k+1.
    grid = np.concatenate(
        [
            y[np.maximum(k - 1, 0), 2],
            samples[k],
            y[hot],
            samples[np.minimum(k + 1, len(samples) - 1)],
            y[np.minimum(k + 1, count - 1), 0],
        ],
        axis=1,
    ).astype(np.float64)
    rows = np.arange(len(hot))
    m = 1 + np.argmax(grid[:, 1:6], axis=1)
    left, mid, right = grid[rows, m - 1], grid[rows, m], grid[rows, m + 1]
    curvature = left - 2.0 * mid + right
    vertex = np.where(
        curvature < 0.0,
        mid - 0.125 * (left - right) ** 2 / np.where(curvature < 0, curvature, -1.0),
        mid,
    )
    refined: Floats = np.maximum(vertex, mid)
    return refined


class ChannelTruePeak:
    """Streaming exact true peak of one channel: ``add`` float32 blocks, read :meth:`peak`.

    ``event_threshold`` (linear) and ``hop`` (frames): ``add`` returns the hops where the 4x
    reading exceeds the threshold (true-peak events, for plots).
    """

    def __init__(self, event_threshold: float = math.inf, hop: int = 480) -> None:
        self._event_threshold = event_threshold
        self._hop = hop
        self._margin = 10.0 ** (CANDIDATE_MARGIN_DB / 20.0)
        self.reset()

    def reset(self) -> None:
        self._candidates = Candidates(self._event_threshold, self._hop)
        self._window = Reconstruction()
        self._pending_at = np.zeros(0, dtype=np.int64)
        self._pending_reading = np.zeros(0)
        self.frames = 0
        self.sample_peak = 0.0
        self.sample_peak_frame = 0
        self.best = 0.0  # largest exact value found
        self.best_time = 0.0

    @property
    def floor(self) -> float:
        """A value the true peak is known to reach: max(sample peak, exact values found)."""
        return max(self.best, self.sample_peak)

    def add(self, x: npt.NDArray[np.float32]) -> Ints:
        """Measure the next block; returns the event hops it holds (sorted, unique)."""
        n = len(x)
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        j = int(np.argmax(np.abs(x)))
        if abs(float(x[j])) > self.sample_peak:
            self.sample_peak = abs(float(x[j]))
            self.sample_peak_frame = self.frames + j
        at, reading, events = self._candidates.find(x, self.floor)
        self._window.append(x)
        self.frames += n
        if len(at):
            self._pending_at = np.concatenate([self._pending_at, at])
            self._pending_reading = np.concatenate([self._pending_reading, reading])
        ready = self._pending_at + REACH + NEAR <= self.frames
        # Evaluated in batches (each call has a fixed cost of a few hundred µs): once there are
        # enough, or the oldest has waited another REACH / 2.
        if ready.any() and (
            ready.sum() >= _BATCH or int(self._pending_at.min()) + 3 * REACH // 2 <= self.frames
        ):
            self._evaluate(self._pending_at[ready], self._pending_reading[ready], commit=True)
            self._pending_at = self._pending_at[~ready]
            self._pending_reading = self._pending_reading[~ready]
        oldest = min(int(self._pending_at.min()) if len(self._pending_at) else self.frames,
                     self.frames - 2 * TAPS_PER_PHASE)  # fmt: skip
        self._window.forget(oldest - REACH - NEAR)
        return events

    def peak(self) -> tuple[float, float]:
        """(true peak, linear; its time in frames) of everything added (the state is kept)."""
        best, when = self._evaluate(self._pending_at, self._pending_reading, commit=False)
        if self.sample_peak >= best:
            return self.sample_peak, float(self.sample_peak_frame)
        return best, when

    def _evaluate(self, at: Ints, reading: Floats, *, commit: bool) -> tuple[float, float]:
        """Exact values of the candidates that can beat the floor, best first."""
        best, when = self.best, self.best_time
        floor = max(best, self.sample_peak)
        keep = reading * self._margin > floor
        at, reading = at[keep], reading[keep]
        order = np.argsort(-reading, kind="stable")
        at, reading = at[order], reading[order]
        done = 0
        ratio = 0.0
        tolerance = 10.0 ** (RATIO_TOLERANCE_DB / 20.0)
        while len(at):
            qualifies = reading * self._margin > floor
            if done >= ROUND_FREE:
                qualifies &= reading * ratio > floor * tolerance
            at, reading = at[qualifies], reading[qualifies]
            if not len(at):
                break
            values, times = self._window.peaks(at[:_BATCH])
            ratio = max(ratio, float(np.max(values / np.maximum(reading[:_BATCH], 1e-30))))
            i = int(np.argmax(values))
            if values[i] > best:
                best, when = float(values[i]), float(times[i])
                floor = max(floor, best)
            done += len(values)
            at, reading = at[_BATCH:], reading[_BATCH:]
        if commit:
            self.best, self.best_time = best, when
        return best, when


__all__ = [
    "CANDIDATE_MARGIN_DB",
    "FACTOR",
    "NEAR",
    "REACH",
    "TAIL",
    "TAPS_PER_PHASE",
    "Candidates",
    "ChannelTruePeak",
    "Reconstruction",
    "interpolator_branches",
]
