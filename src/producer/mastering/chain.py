"""The mastering chain: EQ → glue compressor → gain → true-peak limiter → dither, solved to a target.

Order of work (each step's reason in its comment):

1. Sample-rate conversion to the profile's rate FIRST (soxr VHQ, :mod:`producer.dsp.resample`),
   so the limiter and the meter work on the samples that are delivered: no SRC after the
   limiter can create new inter-sample peaks.
2. Corrective EQ (pedalboard shelves/peaks, a tilt, or the reference-matching FIR) and an
   optional glue compressor (pedalboard ``Compressor``). Neither depends on the gain, so they
   run once.
3. The gain that puts the integrated loudness on target is solved iteratively WITH the
   limiter and the final quantisation in the loop: every candidate is the exact deliverable
   (gain → ``BrickwallLimiter(true_peak=True)`` → TPDF dither) measured by our BS.1770-4 meter,
   so what is reported is what is delivered. Loudness is not monotonic in the gain under heavy
   limiting (more blocks pass the relative gate), so the solver brackets the target and closes
   the bracket by false position (:func:`_solve_gain`).
4. True peak: the pedalboard limiter detects with 4× oversampling and its docs warn that
   overshoot is reduced, not eliminated — measured here on 5 s of white noise at 44.1 kHz, a
   −1.0 dB ceiling gave −0.79 dBTP at 8× (0.21 dB over). So the limiter's working ceiling is
   tightened by the measured overshoot: during the iterations by our meter's 4× reading
   (with a 0.1 dB margin), and on the final candidate by max(meter, 8× soxr-interpolated
   peak) — a 4× detector under-reads up to 0.55 dB at 0.45·fs (BS.1770-4 Annex 2, Att. 1;
   STANDARDS.md §1.4) — re-solving from the last gain if that check fails. No clipper.
5. When the limiter alone cannot reach the target within ``max_limiting_db`` (the limiting
   budget), a glue compressor (2:1, then 4:1) is put before it; if that fails too the gain is
   capped at the budget and the result says so (``passed`` False, ``problems`` explains, the
   achieved figures are reported): a target is never silently missed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
import pedalboard

from producer.analysis import loudness
from producer.audio import Audio, as_audio
from producer.dsp import dither
from producer.dsp.resample import resample
from producer.errors import UserError
from producer.mastering.profiles import DeliveryProfile

#: Integrated loudness below this is treated as a silent input (BS.1770-4 absolute gate).
SILENCE_LUFS = -70.0
#: The solver aims this close to the target, well inside the ±0.1 LU acceptance.
SOLVE_TOLERANCE_LU = 0.02
MAX_ITERATIONS = 14
#: Safety margin under the ceiling for the verified true peak: other 8x interpolators (a
#: shorter filter than soxr's) read a few hundredths of a dB differently.
TRUE_PEAK_MARGIN_DB = 0.03
#: Margin for the meter's 4x reading that steers the iterations: it can read a little under an
#: 8x detector, and every miss found by the final 8x check costs a re-solve.
METER_TRUE_PEAK_MARGIN_DB = 0.1
#: Block used to estimate the limiter's gain reduction over time (for the report).
GR_BLOCK_S = 0.05


@dataclass(frozen=True)
class EqBand:
    """One corrective EQ band: ``kind`` is "low_shelf", "high_shelf" or "peak"."""

    kind: str
    frequency_hz: float
    gain_db: float
    q: float = 0.707


@dataclass(frozen=True)
class CompressorSettings:
    """A gentle glue compressor (pedalboard ``Compressor``)."""

    threshold_db: float = -18.0
    ratio: float = 1.5
    attack_ms: float = 30.0
    release_ms: float = 200.0


@dataclass(frozen=True)
class ChainSettings:
    """How to master: EQ, glue compression, limiter, limiting budget, dither options."""

    eq: tuple[EqBand, ...] = ()
    tilt_db: float = 0.0
    """Spectral tilt: +x dB lifts the highs by x/2 dB and cuts the lows by x/2 around 1 kHz."""
    compressor: CompressorSettings | None = None
    max_limiting_db: float = 15.0
    """Largest limiter gain reduction accepted to reach the target (the limiting budget)."""
    auto_compress: bool = True
    """When the limiter alone cannot reach the target within the budget, add glue compression."""
    limiter_release_ms: float = 100.0
    limiter_lookahead_ms: float = 5.0
    noise_shaping: bool = False
    seed: int = 0
    """Seed of the TPDF dither: the same input gives the same file."""
    reference_max_eq_db: float = 6.0
    """Largest boost/cut of the reference-matching EQ."""


@dataclass(frozen=True)
class MasterResult:
    """A mastered signal and the figures measured on it (at the delivery rate and depth).

    ``audio`` is float32 (channels, frames) at ``sample_rate``; for 16/24-bit profiles its
    values lie on the PCM grid, ready to be written without further rounding.
    """

    audio: Audio
    sample_rate: int
    bit_depth: str
    target_lufs: float
    ceiling_dbtp: float
    integrated_lufs: float
    true_peak_dbtp: float
    """max(meter's BS.1770 true peak, 8× soxr-interpolated peak) of the delivered samples."""
    loudness_range_lu: float
    input_integrated_lufs: float
    input_loudness_range_lu: float
    gain_db: float
    limiter_ceiling_db: float
    max_gain_reduction_db: float
    iterations: int
    gain_reduction_db: npt.NDArray[np.float64] = field(repr=False)
    """Limiter gain reduction per 50 ms block (positive dB)."""
    problems: tuple[str, ...] = ()
    tolerance_lu: float = 0.1
    report: loudness.LoudnessReport | None = field(default=None, repr=False)
    """Our meter's full report of the delivered samples (series for plots)."""
    input_report: loudness.LoudnessReport | None = field(default=None, repr=False)
    processed_input: Audio | None = field(default=None, repr=False)
    """The input after SRC/EQ/compression, before gain and limiter (for spectrum plots)."""

    @property
    def loudness_error_lu(self) -> float:
        return self.integrated_lufs - self.target_lufs

    @property
    def passed(self) -> bool:
        return not self.problems


DEFAULT_SETTINGS = ChainSettings()


def oversampled_peak_dbtp(audio: Audio, sample_rate: int, factor: int = 8) -> float:
    """Peak (dBTP) of ``audio`` [shape=(channels, frames)] interpolated ``factor``× by soxr VHQ.

    An 8× detector under-reads by at most 0.17 dB at fs/2 and 0.14 dB at 0.45·fs
    (BS.1770-4 Annex 2, Attachment 1); soxr's long linear-phase filter does the interpolation.
    """
    a = as_audio(audio)
    if a.shape[1] == 0:
        return -math.inf
    up = resample(a, sample_rate, sample_rate * factor)
    peak = max(float(np.max(np.abs(up))), float(np.max(np.abs(a))))
    return 20.0 * math.log10(peak) if peak > 0 else -math.inf


def delivered_true_peak_dbtp(
    audio: Audio, sample_rate: int, report: loudness.LoudnessReport | None = None
) -> float:
    """The stricter of our BS.1770-4 true-peak meter and the 8× interpolated peak."""
    meter_tp = (report or loudness.measure(audio, sample_rate)).true_peak_dbtp
    return max(meter_tp, oversampled_peak_dbtp(audio, sample_rate))


def _eq_board(settings: ChainSettings) -> list[pedalboard.Plugin]:
    plugins: list[pedalboard.Plugin] = []
    if settings.tilt_db:
        half = settings.tilt_db / 2.0
        plugins.append(pedalboard.LowShelfFilter(cutoff_frequency_hz=1000.0, gain_db=-half))
        plugins.append(pedalboard.HighShelfFilter(cutoff_frequency_hz=1000.0, gain_db=half))
    for band in settings.eq:
        if band.kind == "low_shelf":
            plugins.append(
                pedalboard.LowShelfFilter(
                    cutoff_frequency_hz=band.frequency_hz, gain_db=band.gain_db, q=band.q
                )
            )
        elif band.kind == "high_shelf":
            plugins.append(
                pedalboard.HighShelfFilter(
                    cutoff_frequency_hz=band.frequency_hz, gain_db=band.gain_db, q=band.q
                )
            )
        elif band.kind == "peak":
            plugins.append(
                pedalboard.PeakFilter(
                    cutoff_frequency_hz=band.frequency_hz, gain_db=band.gain_db, q=band.q
                )
            )
        else:
            raise UserError(f"EQ band kind {band.kind!r} unknown (low_shelf, high_shelf, peak)")
    if settings.compressor is not None:
        c = settings.compressor
        plugins.append(
            pedalboard.Compressor(
                threshold_db=c.threshold_db,
                ratio=c.ratio,
                attack_ms=c.attack_ms,
                release_ms=c.release_ms,
            )
        )
    return plugins


def long_term_spectrum_db(
    audio: Audio, sample_rate: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(frequencies_hz, level_db) of the long-term average spectrum of the channel mean (Welch)."""
    mono = np.mean(as_audio(audio), axis=0, dtype=np.float64)
    nper = min(8192, max(256, 1 << int(math.log2(max(mono.size, 2)))))
    import scipy.signal  # here, not at import: it costs a third of a second (start-up)

    f, p = scipy.signal.welch(mono, fs=sample_rate, nperseg=min(nper, mono.size))
    return np.asarray(f), 10.0 * np.log10(np.asarray(p) + 1e-20)


def _smooth_octave_fraction(
    f: npt.NDArray[np.float64], level_db: npt.NDArray[np.float64], fraction: float = 3.0
) -> npt.NDArray[np.float64]:
    """Average ``level_db`` over a 1/``fraction``-octave window around each frequency."""
    out = np.empty_like(level_db)
    half = 2.0 ** (1.0 / (2.0 * fraction))
    for i, fc in enumerate(f):
        if fc <= 0:
            out[i] = level_db[i]
            continue
        sel = (f >= fc / half) & (f <= fc * half)
        out[i] = float(np.mean(level_db[sel]))
    return out


def reference_match_curve(
    audio: Audio, reference: Audio, sample_rate: int, max_eq_db: float = 6.0
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(frequencies_hz, gain_db): the smoothed EQ that moves ``audio``'s balance to ``reference``.

    Both arrays are (channels, frames) at ``sample_rate``. The difference of the long-term
    spectra is smoothed over 1/3 octave, its level-weighted mean over 100 Hz–10 kHz removed
    (loudness is matched separately, in LUFS), held flat outside 30 Hz–16 kHz and clipped to
    ±``max_eq_db`` so that a reference cannot ask for an extreme curve.
    """
    f, a_db = long_term_spectrum_db(audio, sample_rate)
    _, r_db = long_term_spectrum_db(reference, sample_rate)
    diff = _smooth_octave_fraction(f, r_db - a_db)
    band = (f >= 100.0) & (f <= 10000.0)
    diff = diff - float(np.mean(diff[band]))
    lo, hi = 30.0, min(16000.0, 0.45 * sample_rate)
    inside = (f >= lo) & (f <= hi)
    diff[f < lo] = diff[inside][0]
    diff[f > hi] = diff[inside][-1]
    return f, np.clip(diff, -max_eq_db, max_eq_db)


def apply_fir_eq(
    audio: Audio,
    sample_rate: int,
    frequencies_hz: npt.NDArray[np.float64],
    gain_db: npt.NDArray[np.float64],
) -> Audio:
    """Apply a linear-phase FIR (scipy ``firwin2``) with the given magnitude curve, delay removed."""
    import scipy.signal  # here, not at import: see long_term_spectrum_db

    a = as_audio(audio)
    numtaps = 4097
    nyq = sample_rate / 2.0
    freq = np.clip(frequencies_hz / nyq, 0.0, 1.0)
    freq[0], freq[-1] = 0.0, 1.0
    taps = scipy.signal.firwin2(numtaps, freq, 10.0 ** (gain_db / 20.0))
    delay = (numtaps - 1) // 2
    out = scipy.signal.oaconvolve(a.astype(np.float64), taps[np.newaxis, :], axes=1)
    return np.ascontiguousarray(out[:, delay : delay + a.shape[1]], dtype=np.float32)


def gain_reduction_series(
    before: Audio, after: Audio, sample_rate: int, block_s: float = GR_BLOCK_S
) -> npt.NDArray[np.float64]:
    """Limiter gain reduction (positive dB) per block: block peak in minus block peak out.

    The limiter's look-ahead is latency-compensated by pedalboard, so blocks line up.
    """
    n = max(1, int(block_s * sample_rate))
    frames = before.shape[1] // n * n
    if frames == 0:
        return np.zeros(0)
    pin = np.max(np.abs(before[:, :frames]).reshape(before.shape[0], -1, n), axis=(0, 2))
    pout = np.max(np.abs(after[:, :frames]).reshape(after.shape[0], -1, n), axis=(0, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        gr = 20.0 * np.log10(np.maximum(pin, 1e-12) / np.maximum(pout, 1e-12))
    return np.asarray(np.clip(gr, 0.0, None), dtype=np.float64)


@dataclass
class _Candidate:
    gain_db: float
    limiter_ceiling_db: float
    audio: Audio
    integrated_lufs: float
    true_peak_dbtp: float
    max_gr_db: float
    gr: npt.NDArray[np.float64]
    report: loudness.LoudnessReport
    x: Audio
    """The signal that went into gain → limiter (after EQ, compression)."""
    release_ms: float
    strict_tp_dbtp: float | None = None
    """max(meter, 8x) true peak, once computed."""


def prepare(
    audio: Audio,
    sample_rate: int,
    profile: DeliveryProfile,
    settings: ChainSettings = DEFAULT_SETTINGS,
    reference: tuple[Audio, int] | None = None,
) -> Audio:
    """Steps 1–2: SRC to the delivery rate, EQ (and reference matching), glue compressor.

    Returns float32 (channels, frames) at ``profile.sample_rate``; raises UserError for a
    silent input.
    """
    a = as_audio(audio)
    if a.shape[1] == 0 or not np.any(a):
        raise UserError("the input is silent: there is nothing to master")
    x = resample(a, sample_rate, profile.sample_rate)
    if reference is not None:
        ref = resample(as_audio(reference[0]), reference[1], profile.sample_rate)
        f, g = reference_match_curve(x, ref, profile.sample_rate, settings.reference_max_eq_db)
        x = apply_fir_eq(x, profile.sample_rate, f, g)
    plugins = _eq_board(settings)
    if plugins:
        for plugin in plugins:
            x = np.asarray(plugin(x, profile.sample_rate), dtype=np.float32)
    return np.ascontiguousarray(x, dtype=np.float32)


def master(
    audio: Audio,
    sample_rate: int,
    profile: DeliveryProfile,
    settings: ChainSettings = DEFAULT_SETTINGS,
    reference: tuple[Audio, int] | None = None,
    target_lufs: float | None = None,
    fixed_gain_db: float | None = None,
) -> MasterResult:
    """Master ``audio`` [shape=(channels, frames)] at ``sample_rate`` Hz to ``profile``.

    ``target_lufs`` overrides the profile's target (reference matching passes the reference's
    loudness); ``fixed_gain_db`` skips the solve and applies that gain (album normalisation:
    one common gain for every track). Raises UserError for a silent input.
    """
    a = as_audio(audio)
    if a.shape[1] == 0 or not np.any(a):
        raise UserError("the input is silent: there is nothing to master")
    input_report = loudness.measure(a, sample_rate)
    if not input_report.integrated_lufs > SILENCE_LUFS:
        raise UserError("the input is silent: there is nothing to master")
    pre = prepare(a, sample_rate, profile, settings, reference)
    target = profile.target_lufs if target_lufs is None else float(target_lufs)
    ceiling = profile.ceiling_for(target)
    sr = profile.sample_rate
    bits = profile.pcm_bits

    tol = min(profile.tolerance_lu, 0.1)
    history: list[_Candidate] = []
    # The limiter's working ceiling starts 0.1 dB under the delivery ceiling and is tightened
    # by the measured overshoot (module docstring) — shared by every stage of the ladder.
    limiter_ceiling = ceiling - 0.1
    # Noise-shaped dither is a per-sample loop: the iterations use plain TPDF (same loudness to
    # within hundredths of an LU) and only the final candidate is shaped, then re-measured.
    shape_now = False
    meter_margin = METER_TRUE_PEAK_MARGIN_DB

    def render(x: Audio, gain_db: float, release_ms: float) -> _Candidate:
        gained = x * np.float32(10.0 ** (gain_db / 20.0))
        limiter = pedalboard.BrickwallLimiter(
            ceiling_db=limiter_ceiling,
            release_ms=release_ms,
            lookahead_ms=settings.limiter_lookahead_ms,
            true_peak=True,
        )
        limited = np.asarray(limiter(gained, sr), dtype=np.float32)
        out = limited
        if bits is not None:
            out = dither.quantize(
                limited,
                bits,
                rng=np.random.default_rng(settings.seed),
                noise_shaping=shape_now,
                sample_rate=sr,
            )
        gr = gain_reduction_series(gained, limited, sr)
        rep = loudness.measure(out, sr)
        return _Candidate(
            gain_db,
            limiter_ceiling,
            out,
            rep.integrated_lufs,
            # The meter's 4x true peak steers the iterations (cheap: measured anyway); the 8x
            # check runs on the final candidate below.
            rep.true_peak_dbtp,
            float(gr.max()) if gr.size else 0.0,
            gr,
            rep,
            x,
            release_ms,
        )

    def settle(x: Audio, gain_db: float, release_ms: float) -> _Candidate:
        # Tighten the limiter's ceiling by the measured overshoot until the deliverable's
        # true peak is at or under the ceiling (see the module docstring for the figure).
        nonlocal limiter_ceiling, meter_margin
        c = render(x, gain_db, release_ms)
        if not history:
            # Calibrate once how far the meter's 4x reading sits under the 8x check on this
            # material (inter-sample-heavy content: up to a few tenths of a dB), so that the
            # final 8x verification rarely forces a re-solve.
            c.strict_tp_dbtp = delivered_true_peak_dbtp(c.audio, sr, c.report)
            under = c.strict_tp_dbtp - c.true_peak_dbtp
            meter_margin = max(METER_TRUE_PEAK_MARGIN_DB, under + TRUE_PEAK_MARGIN_DB + 0.02)
        for _ in range(6):
            if c.true_peak_dbtp <= ceiling - meter_margin:
                break
            limiter_ceiling -= (c.true_peak_dbtp - ceiling + meter_margin) + 0.05
            c = render(x, gain_db, release_ms)
        history.append(c)
        return c

    # The input's reading is the first guess (one measurement saved) unless EQ or SRC ran.
    level = input_report.integrated_lufs
    changed = reference is not None or settings.eq or settings.tilt_db or settings.compressor
    if changed or sr != sample_rate:  # SRC drops content above the new Nyquist: K-weighted HF
        level = loudness.measure(pre, sr).integrated_lufs
    problems: list[str] = []
    best: _Candidate | None = None
    for _ in range(4):
        if fixed_gain_db is not None:
            best = settle(pre, fixed_gain_db, settings.limiter_release_ms)
        elif best is None:
            best, problems = _solve_ladder(pre, sr, target, tol, settings, settle, level)
        else:
            # Re-solve from where we were, on the same signal, with the tightened ceiling.
            best, ok = _solve_gain(
                best.x, sr, target, tol, settings.max_limiting_db, best.release_ms, settle,
                first_gain_db=best.gain_db,
            )  # fmt: skip
            if not ok and not problems:
                problems = [_budget_problem(target, settings.max_limiting_db, best)]
        if settings.noise_shaping and bits is not None:
            shape_now = True
            best = settle(best.x, best.gain_db, best.release_ms)
            shape_now = False
        # Verify the final candidate with the stricter detector (meter and 8x soxr); a 4x
        # reading can be up to 0.55 dB low near 0.45 fs (BS.1770-4 Annex 2, Attachment 1).
        strict = best.strict_tp_dbtp
        if strict is None:
            strict = delivered_true_peak_dbtp(best.audio, sr, best.report)
        best = replace(best, true_peak_dbtp=strict)
        if strict <= ceiling - TRUE_PEAK_MARGIN_DB:
            break
        limiter_ceiling -= (strict - ceiling + TRUE_PEAK_MARGIN_DB) + 0.05
    assert best is not None
    if fixed_gain_db is None and not problems and abs(best.integrated_lufs - target) > tol:
        problems.append(
            f"integrated loudness {best.integrated_lufs:.2f} LUFS misses the target "
            f"{target:.1f} LUFS by more than {tol:.1f} LU"
        )
    if best.true_peak_dbtp > ceiling:
        problems.append(
            f"true peak {best.true_peak_dbtp:.2f} dBTP is over the ceiling {ceiling:.1f} dBTP"
        )
    return MasterResult(
        audio=best.audio,
        sample_rate=sr,
        bit_depth=profile.bit_depth,
        target_lufs=target,
        ceiling_dbtp=ceiling,
        integrated_lufs=best.integrated_lufs,
        true_peak_dbtp=best.true_peak_dbtp,
        loudness_range_lu=best.report.loudness_range_lu,
        input_integrated_lufs=input_report.integrated_lufs,
        input_loudness_range_lu=input_report.loudness_range_lu,
        gain_db=best.gain_db,
        limiter_ceiling_db=best.limiter_ceiling_db,
        max_gain_reduction_db=best.max_gr_db,
        iterations=len(history),
        gain_reduction_db=best.gr,
        problems=tuple(problems),
        tolerance_lu=tol,
        report=best.report,
        input_report=input_report,
        processed_input=pre,
    )


Settle = Callable[[Audio, float, float], _Candidate]


def _solve_gain(
    x: Audio,
    sr: int,
    target: float,
    tol: float,
    budget_db: float,
    release_ms: float,
    settle: Settle,
    level_lufs: float | None = None,
    first_gain_db: float | None = None,
) -> tuple[_Candidate, bool]:
    """Find the gain putting ``x`` (through limiter and dither) on ``target`` LUFS.

    Integrated loudness is NOT monotonic in the gain once the limiter works hard: raising quiet
    passages lets more 400 ms blocks through the −10 LU relative gate (BS.1770-4 §2.7), which
    can lower the gated mean. So the solver first walks up to bracket the target (never past
    the limiting budget), then closes the bracket with the Illinois false-position method; a
    continuous loudness curve crosses the target inside any bracket. Returns the closest
    candidate and whether it is within ``tol``.
    """
    if first_gain_db is None:
        if level_lufs is None:
            level_lufs = loudness.measure(x, sr).integrated_lufs
        first_gain_db = target - level_lufs
    c = settle(x, first_gain_db, release_ms)
    tried = [c]
    lo: _Candidate | None = None
    hi: _Candidate | None = None
    stalls = 0
    for _ in range(MAX_ITERATIONS):
        err = c.integrated_lufs - target
        if abs(err) <= SOLVE_TOLERANCE_LU:
            return c, True
        if err < 0:
            lo = c if lo is None or c.gain_db > lo.gain_db else lo
        else:
            hi = c if hi is None or c.gain_db < hi.gain_db else hi
        if lo is not None and hi is not None and lo.gain_db < hi.gain_db:
            break
        if err < 0 and c.max_gr_db > budget_db:
            break  # the budget is spent and the target is still above: give up this stage
        # Walk by the local slope of loudness over gain (1 until the limiter engages, less
        # after), clamped so that a flat stretch cannot throw the guess far: ≤ 6 dB a step.
        slope = 1.0 if c.max_gr_db < 0.5 else 0.5
        if len(tried) >= 2 and abs(tried[-1].gain_db - tried[-2].gain_db) > 1e-6:
            d_lufs = tried[-1].integrated_lufs - tried[-2].integrated_lufs
            raw = d_lufs / (tried[-1].gain_db - tried[-2].gain_db)
            stalls = stalls + 1 if raw < 0.15 else 0
            if stalls >= 2:
                break  # more gain no longer buys loudness: let the next stage (compression) try
            slope = min(max(raw, 0.2), 1.0)
        step = -err if err > 0 else min(-err / slope + 0.05, 6.0)
        c = settle(x, c.gain_db + step, release_ms)
        tried.append(c)
    if lo is not None and hi is not None and lo.gain_db < hi.gain_db:
        flo, fhi = lo.integrated_lufs - target, hi.integrated_lufs - target
        side = 0
        for _ in range(MAX_ITERATIONS):
            g = lo.gain_db - flo * (hi.gain_db - lo.gain_db) / (fhi - flo)
            c = settle(x, g, release_ms)
            tried.append(c)
            f = c.integrated_lufs - target
            if abs(f) <= SOLVE_TOLERANCE_LU or hi.gain_db - lo.gain_db < 1e-3:
                break
            if f < 0:
                lo, flo = c, f
                if side == -1:
                    fhi /= 2.0  # Illinois: halve the stale end so the bracket keeps shrinking
                side = -1
            else:
                hi, fhi = c, f
                if side == 1:
                    flo /= 2.0
                side = 1
    within_budget = [t for t in tried if t.max_gr_db <= budget_db]
    if not within_budget:
        within_budget = [
            _cap_limiting(x, min(tried, key=lambda t: t.gain_db), budget_db, release_ms, settle)
        ]
    best = min(within_budget, key=lambda t: abs(t.integrated_lufs - target))
    return best, abs(best.integrated_lufs - target) <= tol


def _cap_limiting(
    x: Audio, over: _Candidate, budget_db: float, release_ms: float, settle: Settle
) -> _Candidate:
    """Bisect the gain down until the limiter's largest gain reduction fits ``budget_db``."""
    hi = over.gain_db
    lo = over.gain_db - (over.max_gr_db - budget_db) - 1.0
    best = settle(x, lo, release_ms)
    while best.max_gr_db > budget_db:  # a limiter's reduction falls with the gain, dB for dB
        lo -= best.max_gr_db - budget_db + 1.0
        best = settle(x, lo, release_ms)
    for _ in range(6):
        mid = (lo + hi) / 2.0
        c = settle(x, mid, release_ms)
        if c.max_gr_db <= budget_db:
            lo, best = mid, c
        else:
            hi = mid
    return best


def _solve_ladder(
    pre: Audio,
    sr: int,
    target: float,
    tol: float,
    settings: ChainSettings,
    settle: Settle,
    level_lufs: float,
) -> tuple[_Candidate, list[str]]:
    """Limiter alone first; if the target needs more than the limiting budget, add a glue
    compressor before the limiter (2:1, then 4:1, attack 2 ms, release 40 ms, threshold 8 dB
    under the target level) with a faster limiter release — the loudness a peak limiter alone
    cannot give without pumping comes from lowering the crest factor first."""
    budget = settings.max_limiting_db
    best, ok = _solve_gain(
        pre, sr, target, tol, budget, settings.limiter_release_ms, settle, level_lufs
    )
    if ok or not settings.auto_compress:
        return best, ([] if ok else [_budget_problem(target, budget, best)])
    at_target = pre * np.float32(10.0 ** ((target - level_lufs) / 20.0))
    for ratio in (2.0, 4.0):
        comp = pedalboard.Compressor(
            threshold_db=target - 8.0, ratio=ratio, attack_ms=2.0, release_ms=40.0
        )
        squeezed = np.asarray(comp(at_target, sr), dtype=np.float32)
        cand, ok = _solve_gain(squeezed, sr, target, tol, budget, 30.0, settle)
        if abs(cand.integrated_lufs - target) < abs(best.integrated_lufs - target):
            best = cand
        if ok:
            return best, []
    return best, [_budget_problem(target, budget, best)]


def _budget_problem(target: float, budget: float, best: _Candidate) -> str:
    return (
        f"reaching {target:.1f} LUFS needs more than {budget:.1f} dB of limiting (even after "
        f"glue compression); best within the budget: {best.integrated_lufs:.2f} LUFS"
    )


__all__ = [
    "ChainSettings",
    "CompressorSettings",
    "EqBand",
    "MasterResult",
    "apply_fir_eq",
    "delivered_true_peak_dbtp",
    "gain_reduction_series",
    "long_term_spectrum_db",
    "master",
    "oversampled_peak_dbtp",
    "prepare",
    "reference_match_curve",
]
