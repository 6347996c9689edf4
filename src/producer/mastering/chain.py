"""The mastering chain: EQ → glue compressor → gain → true-peak limiter → guard → dither, solved
to a target, streamed block by block.

Order of work (each step's reason in its comment):

1. One pass over the input (a file or an array, in blocks): our meter measures it; it is
   converted to the profile's rate FIRST (soxr VHQ, streaming), so the limiter and the meter
   work on the samples that are delivered; corrective EQ (pedalboard shelves/peaks, a tilt,
   the reference-matching FIR) and an optional glue compressor run on the stream (their state
   carries between blocks). The result, the prepared mix, goes to a :class:`SampleStore`
   (a temporary file beyond a few seconds), and the limiter model
   (:mod:`producer.mastering.gainmodel`) gathers its per-millisecond peaks and energies.
2. The gain that puts the integrated loudness on target is solved on the model, not by
   rendering: milliseconds per guess instead of a render of the whole chain.
3. One render: gain → ``BrickwallLimiter(true_peak=True)`` (pedalboard, streaming) → the
   true-peak guard (:mod:`producer.mastering.guard`: the meter's exact true peak, peaks still
   over dipped smoothly) → dither (:mod:`producer.dsp.dither`) → our meter, the delivered
   samples in the same blocks ``producer meter`` reads the file in, so the figures reported
   are the figures of the file. If the measured loudness is more than 0.02 LU off, the
   model's offset is corrected and the render repeated (rarely needed; at most 4).
4. When the limiter alone cannot reach the target within ``max_limiting_db`` (the limiting
   budget), a glue compressor (2:1, then 4:1) is put before it; if that fails too the gain is
   capped at the budget and the result says so (``passed`` False, ``problems`` explains, the
   achieved figures are reported): a target is never silently missed.

Memory is bounded: blocks of 65536 frames, the stores on disk, about 12 bytes per
millisecond for the model, the meters' 10 ms series. A 60-minute 96 kHz programme masters
in a few hundred MB (bench/bench_master.py).

The settings, the result and the EQ curves live in ``settings``, ``result`` and ``eq`` (their
public names are re-exported here).
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pedalboard

from producer import cpus
from producer.analysis import loudness
from producer.audio import Audio, as_audio
from producer.dsp import dither
from producer.dsp.resample import StreamResampler, resample
from producer.errors import UserError
from producer.mastering import gainmodel
from producer.mastering.eq import (
    _eq_board,
    apply_fir_eq,
    reference_fir,
    reference_match_curve,
    reference_match_curve_of,
)
from producer.mastering.guard import TruePeakGuard
from producer.mastering.profiles import DeliveryProfile
from producer.mastering.result import MasterResult
from producer.mastering.settings import DEFAULT_SETTINGS, ChainSettings, CompressorSettings, EqBand
from producer.mastering.stream import (
    BLOCK,
    ArraySource,
    Rebuffer,
    SampleStore,
    Source,
    Spectrum,
    StreamFir,
    Welch,
    long_term_spectrum_db,
)

#: Integrated loudness below this is treated as a silent input (BS.1770-4 absolute gate).
SILENCE_LUFS = -70.0
#: The renders aim this close to the target, well inside the ±0.1 LU acceptance.
SOLVE_TOLERANCE_LU = 0.02
MAX_RENDERS = 4
#: The limiter's working ceiling sits this far under the delivery ceiling (dB): what its 4x
#: detector lets over is left to the guard, which holds the exact true peak.
LIMITER_MARGIN_DB = 0.1
#: The guard's target under the delivery ceiling (dB): room for the dither's own peaks.
GUARD_MARGIN_DB = 0.02
#: Block used to estimate the limiter's gain reduction over time (for the report).
GR_BLOCK_S = 0.05
#: Events of the delivered master's meter: true peaks within this of the ceiling (dB).
NEAR_CEILING_DB = 1.0
Progress = Callable[[str], None]


class _BlockPeaks:
    """Largest |sample| over the channels per block of ``size`` frames, as the stream passes."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._tail = np.zeros(0, dtype=np.float32)
        self._parts: list[npt.NDArray[np.float32]] = []

    def add(self, block: Audio) -> None:
        if block.shape[1] == 0:
            return
        p = np.concatenate([self._tail, np.abs(block).max(axis=0)])
        whole = len(p) // self.size
        self._parts.append(p[: whole * self.size].reshape(whole, self.size).max(axis=1))
        self._tail = p[whole * self.size :]

    def result(self) -> npt.NDArray[np.float64]:
        return np.concatenate(self._parts).astype(np.float64) if self._parts else np.zeros(0)


