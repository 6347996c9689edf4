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
* Sample peak, and the true peak: the exact peak of the band-limited signal
  (:mod:`producer.analysis.truepeak`: a BS.1770-4 Annex 2 style 4x interpolator finds the
  candidates, an exact reconstruction around them gives the value, within 0.001 dB of FFT
  interpolation on full-band material).
* Channel weights from the loudspeaker layout (:mod:`producer.analysis.layouts`: BS.1770-4
  Annex 3 for BS.2051 layouts such as 7.1 and 7.1.4; the LFE is not measured).

:class:`Meter` is the streaming form: ``add`` blocks one after the other, then ``result``. The
whole-array functions feed the same meter, so streaming and whole-array results are the same.
Per block the channels are processed on a thread each (numpy releases the GIL; BLAS is held to
one thread meanwhile), and all per-sample work is vectorised matrix products: the K-filter
(:mod:`producer.analysis.kweighting`, numpy only: ``scipy.signal`` is never imported, it would
cost more CPU at start-up than measuring a song), the 4x interpolator (chunks that provably
cannot hold the peak are skipped), reshaped sums for the 10 ms energies. ``measure_file``
decodes the next block on a thread while the current one is measured. Memory is the block,
about 6 MB per channel for the true peak's reach, and a few float64 per 10 ms hop
(bench/bench_meter.py measures a 3-hour stereo file).

Values that do not exist are -inf (loudness of silence) or nan (LRA without any gated
short-term value); ``LoudnessReport.to_json`` turns both into None and ``reasons`` says why.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from producer import audio as audio_io
from producer import cpus
from producer.analysis import layouts
from producer.analysis.kweighting import KFilter, k_weighting_sos
from producer.analysis.truepeak import FACTOR, ChannelTruePeak, interpolator_branches
from producer.errors import FormatError, UserError, ValidationError

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
SURROUND_WEIGHT = layouts.SURROUND_WEIGHT


def default_channel_weights(channels: int) -> tuple[float, ...]:
    """BS.1770-4 weights for a channel count (:func:`producer.analysis.layouts.default`).

    mono (1.0); stereo L R; 3.0 L R C; 5.0 L R C Ls Rs; 5.1 L R C LFE Ls Rs (the LFE is not
    measured: weight 0; surrounds 1.41); 7.1 L R C LFE Lrs Rrs Lss Rss and 7.1.4 (+ Ltf Rtf
    Ltr Rtr) in the WAV/FLAC channel order (side pair 1.41, rear and height 1.0). Other counts
    get 1.0 on every channel (Annex 3 gives 1.41 only to side positions, which a bare channel
    count cannot tell).
    """
    layout = layouts.default(channels)
    return layout.weights if layout is not None else (1.0,) * channels


def oversampling_factor(sample_rate: int) -> int:
    """Oversampling of the true-peak candidate stage: 4x at every rate.

    The value is not read off the 4x grid (which under-reads up to 0.69 dB at Nyquist,
    BS.1770-4 Annex 2 Attachment 1) but computed exactly around the candidates it finds
    (:mod:`producer.analysis.truepeak`); the candidate margin is set for a 4x grid.
    """
    if sample_rate <= 0:
        raise ValidationError(f"sample rate must be positive, got {sample_rate}")
    return FACTOR


def true_peak_filter(factor: int = FACTOR) -> npt.NDArray[np.float32]:
    """The 4x candidate interpolator as polyphase branches, shape (taps, 4).

    Column p, applied as a dot product with ``taps`` consecutive input samples, gives the signal
    exactly p/4 past a sample (:func:`producer.analysis.truepeak.interpolator_branches`).
    """
    if factor != FACTOR:
        raise ValidationError(f"the true-peak interpolator is {FACTOR}x, not {factor}x")
    return interpolator_branches()


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
    oversampling: int = FACTOR
    layout: str = ""
    """Name of the loudspeaker layout the weights come from ("" when none is known)."""
    layout_source: str = ""
    """Where the layout came from: "--layout", "channel mask", "channel count" or "weights"."""

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
    kfilter: KFilter
    peak: ChannelTruePeak
    carry_energy: float = 0.0
    event_hops: list[npt.NDArray[np.int64]] = field(default_factory=list)


@dataclass(frozen=True)
class _BlockResult:
    energies: Floats
    carry_energy: float
    sample_peak: float
    event_hops: npt.NDArray[np.int64]


