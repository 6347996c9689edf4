"""Compressor and gate with a sidechain (key) input, vectorised with numpy/scipy.

pedalboard's JUCE Compressor and NoiseGate detect on their own input only, so a ducking
compressor (music compressed by a voice) cannot be built from them; this module is the one
dynamics unit producer writes by hand. Design, after D. Giannoulis, M. Massberg, J. D. Reiss,
"Digital Dynamic Range Compressor Design — A Tutorial and Analysis", JAES 60(6), 2012:

1. Level: the peak of the key, linked across its channels (max of |key| over channels, so a
   stereo image does not wander), in dB: ``x_dB = 20·log10(max_c |key|)``.
2. Gain computer (static curve, eq. 4 of the paper, soft knee of width W = ``knee_db``)::

       compressor:  y = x                                  2(x − T) < −W
                    y = x + (1/R − 1)(x − T + W/2)² / (2W)   |2(x − T)| ≤ W
                    y = T + (x − T)/R                      2(x − T) > W
       gate (downward expander): y = T + (x − T)·R  for x < T, else x

   and the gain reduction ``g = x − y ≥ 0`` dB (the gate's clamped to ``range_db``).
3. Compressor: smoothing of g in the log domain with the paper's *decoupled peak detector*
   (eq. 17)::

       h[n] = max(g[n], αR·h[n−1])                    (release: exponential decay)
       s[n] = αA·s[n−1] + (1 − αA)·h[n]                (attack: one-pole low-pass)

   with α = exp(−1 / (τ·fs)), τ the time constant (``attack_ms``, ``release_ms``).
   Gate: the release acts on the key's level instead — a peak envelope that falls by
   20·log10(e) dB per τR (``e[n] = max(x_dB[n], e[n−1] − 8.69 dB/(τR·fs))``), so it bridges the
   zero crossings of a tone above threshold and the gate stays fully open on it — then the
   expander's curve, then the same attack one-pole on g (so opening follows ``attack_ms``).

Why this detector: it vectorises exactly, with no per-sample Python loop (numba is not
available). The attack stage is linear: its recursion unrolls to a cumulative sum
(``s[n] = αⁿ·(α·s[−1] + (1 − α)·Σ α^(−k)·h[k])``), with scipy's ``lfilter`` (``producer.dsp.biquad.lfilter``) for blocks too
long for α^(−k) to stay finite; its state carries between blocks. The release stage is a max-recursion ``o[n] = max(v[n], o[n−1] − d)``
(for the compressor v = ln g and d = 1/(τR·fs), since ln(αR·h) = ln h − 1/(τR·fs)), which
unrolls to ``o[n] = max_{k≤n}(v[k] + k·d) − n·d``: a cumulative maximum
(``numpy.maximum.accumulate``) — exact, not an approximation by chunks.

Speed (the compressor is on every track of a typical mix): the compressor's blocks go through
``Dynamics._compressor_fast``, the same equations with fewer passes over memory — the level and
the static curve only where the key is over the knee, the release in the linear domain as
``h[n] = αRⁿ·max_{k≤n}(g[k]·αR^(−k))`` (no log/exp pair), the attack's factors merged and
cached. It agrees with the log-domain path to about 1e-12 dB (tests/dsp/test_dsp_dynamics.py)
and is as fast as pedalboard's JUCE compressor on 64k-frame blocks (``make bench``).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import numpy.typing as npt

from producer.audio import Audio
from producer.dsp.biquad import lfilter

_FloatArray = npt.NDArray[np.float64]

#: Levels below this are treated as this (dB): far below any threshold, avoids log(0).
FLOOR_DB = -200.0
_FLOOR_GAIN = 10.0 ** (FLOOR_DB / 20.0)

#: Below these the compressor counts as relaxed: ln of a held reduction of 1e-9 dB, and the
#: smoothed reduction in dB. (A reduction of 1e-9 dB changes a sample by about 1e-10.)
_RELAXED = math.log(1e-9)
_RELAXED_DB = 1e-9


#: Natural-log gain per dB: 10^(dB/20) = exp(dB·ln10/20).
_LN10_20 = math.log(10.0) / 20.0
#: Largest exponent the fast path lets α^(−k) reach (e^600 < float64's e^709).
_MAX_EXPONENT = 600.0


def _alpha(time_ms: float, sample_rate: int) -> float:
    """One-pole coefficient exp(−1/(τ·fs)); 0 (instant) for a zero time."""
    if time_ms <= 0.0:
        return 0.0
    return math.exp(-1.0 / (time_ms / 1000.0 * sample_rate))


def compressor_gain_reduction_db(
    level_db: _FloatArray, threshold_db: float, ratio: float, knee_db: float
) -> _FloatArray:
    """Static gain reduction (dB, ≥ 0) of the compressor for key levels ``level_db``.

    Giannoulis et al. 2012, eq. 4 (soft knee of width ``knee_db``; hard knee at 0).
    """
    over = level_db - threshold_db
    slope = 1.0 - 1.0 / ratio
    if knee_db <= 0.0:
        return np.maximum(over, 0.0) * slope
    reduction = np.where(2.0 * over > knee_db, slope * over, 0.0)
    if knee_db > 0.0:
        in_knee = np.abs(2.0 * over) <= knee_db
        knee = slope * (over + knee_db / 2.0) ** 2 / (2.0 * knee_db)
        reduction = np.where(in_knee, knee, reduction)
    return np.asarray(reduction, dtype=np.float64)


def gate_gain_reduction_db(
    level_db: _FloatArray, threshold_db: float, ratio: float, range_db: float
) -> _FloatArray:
    """Static gain reduction (dB, in [0, range_db]) of a downward expander of ``ratio``."""
    under = np.maximum(threshold_db - level_db, 0.0)
    return np.asarray(np.minimum(under * (ratio - 1.0), range_db), dtype=np.float64)


class Dynamics:
    """A sidechain-capable compressor (``mode="compressor"``) or gate (``mode="gate"``).

    A Processor (no latency). ``process(audio)`` detects on ``audio`` itself;
    ``process_sidechain(audio, key)`` detects on ``key`` [shape=(key_channels, frames)], any
    channel count, same frames as ``audio``.
    """

    def __init__(
        self,
        mode: str,
        *,
        threshold_db: float,
        ratio: float,
        attack_ms: float,
        release_ms: float,
        knee_db: float = 0.0,
        makeup_db: float = 0.0,
        range_db: float = 80.0,
    ) -> None:
        if mode not in ("compressor", "gate"):
            raise ValueError(f"mode must be 'compressor' or 'gate', not {mode!r}")
        self.mode = mode
        self.threshold_db = threshold_db
        self.ratio = ratio
        self.attack_ms = attack_ms
        self.release_ms = release_ms
        self.knee_db = knee_db
        self.makeup_db = makeup_db
        self.range_db = range_db
        self._sample_rate = 48000
        self._hold = -math.inf  # previous output of the release stage (see gain_db)
        self._smooth = 0.0  # s[n−1] of the attack stage
        self.reset()

    def prepare(self, sample_rate: int, channels: int, max_block_frames: int) -> None:
        self._sample_rate = sample_rate
        self.reset()

    def reset(self) -> None:
        # The compressor starts relaxed (no reduction), the gate closed, as the silence
        # before the first sample would have left them.
        self._hold = -math.inf
        self._smooth = self.range_db if self.mode == "gate" else 0.0

    @property
    def latency_frames(self) -> int:
        return 0

    def process(self, audio: Audio) -> Audio:
        """Compress/gate ``audio`` [shape=(channels, frames)] detecting on itself."""
        return self.process_sidechain(audio, audio)

    def process_sidechain(self, audio: Audio, key: Audio) -> Audio:
        """Compress/gate ``audio`` (channels, frames) by the level of ``key`` (k, frames)."""
        frames = audio.shape[1]
        if key.shape[1] != frames:
            raise ValueError(f"key has {key.shape[1]} frames, audio has {frames}")
        if frames == 0:
            return audio
        ln_gain = self._ln_gain(key, np.float32)
        if ln_gain is None:  # no reduction anywhere in the block, and no make-up gain
            return np.array(audio, dtype=np.float32)  # a new array, as from every unit
        # 10^(dB/20) as exp(dB·ln10/20), in float32: the gain's precision is float32 anyway.
        gain = np.exp(ln_gain, out=ln_gain)
        out: Audio = np.multiply(audio, gain[np.newaxis, :], dtype=np.float32)
        return out

    def gain_db(self, key: Audio) -> _FloatArray | None:
        """The gain (dB) of each frame for this block of ``key`` (k, frames); advances state.

        None means 0 dB throughout (the compressor is relaxed and has no make-up gain).
        """
        ln_gain = self._ln_gain(key)
        if ln_gain is None:
            return None
        return np.asarray(ln_gain * (20.0 / math.log(10.0)), dtype=np.float64)

    def _ln_gain(
        self, key: Audio, dtype: type[np.floating[Any]] = np.float64
    ) -> npt.NDArray[np.floating[Any]] | None:
        """The gain of each frame as a natural log (dB·ln10/20), or None for 0 dB throughout.

        ``dtype`` float32 rounds the float64 result once (what the gain is applied in).
        """
        if self.mode == "compressor" and self._fast_fits(key.shape[1]):
            return self._compressor_fast(key, dtype)
        gain_db = self._gain_db_exact(key)
        return None if gain_db is None else (gain_db * _LN10_20).astype(dtype)

    def _gain_db_exact(self, key: Audio) -> _FloatArray | None:
        """``gain_db`` through the log-domain release (any block length, any time constant)."""
        if key.shape[0] == 2:  # the common case, without a reduction over axis 0
            peak = np.maximum(np.abs(key[0]), np.abs(key[1]))
        else:
            peak = np.max(np.abs(key), axis=0)
        # The floor keeps log10 finite (no -inf, no warnings): −200 dB is below any threshold.
        level_db = 20.0 * np.log10(np.maximum(peak.astype(np.float64), _FLOOR_GAIN))
        frames_per_ms = self._sample_rate / 1000.0
        if self.mode == "compressor":
            reduction = compressor_gain_reduction_db(
                level_db, self.threshold_db, self.ratio, self.knee_db
            )
            if self._hold < _RELAXED and self._smooth < _RELAXED_DB and not reduction.any():
                # Relaxed and staying so: skip the detector (the state is unchanged, to within
                # 1e-9 dB of gain), the common case of a compressor acting on peaks only.
                self._hold = -math.inf
                self._smooth = 0.0
                return None if self.makeup_db == 0.0 else np.full(key.shape[1], self.makeup_db)
            # Release in the log domain of the reduction: ln h[n] = max(ln g[n], ln h[n−1] − 1/τR).
            # A reduction of 0 becomes ln(1e-300) ≈ −691: e^−691 is 0 for every purpose.
            ln_reduction = np.log(np.maximum(reduction, 1e-300))
            decay = 1.0 / (self.release_ms * frames_per_ms)
            ln_hold, self._hold = self._max_decay(ln_reduction, self._hold, decay)
            smoothed = self._attack(np.exp(ln_hold))
            return self.makeup_db - smoothed
        # Gate: the key's peak envelope with release (falls 20·log10(e) dB per τR), then the
        # expander's static curve, then the attack one-pole on the reduction.
        decay_db = 20.0 * math.log10(math.e) / (self.release_ms * frames_per_ms)
        envelope_db, self._hold = self._max_decay(level_db, self._hold, decay_db)
        reduction = gate_gain_reduction_db(
            envelope_db, self.threshold_db, self.ratio, self.range_db
        )
        return -self._attack(reduction)

    def _fast_fits(self, frames: int) -> bool:
        """Whether α^(−k) of both time constants stays finite over a block of ``frames``."""
        rate = self._sample_rate
        if self.release_ms <= 0.0:
            return False
        decay_r = 1000.0 / (self.release_ms * rate)
        decay_a = 1000.0 / (self.attack_ms * rate) if self.attack_ms > 0.0 else 0.0
        return frames * max(decay_r, decay_a) <= _MAX_EXPONENT

    def _compressor_fast(
        self, key: Audio, dtype: type[np.floating[Any]] = np.float64
    ) -> npt.NDArray[np.floating[Any]] | None:
        """The compressor's log gain for a block of ``key`` (k, frames); None for 0 dB.

        The same equations as ``_gain_db_exact`` with fewer passes over memory — this unit
        is most of a mix's cost that is not pedalboard's:

        * the level is only needed where the key is over the knee's start (the reduction is 0
          elsewhere), so the logarithm and the static curve run on those frames only;
        * the release runs in the linear domain of the reduction,
          ``h[n] = max(g[n], αR·h[n−1]) = αRⁿ·M[n]`` with
          ``M[n] = max(αR·h[−1], max_{k≤n} g[k]·αR^(−k))``: a cumulative maximum and no
          log/exp pair. M changes only at frames over the knee, so the maximum runs over those
          alone, and M is a few runs of constant values;
        * the attack, ``s[n] = α_Aⁿ·(α_A·s[−1] + (1 − α_A)·Σ_{k≤n} M[k]·qᵏ)`` with
          ``q = αR/α_A``, needs no cumulative sum over the block: on a run of constant M
          starting at p the sum is ``B_p + M·(Q[n] − Q[p−1])``, Q the (cached) prefix sums of
          qᵏ, and the B of the runs are a short cumulative sum. (For q < 1, an attack slower
          than the release, that difference would cancel: those blocks take the cumulative
          sum over the block.)

        Only for blocks where ``_fast_fits`` (α^(−k) within float64's range); the exact
        log-domain path takes the others (the state is shared: ln h and s).
        """
        n = key.shape[1]
        rate = self._sample_rate
        alpha_r = _alpha(self.release_ms, rate)
        alpha_a = _alpha(self.attack_ms, rate)
        if key.shape[0] <= 2:  # mono, or the stereo-linked peak without a reduction over axis 0
            peak = np.abs(key[0])
            if key.shape[0] == 2:
                np.maximum(peak, np.abs(key[1]), out=peak)
        else:
            peak = np.max(np.abs(key), axis=0)
        start_db = self.threshold_db - max(self.knee_db, 0.0) / 2.0  # no reduction below
        over = np.flatnonzero(peak > 10.0 ** (start_db / 20.0))
        h_prev = math.exp(self._hold)  # the release state is kept as ln h (see _gain_db_exact)
        makeup = self.makeup_db * _LN10_20
        if over.size == 0 and self._hold < _RELAXED and self._smooth < _RELAXED_DB:
            self._hold = -math.inf  # relaxed and staying so (as in _gain_db_exact)
            self._smooth = 0.0
            return None if makeup == 0.0 else np.full(n, makeup, dtype=dtype)
        level_db = 20.0 * np.log10(peak[over].astype(np.float64))
        reduction = compressor_gain_reduction_db(
            level_db, self.threshold_db, self.ratio, self.knee_db
        )
        inverse_r, powers_r = _powers_pair(n, alpha_r)
        # M over the frames where it may change: the carried state, then the frames over the
        # knee. The running maximum of non-negative floats is that of their bit patterns read
        # as int64 (IEEE 754 orders them alike), a third faster than the float one (which
        # minds NaN). Scans write new arrays: numpy keeps the GIL through an in-place
        # accumulate (its threshold counts the outer loop, 1), and the engine's other threads
        # would wait for it.
        g = np.empty(over.size + 1, dtype=np.float64)
        g[0] = h_prev * alpha_r
        np.multiply(reduction, inverse_r[over], out=g[1:])
        running = np.maximum.accumulate(g.view(np.int64)).view(np.float64)
        # The runs of constant M: from frame 0, then from every frame where M rises.
        rises = np.flatnonzero(running[1:] > running[:-1])
        starts = np.empty(rises.size + 1, dtype=np.intp)
        starts[0] = 0
        starts[1:] = over[rises]
        values = np.empty(rises.size + 1, dtype=np.float64)
        values[0] = running[0]
        values[1:] = running[1:][rises]
        lengths = np.diff(starts, append=n)  # a run of 0 frames when M rises at frame 0
        h_last = float(values[-1]) * float(powers_r[-1])
        self._hold = math.log(h_last) if h_last > 0.0 else -math.inf
        if alpha_a == 0.0:
            acc = np.repeat(values, lengths)
            np.multiply(acc, powers_r, out=acc)  # s = h
            self._smooth = h_last
            acc *= -_LN10_20
            if makeup != 0.0:
                acc += makeup
            return acc.astype(dtype, copy=False)
        into, out_scale, prefix = _attack_factors(n, alpha_a, alpha_r)
        offset = alpha_a * self._smooth / (1.0 - alpha_a)  # the state, as a term before k = 0
        if alpha_r >= alpha_a:
            # prefix[k + 1] = Σ_{j≤k} qʲ; a run from p to e adds M·(prefix[e + 1] − prefix[p]).
            before = prefix[starts]
            added = values * (prefix[starts + lengths] - before)
            base = np.empty_like(values)
            base[0] = offset
            np.cumsum(added[:-1], out=base[1:])  # out of place: see above
            base[1:] += offset
            base -= values * before
            acc = np.repeat(values, lengths)
            acc *= prefix[1:]
            acc += np.repeat(base, lengths)
        else:
            acc = np.repeat(values, lengths)
            acc *= into
            acc[0] += offset
            acc = np.cumsum(acc)  # a new array: see above
        self._smooth = float(acc[-1]) * (1.0 - alpha_a) * alpha_a ** (n - 1)
        if makeup != 0.0:
            acc *= out_scale
            acc += makeup
            return acc.astype(dtype, copy=False)
        # The output scale and the rounding to ``dtype`` in one pass (the same two roundings).
        return np.multiply(acc, out_scale, out=np.empty(n, dtype=dtype), casting="same_kind")

    def _max_decay(
        self, values: _FloatArray, previous: float, decay_per_frame: float
    ) -> tuple[_FloatArray, float]:
        """``out[n] = max(values[n], out[n−1] − decay)``, vectorised; returns (out, out[-1]).

        Unrolled, ``out[n] = max(max_{k≤n}(values[k] + k·d) − n·d, previous − (n+1)·d)``: a
        cumulative maximum, exact (no per-sample loop).
        """
        k = _ramp(values.shape[0], decay_per_frame)
        out = np.maximum.accumulate(values + k)
        out -= k
        np.maximum(out, (previous - decay_per_frame) - k, out=out)
        return out, float(out[-1])

    def _attack(self, target: _FloatArray) -> _FloatArray:
        """``s[n] = α·s[n−1] + (1 − α)·target[n]``, state carried between blocks.

        Unrolled: ``s[n] = αⁿ·(α·s[−1] + (1 − α)·Σ_{k≤n} α^(−k)·target[k])``, a cumulative
        sum: cheaper than ``scipy.signal.lfilter`` per call, which matters for the 64-frame
        blocks of automation. α^(−k) must stay finite, so long blocks with short attacks
        (−k·ln α > 600) go through ``lfilter`` instead.
        """
        alpha = _alpha(self.attack_ms, self._sample_rate)
        n = target.shape[0]
        if alpha == 0.0:
            smoothed = target
        elif n * -math.log(alpha) > 600.0:
            out, _state = lfilter(
                np.array([1.0 - alpha]),
                np.array([1.0, -alpha]),
                np.ascontiguousarray(target, dtype=np.float64),
                np.array([alpha * self._smooth]),
            )
            smoothed = out
        else:
            powers, inverse = _powers(n, alpha)
            smoothed = np.cumsum(inverse * target)
            smoothed *= 1.0 - alpha
            smoothed += alpha * self._smooth
            smoothed *= powers
        self._smooth = float(smoothed[-1])
        return smoothed


# Factors of one block length and time constant, shared by every unit with those settings (a
# mix's compressors mostly share them): cached, read-only. Blocks mostly have one length.


def _frozen(x: _FloatArray) -> _FloatArray:
    x.flags.writeable = False
    return x


@functools.lru_cache(maxsize=32)
def _powers(n: int, alpha: float) -> tuple[_FloatArray, _FloatArray]:
    """``(α^k, α^−k)`` for k = 0 … n−1."""
    ln_alpha = math.log(alpha)
    k = np.arange(n, dtype=np.float64)
    return _frozen(np.exp(k * ln_alpha)), _frozen(np.exp(-k * ln_alpha))


def _powers_pair(n: int, alpha: float) -> tuple[_FloatArray, _FloatArray]:
    """``(α^−k, α^k)`` for k = 0 … n−1."""
    powers, inverse = _powers(n, alpha)
    return inverse, powers


@functools.lru_cache(maxsize=32)
def _attack_factors(
    n: int, alpha_a: float, alpha_r: float
) -> tuple[_FloatArray, _FloatArray, _FloatArray]:
    """``(qᵏ, −ln10/20·(1 − α_A)·α_Aᵏ, prefix)`` for k = 0 … n−1 with q = αR/α_A, and
    ``prefix`` the n + 1 sums ``Σ_{j<k} qʲ``."""
    k = np.arange(n, dtype=np.float64)
    ln_a, ln_r = math.log(alpha_a), math.log(alpha_r)
    into = np.exp(k * (ln_r - ln_a))
    out_scale = np.exp(k * ln_a) * (-_LN10_20 * (1.0 - alpha_a))
    prefix = np.zeros(n + 1, dtype=np.float64)
    np.cumsum(into, out=prefix[1:])
    return _frozen(into), _frozen(out_scale), _frozen(prefix)


@functools.lru_cache(maxsize=32)
def _ramp(n: int, step: float) -> _FloatArray:
    """``step·[0, 1, …, n−1]``."""
    return _frozen(np.arange(n, dtype=np.float64) * step)


__all__ = [
    "FLOOR_DB",
    "Dynamics",
    "compressor_gain_reduction_db",
    "gate_gain_reduction_db",
]