def _db(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    with np.errstate(divide="ignore"):
        return np.asarray(20.0 * np.log10(values), dtype=np.float64)


@dataclass
class _Prepared:
    """The prepared mix at the delivery rate and what was measured on the way."""

    store: SampleStore
    model: gainmodel.LimiterModel
    spectrum: Welch
    input_report: loudness.LoudnessReport


@dataclass
class _Render:
    store: SampleStore
    report: loudness.LoudnessReport
    gain_db: float
    limiter_ceiling_db: float
    gain_reduction_db: npt.NDArray[np.float64]
    spectrum: Spectrum
    block_peaks_db: npt.NDArray[np.float64]
    guard_dips: int
    guard_max_dip_db: float
    predicted: gainmodel.Prediction | None = None

    @property
    def integrated_lufs(self) -> float:
        return self.report.integrated_lufs

    @property
    def max_gr_db(self) -> float:
        return float(self.gain_reduction_db.max()) if self.gain_reduction_db.size else 0.0


def _stream_plugins(plugins: list[pedalboard.Plugin], x: Audio, rate: int) -> Audio:
    for plugin in plugins:
        x = np.asarray(plugin.process(x, rate, reset=False), dtype=np.float32)
    return x


def _resampled(source: Source, to_rate: int) -> Any:
    """The source's blocks at ``to_rate`` (soxr streaming; the filter's tail flushed)."""
    if source.sample_rate == to_rate:
        yield from source.blocks(BLOCK)
        return
    src = StreamResampler(source.sample_rate, to_rate, source.channels)
    for block in source.blocks(BLOCK):
        out = src.process(block)
        if out.shape[1]:
            yield out
    tail = src.process(np.zeros((source.channels, 0), dtype=np.float32), last=True)
    if tail.shape[1]:
        yield tail


def _prepare(
    source: Source,
    profile: DeliveryProfile,
    settings: ChainSettings,
    reference: tuple[Audio, int] | None,
    weights: tuple[float, ...],
) -> _Prepared:
    """Step 1: measure the input; SRC, EQ, reference FIR, glue compressor; store the result."""
    rate = profile.sample_rate
    input_meter = loudness.Meter(source.sample_rate, source.channels, weights, threads=1)
    fir: StreamFir | None = None
    if reference is not None:
        # The reference's balance needs the whole input's spectrum first: one pass to measure
        # it (and keep the converted samples), then the FIR in the pass below.
        converted = SampleStore(rate, source.channels)
        before = Welch(rate)
        for block in _measured(source, input_meter, rate):
            before.add(block)
            converted.write(block)
        ref = resample(as_audio(reference[0]), reference[1], rate)
        f, g = reference_match_curve_of(before.result(), ref, rate, settings.reference_max_eq_db)
        fir = StreamFir(reference_fir(f, g, rate), source.channels)
        blocks: Any = converted.blocks(BLOCK)
    else:
        converted = None
        blocks = _measured(source, input_meter, rate)
    plugins = _eq_board(settings)
    store = SampleStore(rate, source.channels)
    model = gainmodel.LimiterModel(rate, weights)
    spectrum = Welch(rate, hop=2.0)

    def keep(x: Audio) -> None:
        x = _stream_plugins(plugins, x, rate) if plugins else x
        x = np.ascontiguousarray(x, dtype=np.float32)
        store.write(x)
        model.add(x)
        spectrum.add(x)

    for block in blocks:
        keep(fir.process(block) if fir is not None else block)
    if fir is not None:
        keep(fir.flush())
    if converted is not None:
        converted.close()
    model.finish()
    input_meter.close()
    return _Prepared(store, model, spectrum, input_meter.result())


def _measured(source: Source, meter: loudness.Meter, rate: int) -> Any:
    """The source's blocks at ``rate``; the meter measures the original blocks on a thread of
    its own, a block or two ahead of the conversion (two cores: half the wall time)."""

    def original() -> Iterator[Audio]:
        for block in source.blocks(BLOCK):
            meter.add(block)
            yield block

    class _Metered(Source):
        sample_rate, channels, frames = source.sample_rate, source.channels, source.frames

        def blocks(self, block: int = BLOCK) -> Any:
            return _ahead(original())

    return _resampled(_Metered(), rate)


def _ahead(produce: Iterator[Audio]) -> Iterator[Audio]:
    """Yield what ``produce`` yields, computed up to two items ahead on a worker thread.

    An exception on the worker is raised here; stopping early stops the worker. With a budget
    of one CPU (a batch worker beside others: ``PRODUCER_THREADS=1``) it runs in the caller's
    thread, so ``workers × threads`` stays within the cores.
    """
    if cpus.available() < 2:
        yield from produce
        return
    handoff: queue.Queue[Any] = queue.Queue(maxsize=2)
    stop = threading.Event()
    done = object()

    def run() -> None:
        try:
            for item in produce:
                while not stop.is_set():
                    try:
                        handoff.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            handoff.put(done)
        except BaseException as exc:  # raised again on the consumer's side
            handoff.put(exc)

    worker = threading.Thread(target=run, name="master-ahead", daemon=True)
    worker.start()
    try:
        while (item := handoff.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def _glued(
    prepared: _Prepared, target: float, ratio: float, weights: tuple[float, ...]
) -> _Prepared:
    """The prepared mix through a glue compressor (ratio:1, attack 2 ms, release 40 ms,
    threshold 8 dB under the target level) at the target level: the loudness a peak limiter
    alone cannot give without pumping comes from lowering the crest factor first."""
    rate = prepared.store.sample_rate
    level = prepared.model.level_lufs
    gain = np.float32(10.0 ** ((target - level) / 20.0))
    comp = pedalboard.Compressor(
        threshold_db=target - 8.0, ratio=ratio, attack_ms=2.0, release_ms=40.0
    )
    store = SampleStore(rate, prepared.store.channels)
    model = gainmodel.LimiterModel(rate, weights)
    for block in prepared.store.blocks(BLOCK):
        y = np.asarray(comp.process(block * gain, rate, reset=False), dtype=np.float32)
        store.write(y)
        model.add(y)
    model.finish()
    return _Prepared(store, model, prepared.spectrum, prepared.input_report)


def _render(
    prepared: _Prepared,
    profile: DeliveryProfile,
    settings: ChainSettings,
    gain_db: float,
    limiter_ceiling_db: float,
    release_ms: float,
    ceiling_db: float,
    guard_target_db: float,
    weights: tuple[float, ...],
) -> _Render:
    """Step 3: gain → limiter → guard → dither → meter, the delivered samples stored."""
    rate = profile.sample_rate
    channels = prepared.store.channels
    gain = np.float32(10.0 ** (gain_db / 20.0))
    limiter = pedalboard.BrickwallLimiter(
        ceiling_db=limiter_ceiling_db,
        release_ms=release_ms,
        lookahead_ms=settings.limiter_lookahead_ms,
        true_peak=True,
    )
    guard = TruePeakGuard(channels, rate, 10.0 ** (guard_target_db / 20.0))
    bits = profile.pcm_bits
    quantizer = (
        dither.Quantizer(
            bits, channels, np.random.default_rng(settings.seed), settings.noise_shaping, rate
        )
        if bits is not None
        else None
    )
    # The dither, the meter and the store on this thread; the limiter and the guard on
    # another, a block or two ahead (two cores: the two halves take about the same time).
    meter = loudness.Meter(
        rate, channels, weights, event_threshold_dbtp=ceiling_db - NEAR_CEILING_DB, threads=1
    )
    rebuffer = Rebuffer(channels, BLOCK)
    store = SampleStore(rate, channels)
    spectrum = Welch(rate, hop=2.0)
    gr_size = max(1, int(GR_BLOCK_S * rate))
    peaks_in, peaks_out, delivered_peaks = (
        _BlockPeaks(gr_size),
        _BlockPeaks(gr_size),
        _BlockPeaks(gr_size),
    )
    total = prepared.store.frames

    def limited() -> Iterator[Audio]:
        """Gain, limiter and guard (run on a worker thread by :func:`_ahead`)."""
        produced = 0

        def through(y: Audio) -> Iterator[Audio]:
            peaks_out.add(y)
            out = guard.process(y)
            if out.shape[1]:
                yield out

        for block in prepared.store.blocks(BLOCK):
            gained = block * gain
            peaks_in.add(gained)
            y = np.asarray(limiter.process(gained, rate, reset=False), dtype=np.float32)
            produced += y.shape[1]
            yield from through(y)
        # The limiter's look-ahead: silence pushes its last frames out.
        while produced < total:
            silence = np.zeros((channels, 4096), dtype=np.float32)
            y = np.asarray(limiter.process(silence, rate, reset=False), dtype=np.float32)
            y = y[:, : total - produced]
            produced += y.shape[1]
            yield from through(y)
        yield guard.flush()

    for out in _ahead(limited()):
        q = quantizer.process(out) if quantizer is not None else out
        store.write(q)
        spectrum.add(q)
        delivered_peaks.add(q)
        for b in rebuffer.push(q):
            meter.add(b)
    for b in rebuffer.flush():
        meter.add(b)
    meter.close()
    pin, pout = peaks_in.result(), peaks_out.result()
    n = min(len(pin), len(pout))
    with np.errstate(divide="ignore", invalid="ignore"):
        gr = 20.0 * np.log10(np.maximum(pin[:n], 1e-12) / np.maximum(pout[:n], 1e-12))
    return _Render(
        store,
        meter.result(),
        gain_db,
        limiter_ceiling_db,
        np.asarray(np.clip(gr, 0.0, None), dtype=np.float64),
        spectrum.result(),
        _db(delivered_peaks.result()),
        guard.dips,
        guard.max_dip_db,
    )


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
    return master_source(
        ArraySource(a, sample_rate), profile, settings, reference, target_lufs, fixed_gain_db
    )


def master_source(
    source: Source,
    profile: DeliveryProfile,
    settings: ChainSettings = DEFAULT_SETTINGS,
    reference: tuple[Audio, int] | None = None,
    target_lufs: float | None = None,
    fixed_gain_db: float | None = None,
    progress: Progress | None = None,
    channel_weights: Sequence[float] | None = None,
) -> MasterResult:
    """Master a :class:`Source` (an array, a file) block by block: see :func:`master`.

    ``channel_weights`` are the BS.1770-4 weights of the source's channels (its loudspeaker
    layout, :mod:`producer.analysis.layouts`); default: by the channel count.
    """
    weights = (
        tuple(float(w) for w in channel_weights)
        if channel_weights is not None
        else loudness.default_channel_weights(source.channels)
    )
    with loudness.one_blas_thread():
        return _master_source(
            source, profile, settings, reference, target_lufs, fixed_gain_db, progress, weights
        )


def _master_source(
    source: Source,
    profile: DeliveryProfile,
    settings: ChainSettings,
    reference: tuple[Audio, int] | None,
    target_lufs: float | None,
    fixed_gain_db: float | None,
    progress: Progress | None,
    weights: tuple[float, ...],
) -> MasterResult:
    say = progress or (lambda _: None)
    if source.frames == 0:
        raise UserError("the input is silent: there is nothing to master")
    say("measuring and preparing the mix")
    prepared = _prepare(source, profile, settings, reference, weights)
    if not prepared.input_report.integrated_lufs > SILENCE_LUFS or not (
        prepared.model.level_lufs > SILENCE_LUFS
    ):
        prepared.store.close()
        raise UserError("the input is silent: there is nothing to master")
    target = profile.target_lufs if target_lufs is None else float(target_lufs)
    ceiling = profile.ceiling_for(target)
    tol = min(profile.tolerance_lu, 0.1)
    limiter_ceiling = ceiling - LIMITER_MARGIN_DB
    guard_target = ceiling - GUARD_MARGIN_DB
    budget = settings.max_limiting_db
    release = settings.limiter_release_ms
    lookahead = settings.limiter_lookahead_ms
    problems: list[str] = []
    glue_ratio: float | None = None

    def solve(p: _Prepared, rel: float, offset: float = 0.0) -> gainmodel.Solution:
        return gainmodel.solve(p.model, target, limiter_ceiling, rel, lookahead, budget, offset)

    if fixed_gain_db is not None:
        solution = None
        gain = float(fixed_gain_db)
    else:
        solution = solve(prepared, release)
        if not solution.reached and settings.auto_compress:
            for ratio in (2.0, 4.0):
                say(f"adding glue compression ({ratio:g}:1) to reach {target:.1f} LUFS")
                glued = _glued(prepared, target, ratio, weights)
                attempt = gainmodel.solve(
                    glued.model, target, limiter_ceiling, 30.0, lookahead, budget
                )
                if (
                    attempt.reached
                    or attempt.predicted.integrated_lufs > solution.predicted.integrated_lufs
                ):
                    if prepared.store is not glued.store and glue_ratio is not None:
                        prepared.store.close()
                    prepared, solution, release, glue_ratio = glued, attempt, 30.0, ratio
                else:
                    glued.store.close()
                if attempt.reached:
                    break
        gain = solution.gain_db
    renders: list[_Render] = []
    best: _Render | None = None
    capped = solution is not None and not solution.reached
    for attempt_no in range(MAX_RENDERS):
        say(f"rendering the master (pass {attempt_no + 1})")
        r = _render(prepared, profile, settings, gain, limiter_ceiling, release, ceiling,
                    guard_target, weights)  # fmt: skip
        r.predicted = prepared.model.predict(gain, limiter_ceiling, release, lookahead)
        renders.append(r)
        if best is None or _better(r, best, target, ceiling, budget if capped else math.inf):
            if best is not None:
                best.store.close()
            best = r
        else:
            r.store.close()
        if r.report.true_peak_dbtp > ceiling:
            guard_target -= r.report.true_peak_dbtp - ceiling + 0.01
        elif capped:
            if r.max_gr_db <= budget:
                break
            gain -= r.max_gr_db - budget + 0.01  # the limiter's reduction follows dB for dB
        elif fixed_gain_db is not None or abs(r.integrated_lufs - target) <= SOLVE_TOLERANCE_LU:
            break
        else:
            offset = r.integrated_lufs - r.predicted.integrated_lufs
            gain = solve(prepared, release, offset).gain_db
    prepared.store.close()
    assert best is not None
    if solution is not None and not solution.reached:
        problems.append(_budget_problem(target, budget, best.integrated_lufs))
    elif fixed_gain_db is None and abs(best.integrated_lufs - target) > tol:
        problems.append(
            f"integrated loudness {best.integrated_lufs:.2f} LUFS misses the target "
            f"{target:.1f} LUFS by more than {tol:.1f} LU"
        )
    if best.report.true_peak_dbtp > ceiling:
        problems.append(
            f"true peak {best.report.true_peak_dbtp:.2f} dBTP is over the ceiling {ceiling:.1f} dBTP"
        )
    return MasterResult(
        samples=best.store,
        sample_rate=profile.sample_rate,
        bit_depth=profile.bit_depth,
        target_lufs=target,
        ceiling_dbtp=ceiling,
        integrated_lufs=best.integrated_lufs,
        true_peak_dbtp=best.report.true_peak_dbtp,
        loudness_range_lu=best.report.loudness_range_lu,
        input_integrated_lufs=prepared.input_report.integrated_lufs,
        input_loudness_range_lu=prepared.input_report.loudness_range_lu,
        gain_db=best.gain_db,
        limiter_ceiling_db=best.limiter_ceiling_db,
        max_gain_reduction_db=best.max_gr_db,
        iterations=len(renders),
        gain_reduction_db=best.gain_reduction_db,
        problems=tuple(problems),
        tolerance_lu=tol,
        report=best.report,
        input_report=prepared.input_report,
        spectrum_before=prepared.spectrum.result(),
        spectrum_after=best.spectrum,
        block_peaks_db=best.block_peaks_db,
        guard_dips=best.guard_dips,
        guard_max_dip_db=best.guard_max_dip_db,
        glue_ratio=glue_ratio,
    )


def _better(a: _Render, b: _Render, target: float, ceiling: float, budget: float) -> bool:
    """Whether render ``a`` is a better deliverable than ``b``: under the ceiling first, then
    within the limiting budget, then nearer the target."""
    for a_ok, b_ok in (
        (a.report.true_peak_dbtp <= ceiling, b.report.true_peak_dbtp <= ceiling),
        (a.max_gr_db <= budget, b.max_gr_db <= budget),
    ):
        if a_ok != b_ok:
            return a_ok
    return abs(a.integrated_lufs - target) < abs(b.integrated_lufs - target)


def _budget_problem(target: float, budget: float, achieved: float) -> str:
    return (
        f"reaching {target:.1f} LUFS needs more than {budget:.1f} dB of limiting (even after "
        f"glue compression); best within the budget: {achieved:.2f} LUFS"
    )


__all__ = [
    "DEFAULT_SETTINGS",
    "GR_BLOCK_S",
    "NEAR_CEILING_DB",
    "ChainSettings",
    "CompressorSettings",
    "EqBand",
    "MasterResult",
    "apply_fir_eq",
    "long_term_spectrum_db",
    "master",
    "master_source",
    "reference_fir",
    "reference_match_curve",
]