class Meter:
    """Streaming BS.1770-4 / EBU R 128 meter: ``add`` blocks, then ``result``.

    Memory is bounded by the block, the true peak's window (about 6 MB per channel) and one
    float64 per hop (10 ms). ``result`` may be called at any time and does not change the
    meter; ``reset`` starts a new measurement.

    Parameters
    ----------
    sample_rate : int
    channels : int
    channel_weights : sequence of float, optional
        G_i of BS.1770-4 eq. 2; default: from ``layout``, else :func:`default_channel_weights`.
    event_threshold_dbtp : float
        True-peak events (for plots) are the hops where the interpolated signal exceeds this.
    threads : int, optional
        Worker threads for the channels (default: min(channels, :func:`producer.cpus.available`));
        1 runs inline.
    layout : Layout, optional
        The loudspeaker layout (:mod:`producer.analysis.layouts`) the weights come from.
    """

    def __init__(
        self,
        sample_rate: int,
        channels: int,
        channel_weights: Sequence[float] | None = None,
        *,
        event_threshold_dbtp: float = DEFAULT_EVENT_DBTP,
        threads: int | None = None,
        layout: layouts.Layout | None = None,
    ) -> None:
        if int(sample_rate) != sample_rate or sample_rate <= 0:
            raise ValidationError(f"sample rate must be a positive integer, got {sample_rate}")
        self.sample_rate = int(sample_rate)
        if channels <= 0:
            raise ValidationError(f"audio must have at least one channel, got {channels}")
        if layout is not None and len(layout.labels) != channels:
            raise ValidationError(
                f"layout {layout.name} has {len(layout.labels)} channels, the audio {channels}"
            )
        if channel_weights is not None:
            weights = tuple(float(w) for w in channel_weights)
            self.layout_name, self.layout_source = "", "weights"
        else:
            layout = layout if layout is not None else layouts.default(channels)
            weights = layout.weights if layout is not None else (1.0,) * channels
            self.layout_name = layout.name if layout is not None else ""
            self.layout_source = layout.source if layout is not None else ""
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
        self._state = [
            _ChannelState(
                KFilter(self.sample_rate), ChannelTruePeak(self._event_threshold, self.hop_frames)
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
        # One BLAS thread: the small matrix products gain nothing from OpenBLAS threads, which
        # spin against our channel threads (measured 30-70x slower on 2 cores).
        with one_blas_thread():
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
            return _BlockResult(np.empty(0), 0.0, sample_peak, np.empty(0, np.int64))
        # K-weighting (BS.1770-4 Annex 1 stage 1+2) then squares. float32 is ample (the tests
        # hold it to a float64 reference within 0.001 LU).
        y = s.kfilter.process(x)
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
        events = s.peak.add(x)
        return _BlockResult(energies, carry, sample_peak, events)

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
        with one_blas_thread():
            peaks = [s.peak.peak() for s in self._state]
        tp_linear = [v for v, _ in peaks]
        tp_best = int(np.argmax(tp_linear)) if tp_linear else 0
        event_list = [h for s in self._state for h in s.event_hops]
        events = np.unique(np.concatenate(event_list)) if event_list else np.empty(0, np.int64)
        return LoudnessReport(
            integrated_lufs=integrated,
            loudness_range_lu=lra,
            true_peak_dbtp=_amplitude_db(max(tp_linear, default=0.0)),
            sample_peak_dbfs=_amplitude_db(
                max((s.peak.sample_peak for s in self._state), default=0)
            ),
            momentary_max_lufs=float(np.max(momentary)) if len(momentary) else -math.inf,
            short_term_max_lufs=float(np.max(short_term)) if len(short_term) else -math.inf,
            duration_s=self.frames / fs,
            sample_rate=fs,
            channels=self.channels,
            channel_weights=self.channel_weights,
            true_peak_per_channel_dbtp=tuple(_amplitude_db(v) for v in tp_linear),
            sample_peak_per_channel_dbfs=tuple(
                _amplitude_db(s.peak.sample_peak) for s in self._state
            ),
            true_peak_time_s=max(0.0, peaks[tp_best][1]) / fs if peaks else 0.0,
            true_peak_events_s=events.astype(np.float64) * hop_s,
            event_threshold_dbtp=self.event_threshold_dbtp,
            hop_s=hop_s,
            momentary_lufs=momentary,
            short_term_lufs=short_term,
            oversampling=FACTOR,
            layout=self.layout_name,
            layout_source=self.layout_source,
        )


class one_blas_thread:
    """``with one_blas_thread():`` holds BLAS to one thread meanwhile (threadpoolctl,
    imported when first needed). Every matrix product of the meter, the true peak and the
    mastering chain is small: OpenBLAS threads only spin against the caller's own threads
    (measured 30-70x slower on 2 busy cores)."""

    _controller: Any = None

    def __enter__(self) -> None:
        if one_blas_thread._controller is None:
            from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

            one_blas_thread._controller = ThreadpoolController()
        self._limit = one_blas_thread._controller.limit(limits=1, user_api="blas")
        self._limit.__enter__()

    def __exit__(self, *exc: object) -> None:
        self._limit.__exit__(*exc)


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


def integrated_of_hop_energies(hop_energy: npt.ArrayLike, sample_rate: int) -> float:
    """Integrated loudness (LUFS) from channel-weighted K-weighted energies per 10 ms hop.

    ``hop_energy[k]`` is sum_i G_i sum of y_i^2 over hop k (:func:`hop_frames` frames each),
    what the meter accumulates; gating as :class:`Meter` does (400 ms blocks every 100 ms).
    Lets a model of a signal (the mastering chain's limiter model) be measured like the
    signal itself.
    """
    hop = hop_frames(sample_rate)
    block_hops = round(BLOCK_S * sample_rate) // hop
    step = max(1, round(BLOCK_S * sample_rate / 4 / hop))
    power = _window_sum(np.asarray(hop_energy, dtype=np.float64), block_hops) / (block_hops * hop)
    return _gated_loudness(power[::step])


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


def _layout(channels: int, layout: str | layouts.Layout | None) -> layouts.Layout | None:
    if layout is None or isinstance(layout, layouts.Layout):
        return layout
    return layouts.parse(layout, channels)


def measure(
    audio: npt.ArrayLike,
    sample_rate: int,
    channel_weights: Sequence[float] | None = None,
    *,
    event_threshold_dbtp: float = DEFAULT_EVENT_DBTP,
    layout: str | layouts.Layout | None = None,
) -> LoudnessReport:
    """Measure everything at once.

    Parameters
    ----------
    audio : ndarray [shape=(channels, frames)], float32 (a 1-D array is mono)
    sample_rate : int
    channel_weights : sequence of float, optional (default: from ``layout``)
    layout : str or Layout, optional
        The loudspeaker layout (:func:`producer.analysis.layouts.parse`: "5.1", "7.1.4",
        "0+7+0", "L,R,C,LFE,Lss,Rss,Lrs,Rrs"...); default: by the channel count.
    """
    a = _checked(audio)
    with Meter(
        sample_rate,
        a.shape[0],
        channel_weights,
        event_threshold_dbtp=event_threshold_dbtp,
        layout=_layout(a.shape[0], layout),
    ) as meter:
        for start in range(0, a.shape[1], BLOCK_FRAMES):
            meter.add(a[:, start : start + BLOCK_FRAMES])
        return meter.result()


def file_layout(path: str | os.PathLike[str], layout: str | None = None) -> layouts.Layout | None:
    """The layout of a file: ``layout`` (the user's), else the speaker positions it declares
    (WAV channel mask, CAF/AIFF channel layout), else its channel count.

    A named layout wins over what the file declares (the user may know better than a wrong
    mask); the layout's ``source`` then says what it overrode. Raises UserError naming
    the file when ``layout`` does not fit the file's channel count.
    """
    p = Path(path)
    meta = audio_io.info(p)
    declared = audio_io.speaker_positions(p)
    try:
        found = layouts.resolve(meta.channels, layout, declared)
    except UserError as exc:
        raise UserError(f"{p}: {exc.message}") from None
    if layout and declared:
        in_file = layouts.from_speakers(declared)
        if found is not None and in_file is not None and in_file.labels != found.labels:
            source = f"--layout (overrides the file's {' '.join(declared)})"
            return layouts.Layout(found.name, found.labels, source)
    return found


def measure_file(
    path: str | os.PathLike[str],
    channel_weights: Sequence[float] | None = None,
    *,
    block_frames: int = BLOCK_FRAMES,
    event_threshold_dbtp: float = DEFAULT_EVENT_DBTP,
    layout: str | None = None,
) -> LoudnessReport:
    """Measure an audio file, streamed in blocks (bounded memory for any length).

    The channel weights come from ``layout`` (named by the user), else from the speaker
    positions the file declares, else from the channel count (:func:`file_layout`).
    Raises FormatError/NotFoundError naming the file when it is missing, not audio, empty, or
    holds NaN/Inf samples; UserError when ``layout`` does not fit it.
    """
    p = Path(path)
    meta = audio_io.info(p)
    if meta.frames == 0:
        raise FormatError(f"{p}: holds no audio (zero frames)")
    found = None if channel_weights is not None else file_layout(p, layout)
    with Meter(
        meta.sample_rate,
        meta.channels,
        channel_weights,
        event_threshold_dbtp=event_threshold_dbtp,
        layout=found,
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
    own threads instead of adding to the wall time. With a budget of one CPU it reads in turn.
    """
    if cpus.available() < 2:
        yield from blocks
        return
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
    "BLOCK_FRAMES",
    "DEFAULT_EVENT_DBTP",
    "LOUDNESS_OFFSET_DB",
    "LoudnessReport",
    "Meter",
    "default_channel_weights",
    "file_layout",
    "hop_frames",
    "integrated_loudness",
    "integrated_of_hop_energies",
    "k_weighting_sos",
    "loudness_range",
    "loudness_range_of_short_term",
    "measure",
    "measure_file",
    "one_blas_thread",
    "oversampling_factor",
    "sample_peak",
    "true_peak",
    "true_peak_filter",
]
