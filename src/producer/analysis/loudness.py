"""Loudness and peak metering: ITU-R BS.1770-4 / EBU R 128 (Tech 3341, Tech 3342).

Everything here works on float32 audio of shape ``(channels, frames)``.

* K-weighting (BS.1770-4 Annex 1, Tables 1/2) redesigned for any sample rate from the analog
  prototypes by the bilinear transform with pre-warping (the libebur128 / De Man method), so
  44.1, 48, 88.2, 96 and 192 kHz are all "the same filter"; at 48 kHz it reproduces Tables 1/2.
* Momentary (0.4 s) and short-term (3 s) loudness as time series on a hop of at most 10 ms
  (Tech 3341 cases 10 and 13 fail with a coarser hop), their maxima.
* Integrated loudness: 400 ms gating blocks, 75 % overlap, -70 LUFS absolute and -10 LU
  relative gates (BS.1770-4 eqs. 5-7), energies averaged per channel then weighted.
* Loudness range per EBU Tech 3342: short-term values at the same <= 10 ms hop (>= 10 Hz),
  -70 LUFS absolute and -20 LU relative gates, 10th to 95th percentile (nearest rank).
* Sample peak, and true peak by polyphase oversampling (BS.1770-4 Annex 2): 4x below
  176.4 kHz, 2x above, with a 33-tap-per-branch equiripple interpolator (every branch within
  0.026 dB of unity to 0.45 fs) instead of the Annex's 12-tap example, whose branches are off
  by up to 0.24 dB, half the EBU tolerance.

:class:`Meter` is the streaming form: ``add`` blocks one after the other, then ``result``. The
whole-array functions feed the same meter, so streaming and whole-array results are the same.
Per block the channels are processed on a thread each (scipy and numpy release the GIL; BLAS is
held to one thread meanwhile), and all per-sample work is vectorised: ``sosfilt`` for the
K-filter, two matrix products per chunk for the polyphase interpolator (chunks that provably
cannot hold the peak are skipped), reshaped sums for the 10 ms energies. ``measure_file``
decodes the next block on a thread while the current one is measured. Memory is the block plus
a few float64 per 10 ms hop: a 3-hour stereo file peaks at about 190 MB RSS, interpreter and
libraries included (bench/bench_meter.py).

Values that do not exist are -inf (loudness of silence) or nan (LRA without any gated
short-term value); ``LoudnessReport.to_json`` turns both into None and ``reasons`` says why.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from producer import audio as audio_io
from producer import cpus
from producer.errors import FormatError, ValidationError

Floats = npt.NDArray[np.float64]

#: BS.1770-4 eq. 2: the constant that makes a 997 Hz 0 dBFS sine on one channel read -3.01 LKFS.
LOUDNESS_OFFSET_DB = -0.691
#: BS.1770-4 Annex 1: gating block length and step (75 % overlap), absolute and relative gates.
BLOCK_S = 0.4
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
#: EBU Tech 3341 §2: short-term window.
SHORT_TERM_S = 3.0
#: EBU Tech 3342 §3.1: LRA gates and percentiles.
LRA_RELATIVE_GATE_LU = -20.0
LRA_LOW_PERCENTILE = 0.10
LRA_HIGH_PERCENTILE = 0.95
#: Longest hop of the momentary/short-term series (Tech 3341 file-based max M needs <= 18 ms).
MAX_HOP_S = 0.010
#: Default level above which true-peak events are recorded (EBU R 128 maximum true peak).
DEFAULT_EVENT_DBTP = -1.0
#: Surround channel weight of BS.1770-4 Table 3 (+1.5 dB).
SURROUND_WEIGHT = 1.41


def default_channel_weights(channels: int) -> tuple[float, ...]:
    """BS.1770-4 Table 3 weights for a channel count.

    mono (1.0); stereo L R; 3.0 L R C; 5.0 L R C Ls Rs; 5.1 L R C LFE Ls Rs (the LFE is not
    measured: weight 0; surrounds 1.41). Other counts get 1.0 on every channel (Annex 3 gives
    1.41 only to side/rear positions, which a bare channel count cannot tell).
    """
    if channels <= 0:
        raise ValidationError(f"audio must have at least one channel, got {channels}")
    if channels == 5:
        return (1.0, 1.0, 1.0, SURROUND_WEIGHT, SURROUND_WEIGHT)
    if channels == 6:
        return (1.0, 1.0, 1.0, 0.0, SURROUND_WEIGHT, SURROUND_WEIGHT)
    return (1.0,) * channels


def k_weighting_sos(sample_rate: int) -> Floats:
    """The two K-weighting biquads for ``sample_rate`` as scipy ``sos``, shape (2, 6).

    Row 0 is the high-shelf "head" stage, row 1 the RLB high-pass (BS.1770-4 Tables 1/2). Both
    are bilinear-transform designs of the analog prototypes fitted to the 48 kHz tables
    (libebur128 ``ebur128_init_filter``; B. De Man, AES 145th Conv. 2018), so at 48 kHz they
    equal the tables to about 1e-15. Stage 2's numerator is [1, -2, 1], not normalised: the
    -0.691 dB constant of eq. 2 accounts for its +0.043 dB high-frequency gain.
    """
    if sample_rate <= 0:
        raise ValidationError(f"sample rate must be positive, got {sample_rate}")
    fs = float(sample_rate)
    # Stage 1: high shelf.
    f0 = 1681.974450955533
    gain_db = 3.999843853973347
    q = 0.7071752369554196
    k = math.tan(math.pi * f0 / fs)
    vh = 10.0 ** (gain_db / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / q + k * k
    stage1 = [
        (vh + vb * k / q + k * k) / a0,
        2.0 * (k * k - vh) / a0,
        (vh - vb * k / q + k * k) / a0,
        1.0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / q + k * k) / a0,
    ]
    # Stage 2: RLB high pass.
    f0 = 38.13547087602444
    q = 0.5003270373238773
    k = math.tan(math.pi * f0 / fs)
    d = 1.0 + k / q + k * k
    stage2 = [1.0, -2.0, 1.0, 1.0, 2.0 * (k * k - 1.0) / d, (1.0 - k / q + k * k) / d]
    return np.array([stage1, stage2], dtype=np.float64)


def oversampling_factor(sample_rate: int) -> int:
    """True-peak oversampling: 4x below 176.4 kHz, 2x above.

    BS.1770-4 Annex 2 asks for >= 192 kHz after oversampling and allows 2x at 96 kHz, but a 2x
    meter under-reads an fs/4 tone by up to 0.69 dB (Attachment 1: 20·log10(cos(π·f/(n·fs))))
    and fails Tech 3341 cases 16 and 19 at 96 kHz; 4x keeps the bound at 0.17 dB there.
    """
    return 4 if sample_rate < 176400 else 2


#: Taps per polyphase branch of the true-peak interpolator.
TRUE_PEAK_TAPS_PER_PHASE = 33


@lru_cache(maxsize=4)
def true_peak_filter(factor: int) -> npt.NDArray[np.float32]:
    """Polyphase true-peak interpolator for an oversampling ``factor``, shape (taps, factor).

    Column p, applied as a dot product with ``taps`` consecutive input samples
    x[n .. n + taps - 1], gives the signal at n + (taps - 1)/2 + p/factor: exactly p/factor
    past an input sample (the prototype's delay is a whole number of input samples), so the
    interpolated points include the tone peaks the EBU cases aim at. The prototype is an
    equiripple (Parks-McClellan) low-pass, pass band to 0.45 fs, stop band from 0.55 fs. What
    matters for a peak reader is each *branch*, whose gain error is set by the stop band (the
    images): with 33 taps per branch every branch is within 0.026 dB of unity up to 0.45 fs.
    BS.1770-4 Annex 2 allows any filter "that gives similar or superior results"; the branches
    of its 12-tap example are off by up to 0.24 dB (STANDARDS.md §1.4).
    """
    import scipy.signal  # here, not at import: it costs a third of a second (start-up)

    taps = TRUE_PEAK_TAPS_PER_PHASE
    h = scipy.signal.remez(
        (taps - 1) * factor + 1,
        [0.0, 0.45 / factor, 0.55 / factor, 0.5],
        [factor, 0.0],
    )
    padded = np.zeros(taps * factor)
    padded[: len(h)] = h
    # Branch p holds h[p], h[p + factor], ...; reversed so that a forward dot product with the
    # window x[n .. n + taps - 1] is the convolution.
    branches = padded.reshape(taps, factor)[::-1]
    out = np.ascontiguousarray(branches, dtype=np.float32)
    out.setflags(write=False)
    return out


def hop_frames(sample_rate: int) -> int:
    """Frames per hop of the momentary/short-term series: <= 10 ms, dividing both windows.

    The 400 ms block, its 100 ms step and the 3 s window are whole numbers of hops, so every
    gating block of BS.1770 is exactly one momentary window of the series (10 ms at 44.1, 48,
    88.2, 96 and 192 kHz).
    """
    block = round(BLOCK_S * sample_rate)
    short = round(SHORT_TERM_S * sample_rate)
    g = math.gcd(block, short)
    if block % 4 == 0:
        g = math.gcd(g, block // 4)
    limit = max(1, int(MAX_HOP_S * sample_rate))
    return max(d for d in range(1, min(g, limit) + 1) if g % d == 0)


def _db(power: Floats | float, offset_db: float = 0.0) -> Any:
    """10·log10(power) + offset, -inf for 0 (no warnings)."""
    with np.errstate(divide="ignore"):
        return offset_db + 10.0 * np.log10(power)


def _amplitude_db(amplitude: float) -> float:
    return float(20.0 * math.log10(amplitude)) if amplitude > 0.0 else -math.inf


def _finite_or_none(value: float) -> float | None:
    return round(value, 4) if math.isfinite(value) else None


@dataclass(frozen=True, eq=False)
class LoudnessReport:
    """Everything the meter measured on one programme.

    Values that do not exist are -inf (loudness/peaks of silence, maxima of a programme shorter
    than the window) or nan (loudness range with no short-term value passing its gates);
    :meth:`reasons` says why. Series: ``momentary_lufs[k]`` is the 0.4 s window ending at
    ``momentary_times_s[k]`` (the first ends at 0.4 s), ``short_term_lufs[k]`` the 3 s window
    ending at ``short_term_times_s[k]``, one value per ``hop_s``.
    """

    integrated_lufs: float
    loudness_range_lu: float
    true_peak_dbtp: float
    sample_peak_dbfs: float
    momentary_max_lufs: float
    short_term_max_lufs: float
    duration_s: float
    sample_rate: int
    channels: int
    channel_weights: tuple[float, ...]
    true_peak_per_channel_dbtp: tuple[float, ...]
    sample_peak_per_channel_dbfs: tuple[float, ...]
    true_peak_time_s: float
    #: Times (s, start of a hop) where the interpolated signal exceeded ``event_threshold_dbtp``.
    true_peak_events_s: Floats
    event_threshold_dbtp: float
    hop_s: float
    momentary_lufs: Floats = field(repr=False)
    short_term_lufs: Floats = field(repr=False)
    oversampling: int = 4

    @property
    def momentary_times_s(self) -> Floats:
        """End time (s) of each momentary window, shape (len(momentary_lufs),)."""
        first = round(BLOCK_S / self.hop_s)
        return (np.arange(len(self.momentary_lufs), dtype=np.float64) + first) * self.hop_s

    @property
    def short_term_times_s(self) -> Floats:
        """End time (s) of each short-term window, shape (len(short_term_lufs),)."""
        first = round(SHORT_TERM_S / self.hop_s)
        return (np.arange(len(self.short_term_lufs), dtype=np.float64) + first) * self.hop_s

    def reasons(self) -> dict[str, str]:
        """Why each missing value (JSON null) is missing, by JSON field name."""
        out: dict[str, str] = {}
        if not math.isfinite(self.integrated_lufs):
            out["integrated_lufs"] = (
                "programme shorter than one 400 ms gating block"
                if self.duration_s < BLOCK_S
                else "no 400 ms block above the -70 LUFS absolute gate (silence)"
            )
        if not math.isfinite(self.loudness_range_lu):
            out["loudness_range_lu"] = (
                "programme shorter than the 3 s short-term window"
                if self.duration_s < SHORT_TERM_S
                else "no short-term value above the -70 LUFS absolute gate (silence)"
            )
        if not math.isfinite(self.momentary_max_lufs):
            out["momentary_max_lufs"] = (
                "programme shorter than the 400 ms momentary window"
                if self.duration_s < BLOCK_S
                else "silence: every sample is zero"
            )
        if not math.isfinite(self.short_term_max_lufs):
            out["short_term_max_lufs"] = (
                "programme shorter than the 3 s short-term window"
                if self.duration_s < SHORT_TERM_S
                else "silence: every sample is zero"
            )
        if not math.isfinite(self.true_peak_dbtp):
            out["true_peak_dbtp"] = "silence: every sample is zero"
        if not math.isfinite(self.sample_peak_dbfs):
            out["sample_peak_dbfs"] = "silence: every sample is zero"
        return out

    def to_json(self) -> dict[str, Any]:
        """The JSON fields of ``producer meter --json``; None (null) where a value does not exist."""
        return {
            "integrated_lufs": _finite_or_none(self.integrated_lufs),
            "loudness_range_lu": _finite_or_none(self.loudness_range_lu),
            "true_peak_dbtp": _finite_or_none(self.true_peak_dbtp),
            "sample_peak_dbfs": _finite_or_none(self.sample_peak_dbfs),
            "momentary_max_lufs": _finite_or_none(self.momentary_max_lufs),
            "short_term_max_lufs": _finite_or_none(self.short_term_max_lufs),
            "duration_s": round(self.duration_s, 6),
            "sample_rate": self.sample_rate,
            "channels": self.channels,
        }


@dataclass
class _ChannelState:
    zi: npt.NDArray[np.float32]
    history: npt.NDArray[np.float32]
    carry_energy: float = 0.0
    sample_peak: float = 0.0
    true_peak: float = 0.0
    true_peak_frame: int = 0
    event_hops: list[npt.NDArray[np.int64]] = field(default_factory=list)


@dataclass(frozen=True)
class _BlockResult:
    energies: Floats
    carry_energy: float
    sample_peak: float
    true_peak: float
    true_peak_frame: int
    event_hops: npt.NDArray[np.int64]


class Meter:
    """Streaming BS.1770-4 / EBU R 128 meter: ``add`` blocks, then ``result``.

    Memory is bounded by the block plus one float64 per hop (10 ms). ``result`` may be called
    at any time and does not change the meter; ``reset`` starts a new measurement.

    Parameters
    ----------
    sample_rate : int
    channels : int
    channel_weights : sequence of float, optional
        G_i of BS.1770-4 eq. 2; default :func:`default_channel_weights`.
    event_threshold_dbtp : float
        True-peak events (for plots) are the hops where the interpolated signal exceeds this.
    threads : int, optional
        Worker threads for the channels (default: min(channels, :func:`producer.cpus.available`));
        1 runs inline.
    """

    #: Frames processed per matrix product of the true-peak interpolator (bounds temporaries).
    _TP_CHUNK = 8192

    def __init__(
        self,
        sample_rate: int,
        channels: int,
        channel_weights: Sequence[float] | None = None,
        *,
        event_threshold_dbtp: float = DEFAULT_EVENT_DBTP,
        threads: int | None = None,
    ) -> None:
        if int(sample_rate) != sample_rate or sample_rate <= 0:
            raise ValidationError(f"sample rate must be a positive integer, got {sample_rate}")
        self.sample_rate = int(sample_rate)
        weights = (
            default_channel_weights(channels)
            if channel_weights is None
            else tuple(float(w) for w in channel_weights)
        )
        if len(weights) != channels:
            raise ValidationError(
                f"channel_weights has {len(weights)} values for {channels} channel(s)"
            )
        if any(not math.isfinite(w) or w < 0 for w in weights):
            raise ValidationError(f"channel_weights must be finite and >= 0, got {weights}")
        self.channels = channels
        self.channel_weights = weights
        self.event_threshold_dbtp = event_threshold_dbtp
        self._event_threshold = 10.0 ** (event_threshold_dbtp / 20.0)
        self._sos = k_weighting_sos(self.sample_rate).astype(np.float32)
        self._factor = oversampling_factor(self.sample_rate)
        self._tp_branches = true_peak_filter(self._factor)
        # Branch 0 (the sample instants) is not computed: there the signal *is* the sample,
        # which is taken as it is (the branch would only add its ±0.03 dB ripple). A quarter
        # less work, and a reading that never falls below the sample peak.
        between = np.ascontiguousarray(self._tp_branches[:, 1:])
        self._tp_now, self._tp_next = _frame_matrices(between)
        self._tp_gain_l1 = float(np.abs(between.astype(np.float64)).sum(axis=0).max())
        self.hop_frames = hop_frames(self.sample_rate)
        self._block_hops = round(BLOCK_S * self.sample_rate) // self.hop_frames
        self._short_hops = round(SHORT_TERM_S * self.sample_rate) // self.hop_frames
        step = round(BLOCK_S * self.sample_rate / 4 / self.hop_frames)
        self._gate_step_hops = max(1, step)
        n_threads = min(channels, cpus.available()) if threads is None else threads
        self._executor: Executor | None = (
            ThreadPoolExecutor(max_workers=n_threads, thread_name_prefix="meter")
            if n_threads > 1
            else None
        )
        self.reset()

    def reset(self) -> None:
        """Forget everything measured so far (filter states, series, peaks)."""
        taps = self._tp_branches.shape[0]
        self._state = [
            _ChannelState(
                zi=np.zeros((2, 2), dtype=np.float32),
                history=np.zeros(taps - 1, dtype=np.float32),
            )
            for _ in range(self.channels)
        ]
        self._energies: list[Floats] = []
        self._pending = 0  # frames of the incomplete hop at the end of what was added
        self.frames = 0

    def close(self) -> None:
        """Stop the worker threads (the meter can still ``result``)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    def __enter__(self) -> Meter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, block: npt.ArrayLike) -> None:
        """Measure the next block, float32 ``(channels, frames)`` (a 1-D block is mono).

        Raises ValidationError for a wrong channel count or NaN/Inf samples; after that the
        meter holds a partly measured block: ``reset`` it before measuring again.
        """
        x = np.asarray(block, dtype=np.float32)
        if x.ndim == 1:
            x = x[np.newaxis, :]
        if x.ndim != 2 or x.shape[0] != self.channels:
            raise ValidationError(
                f"block must be ({self.channels}, frames) audio, got shape {x.shape}"
            )
        n = x.shape[1]
        if n == 0:
            return
        jobs = [(c, x[c]) for c in range(self.channels)]
        # One BLAS thread: the interpolator's small matrix products gain nothing from OpenBLAS
        # threads, which spin against our channel threads (measured 30-70x slower on 2 cores).
        with _blas_controller().limit(limits=1, user_api="blas"):
            if self._executor is None:
                results = [self._channel_block(c, xc) for c, xc in jobs]
            else:
                futures = [self._executor.submit(self._channel_block, c, xc) for c, xc in jobs]
                results = [f.result() for f in futures]
        for c, r in enumerate(results):
            if not math.isfinite(r.sample_peak):
                raise ValidationError("audio contains NaN or Inf samples")
            s = self._state[c]
            s.carry_energy = r.carry_energy
            s.sample_peak = max(s.sample_peak, r.sample_peak)
            if r.true_peak > s.true_peak:
                s.true_peak = r.true_peak
                s.true_peak_frame = r.true_peak_frame
            if len(r.event_hops):
                s.event_hops.append(r.event_hops)
        if len(results[0].energies):
            weighted = np.zeros(len(results[0].energies), dtype=np.float64)
            for w, r in zip(self.channel_weights, results, strict=True):
                if w:
                    weighted += w * r.energies
            self._energies.append(weighted)
        self._pending = (self._pending + n) % self.hop_frames
        self.frames += n

    def _channel_block(self, c: int, x: npt.NDArray[np.float32]) -> _BlockResult:
        """All per-sample work of one channel of one block; runs on a worker thread."""
        s = self._state[c]
        n = len(x)
        sample_peak = float(np.max(np.abs(x)))
        if not math.isfinite(sample_peak):
            return _BlockResult(np.empty(0), 0.0, sample_peak, 0.0, 0, np.empty(0, np.int64))
        # K-weighting (BS.1770-4 Annex 1 stage 1+2) then squares. float32 is ample (the tests
        # hold it to a float64 reference within 0.001 LU) and 2-3x faster than float64.
        import scipy.signal  # imported on first use: see true_peak_filter

        y, s.zi = scipy.signal.sosfilt(self._sos, x, zi=s.zi)
        p = y * y
        # Energy per hop: finish the hop left open by the previous block, then whole hops.
        h = self.hop_frames
        head = (h - self._pending) % h
        parts: list[Floats] = []
        carry = s.carry_energy
        if head:
            if n < head:
                carry += float(np.sum(p, dtype=np.float64))
                head = n
            else:
                parts.append(np.array([carry + float(np.sum(p[:head], dtype=np.float64))]))
                carry = 0.0
        whole = (n - head) // h
        if whole:
            parts.append(p[head : head + whole * h].reshape(whole, h).sum(axis=1, dtype=np.float64))
        rest = p[head + whole * h :]
        if len(rest):
            carry += float(np.sum(rest, dtype=np.float64))
        energies = np.concatenate(parts) if parts else np.empty(0)
        true_peak, tp_frame, events = self._true_peak(c, x)
        return _BlockResult(energies, carry, sample_peak, true_peak, tp_frame, events)

    def _true_peak(
        self, c: int, x: npt.NDArray[np.float32]
    ) -> tuple[float, int, npt.NDArray[np.int64]]:
        """Max |interpolated signal| of one channel's block, its frame, and the event hops.

        The polyphase interpolation runs as two matrix products on the block cut into frames
        of ``taps - 1`` samples (a free reshape): every output frame depends on its input
        frame and the next one, through two banded matrices (:func:`_frame_matrices`). One
        BLAS call per chunk instead of a Python loop per sample or per branch, and no copy
        of sliding windows.
        """
        s = self._state[c]
        n = len(x)
        width = len(s.history)  # taps - 1 = frame length
        per_sample = self._factor - 1  # interpolated points between two samples
        frames = -(-n // width)
        buf = np.zeros((frames + 1) * width, dtype=np.float32)
        buf[:width] = s.history
        buf[width : width + n] = x
        s.history = buf[n : n + width].copy()
        framed = buf.reshape(frames + 1, width)
        # Output (k, p) (0 <= k < n) is the signal at frame first_frame + k + (p + 1)/factor.
        first_frame = self.frames - width + width // 2
        best = s.true_peak
        best_frame = s.true_peak_frame
        j = int(np.argmax(np.abs(x)))
        if abs(float(x[j])) > best:
            # The samples count as they are: max(|sample|, |interpolated between samples|).
            best = abs(float(x[j]))
            best_frame = self.frames + j
        events: list[npt.NDArray[np.int64]] = []
        rows = max(1, self._TP_CHUNK // width)
        # Exact pruning: an output of the chunk is at most gain_l1 · max|input it reads|, so a
        # chunk whose bound cannot beat the peak found so far nor reach the event threshold
        # needs no interpolation. Loudest chunks first, so the peak is found early.
        frame_peak = np.abs(framed).max(axis=1)
        starts = np.arange(0, frames, rows)
        bounds = (
            np.array([frame_peak[int(r0) : min(frames, int(r0) + rows) + 1].max() for r0 in starts])
            * self._tp_gain_l1
        )
        for ci in np.argsort(-bounds, kind="stable"):
            if bounds[ci] <= best and bounds[ci] <= self._event_threshold:
                break
            r0 = int(starts[ci])
            r1 = min(frames, r0 + rows)
            y = framed[r0:r1] @ self._tp_now
            y += framed[r0 + 1 : r1 + 1] @ self._tp_next
            y = np.abs(y.reshape(-1, per_sample)[: n - r0 * width])
            # Max over the branches column by column (numpy's reduce along a short axis is slow).
            peak_row = y[:, 0].copy()
            for p in range(1, per_sample):
                np.maximum(peak_row, y[:, p], out=peak_row)
            i = int(np.argmax(peak_row))
            if peak_row[i] > best:
                best = float(peak_row[i])
                best_frame = first_frame + r0 * width + i
            if peak_row[i] > self._event_threshold:
                over = np.flatnonzero(peak_row > self._event_threshold)
                at = np.maximum(first_frame + r0 * width + over, 0)
                events.append(np.unique(at // self.hop_frames))
        if abs(float(x[j])) > self._event_threshold:  # samples over the threshold count too
            over = np.flatnonzero(np.abs(x) > self._event_threshold)
            events.append(np.unique((self.frames + over) // self.hop_frames))
        ev = np.unique(np.concatenate(events)) if events else np.empty(0, np.int64)
        return best, best_frame, ev.astype(np.int64)

    def result(self) -> LoudnessReport:
        """The measurement of everything added so far (the meter is left unchanged)."""
        fs = self.sample_rate
        hop_s = self.hop_frames / fs
        energies = np.concatenate(self._energies) if self._energies else np.empty(0)
        block_frames = self._block_hops * self.hop_frames
        short_frames = self._short_hops * self.hop_frames
        # Sliding sums of whole hops, by direct convolution (exact per window: no drift from
        # differences of a long cumulative sum, and digital silence stays exactly 0).
        momentary_power = _window_sum(energies, self._block_hops) / block_frames
        short_power = _window_sum(energies, self._short_hops) / short_frames
        momentary = _db(momentary_power, LOUDNESS_OFFSET_DB)
        short_term = _db(short_power, LOUDNESS_OFFSET_DB)
        integrated = _gated_loudness(momentary_power[:: self._gate_step_hops])
        lra = loudness_range_of_short_term(short_term)
        # The last taps // 2 samples (0.33 ms at 48 kHz) count by their sample value only:
        # interpolating them needs samples after the end, and assuming silence there turns
        # the abrupt end of an excerpt into ringing that is not in the programme (+0.7 dB on
        # a 1 s orchestral excerpt of the test data). libebur128 does not flush either.
        tp_linear = [s.true_peak for s in self._state]
        tp_best = int(np.argmax(tp_linear)) if tp_linear else 0
        event_list = [h for s in self._state for h in s.event_hops]
        events = np.unique(np.concatenate(event_list)) if event_list else np.empty(0, np.int64)
        return LoudnessReport(
            integrated_lufs=integrated,
            loudness_range_lu=lra,
            true_peak_dbtp=_amplitude_db(max(tp_linear, default=0.0)),
            sample_peak_dbfs=_amplitude_db(max((s.sample_peak for s in self._state), default=0)),
            momentary_max_lufs=float(np.max(momentary)) if len(momentary) else -math.inf,
            short_term_max_lufs=float(np.max(short_term)) if len(short_term) else -math.inf,
            duration_s=self.frames / fs,
            sample_rate=fs,
            channels=self.channels,
            channel_weights=self.channel_weights,
            true_peak_per_channel_dbtp=tuple(_amplitude_db(v) for v in tp_linear),
            sample_peak_per_channel_dbfs=tuple(_amplitude_db(s.sample_peak) for s in self._state),
            true_peak_time_s=(
                max(0, self._state[tp_best].true_peak_frame) / fs if tp_linear else 0.0
            ),
            true_peak_events_s=events.astype(np.float64) * hop_s,
            event_threshold_dbtp=self.event_threshold_dbtp,
            hop_s=hop_s,
            momentary_lufs=momentary,
            short_term_lufs=short_term,
            oversampling=self._factor,
        )


def _frame_matrices(
    branches: npt.NDArray[np.float32],
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """The interpolator as two (frame, frame·factor) matrices on frames of ``taps - 1``.

    With x cut into frames X_j of B = taps - 1 samples, output r (branch p) of frame j is
    sum_k branches[k, p]·x[jB + r + k], which reads frames j and j + 1 only:
    Y_j = X_j @ now + X_{j+1} @ next, Y_j of shape (B·factor,) laid out as (r, p).
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
def _blas_controller() -> Any:
    """threadpoolctl's controller (imported on first use: it inspects every loaded library)."""
    from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

    return ThreadpoolController()


def _window_sum(energies: Floats, width: int) -> Floats:
    """Sums of ``width`` consecutive values (complete windows only), shape (n - width + 1,)."""
    if len(energies) < width:
        return np.empty(0)
    out = np.convolve(energies, np.ones(width), mode="valid")
    return np.maximum(out, 0.0)


def _gated_loudness(block_power: Floats) -> float:
    """Integrated loudness of 400 ms block powers (weighted sums of channel mean squares).

    BS.1770-4 eqs. 5-7: absolute gate l_j > -70 LKFS; relative gate = loudness of the mean
    *power* of the blocks that passed, -10 LU; the result is the loudness of the mean power of
    the blocks above both gates (strict ">", as in the equations). -inf if none passes.
    """
    loudness = _db(block_power, LOUDNESS_OFFSET_DB)
    passed = block_power[loudness > ABSOLUTE_GATE_LUFS]
    if len(passed) == 0:
        return -math.inf
    relative_gate = float(_db(float(np.mean(passed)), LOUDNESS_OFFSET_DB)) + RELATIVE_GATE_LU
    gated = block_power[(loudness > ABSOLUTE_GATE_LUFS) & (loudness > relative_gate)]
    return float(_db(float(np.mean(gated)), LOUDNESS_OFFSET_DB))


def loudness_range_of_short_term(short_term_lufs: npt.ArrayLike) -> float:
    """EBU Tech 3342 LRA of short-term loudness values (LUFS); nan when nothing passes.

    Absolute gate >= -70 LUFS and relative gate >= power mean - 20 LU (">=" as in the Tech 3342
    reference MATLAB), then the 95th minus the 10th percentile by nearest rank,
    index round((n - 1)·p) on the sorted values (MATLAB's round((n-1)·p + 1), 1-based).
    The meter feeds it every short-term value of its 10 ms series (Tech 3342 asks >= 10 Hz);
    any other series (e.g. libebur128's 1 Hz one) can be passed to compare.
    """
    st = np.asarray(short_term_lufs, dtype=np.float64)
    values = st[st >= ABSOLUTE_GATE_LUFS]
    if len(values) == 0:
        return math.nan
    mean_power = float(np.mean(10.0 ** (values / 10.0)))
    relative_gate = 10.0 * math.log10(mean_power) + LRA_RELATIVE_GATE_LU
    values = np.sort(values[values >= relative_gate])
    n = len(values)
    low = values[math.floor((n - 1) * LRA_LOW_PERCENTILE + 0.5)]
    high = values[math.floor((n - 1) * LRA_HIGH_PERCENTILE + 0.5)]
    return float(high - low)


#: Frames per block when a whole array is measured (about 1.4 s at 48 kHz).
BLOCK_FRAMES = 65536


def _checked(audio: npt.ArrayLike) -> npt.NDArray[np.float32]:
    a = np.asarray(audio, dtype=np.float32)
    if a.ndim == 1:
        a = a[np.newaxis, :]
    if a.ndim != 2:
        raise ValidationError(f"audio must be (channels, frames), got shape {a.shape}")
    if a.shape[1] == 0:
        raise ValidationError("audio holds no frames")
    return a


def measure(
    audio: npt.ArrayLike,
    sample_rate: int,
    channel_weights: Sequence[float] | None = None,
    *,
    event_threshold_dbtp: float = DEFAULT_EVENT_DBTP,
) -> LoudnessReport:
    """Measure everything at once.

    Parameters
    ----------
    audio : ndarray [shape=(channels, frames)], float32 (a 1-D array is mono)
    sample_rate : int
    channel_weights : sequence of float, optional (default: :func:`default_channel_weights`)
    """
    a = _checked(audio)
    with Meter(
        sample_rate, a.shape[0], channel_weights, event_threshold_dbtp=event_threshold_dbtp
    ) as meter:
        for start in range(0, a.shape[1], BLOCK_FRAMES):
            meter.add(a[:, start : start + BLOCK_FRAMES])
        return meter.result()


def measure_file(
    path: str | os.PathLike[str],
    channel_weights: Sequence[float] | None = None,
    *,
    block_frames: int = BLOCK_FRAMES,
    event_threshold_dbtp: float = DEFAULT_EVENT_DBTP,
) -> LoudnessReport:
    """Measure an audio file, streamed in blocks (bounded memory for any length).

    Raises FormatError/NotFoundError naming the file when it is missing, not audio, empty, or
    holds NaN/Inf samples.
    """
    p = Path(path)
    meta = audio_io.info(p)
    if meta.frames == 0:
        raise FormatError(f"{p}: holds no audio (zero frames)")
    with Meter(
        meta.sample_rate, meta.channels, channel_weights, event_threshold_dbtp=event_threshold_dbtp
    ) as meter:
        try:
            for block in _prefetched(audio_io.blocks(p, block_frames)):
                meter.add(block)
        except ValidationError as exc:
            raise FormatError(f"{p}: {exc.message}") from None
        if meter.frames == 0:
            raise FormatError(f"{p}: holds no audio (zero frames)")
        return meter.result()


def _prefetched(blocks: Iterator[audio_io.Audio]) -> Iterator[audio_io.Audio]:
    """Read the next block on a thread while the current one is measured.

    libsndfile decodes without the GIL (cffi releases it), so decoding overlaps the meter's
    own threads instead of adding to the wall time.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="meter-read") as reader:
        pending = reader.submit(next, blocks, None)
        while True:
            block = pending.result()
            if block is None:
                return
            pending = reader.submit(next, blocks, None)
            yield block


def integrated_loudness(audio: npt.ArrayLike, sample_rate: int) -> float:
    """Integrated (gated) loudness in LUFS of ``audio`` (channels, frames); -inf for silence."""
    return measure(audio, sample_rate).integrated_lufs


def loudness_range(audio: npt.ArrayLike, sample_rate: int) -> float:
    """EBU Tech 3342 loudness range in LU; nan if no short-term value passes the gates."""
    return measure(audio, sample_rate).loudness_range_lu


def true_peak(audio: npt.ArrayLike, sample_rate: int) -> float:
    """True peak in dBTP (max over channels) of ``audio`` (channels, frames); -inf for silence."""
    return measure(audio, sample_rate).true_peak_dbtp


def sample_peak(audio: npt.ArrayLike) -> float:
    """Sample peak in dBFS (max over channels) of ``audio`` (channels, frames); -inf if all 0."""
    a = _checked(audio)
    peak = float(np.max(np.abs(a)))
    if not math.isfinite(peak):
        raise ValidationError("audio contains NaN or Inf samples")
    return _amplitude_db(peak)


__all__ = [
    "ABSOLUTE_GATE_LUFS",
    "DEFAULT_EVENT_DBTP",
    "LOUDNESS_OFFSET_DB",
    "LoudnessReport",
    "Meter",
    "default_channel_weights",
    "hop_frames",
    "integrated_loudness",
    "k_weighting_sos",
    "loudness_range",
    "loudness_range_of_short_term",
    "measure",
    "measure_file",
    "oversampling_factor",
    "sample_peak",
    "true_peak",
    "true_peak_filter",
]
