"""One streaming pass over a mix and its stems: every measurement the checks need, in bounded
memory.

The mix, each stem (and the sum of the "rest" for the vocal balance) each get a
:class:`SignalAccumulator`; a :class:`Listener` feeds them block by block in lockstep, the
signals of one block on a thread pool (numpy, scipy's FFT and sosfilt release the GIL). Per
block nothing but a few STFT frames is held; what is kept grows by a few floats per 85 ms hop
(band energies for masking and plots), like the meter's own 10 ms series. The Listener is also
a set of sinks for the mix engine (``write``/``close``/``abort``), so a song can be analysed
while it renders, without writing stems to disk.

What is accumulated per signal:

* loudness: for the mix our BS.1770-4 meter (:class:`producer.analysis.loudness.Meter`):
  loudness series, I, LRA, true peak and the times over 0 dBTP; for every stem (and the rest
  of the mix) the same loudness from K-weighted energy per hop (:class:`.blockmeter.BlockMeter`)
  and the true peak of the blocks that come near full scale;
* the shared STFT (:mod:`.frames`): ERB and 1/3-octave band powers per frame, the frame level,
  long-term L, R and mid power per bin, the L·R cross-spectrum per bin, and the low-frequency
  spectrum summed per 3 dB level class of the frames (the quiet classes give hum and noise
  floor without a second pass);
* per hop: L², R², L·R sums and the sample peak (correlation and PSR over time);
* per channel: the mean (DC), 3 s block RMS and peaks (the DR meter), runs at full scale;
* for the mix: a mono copy at 22.05 kHz (tempo, key and version alignment; at most 10 min);
* across stems: the mid spectra of every ``cross_step``-th frame, accumulated into the
  cross-spectral matrix for microphone alignment (GCC-PHAT).
"""

from __future__ import annotations

import functools
import math
import queue
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.fft
from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

from producer.analysis.ear.blockmeter import BlockMeter
from producer.analysis.ear.frames import F32, F64, Chunker, FramePlan, frame_plan
from producer.analysis.loudness import LoudnessReport, Meter
from producer.audio import Audio
from producer.dsp.resample import StreamResampler
from producer.errors import ValidationError

C64 = npt.NDArray[np.complex64]
C128 = npt.NDArray[np.complex128]

#: A sample at or above this magnitude is at full scale: 32767/32768, the largest 16-bit
#: value, minus a hair (so 16-, 24-bit and float files all count their maximum).
FULL_SCALE = 0.99996
#: The DR meter's block length (Pleasurize Music Foundation algorithm, as drmeter/dr14_t.meter)
#: and the time-domain statistics' chunk: 60 chunks make one block (exactly, at every sample
#: rate that is a multiple of 20 Hz: 44.1, 48, 88.2, 96 kHz ...).
DR_BLOCK_S = 3.0
STATS_S = 0.05
DR_CHUNKS = 60
#: Frame level classes (dB of mean square) for the quiet-part spectra.
CLASS_DB = 3.0
CLASS_FLOOR_DB = -150.0
CLASSES = 54
#: Mono copy kept for tempo/key and version alignment.
MONO_RATE = 22050
MONO_MAX_S = 600.0
#: Target number of frames in the cross-spectra between stems (every n-th frame is used).
CROSS_FRAMES = 400
#: Stems (no interpolating meter): blocks whose sample peak reaches this get their true peak
#: measured (a band-limited signal does not overshoot its samples by 6 dB between them in
#: practice).
TP_CANDIDATE = 10 ** (-6 / 20)
TP_CONTEXT = 256
#: Block sets waiting for the listening thread (bounds memory while the engine runs ahead).
QUEUE = 2
#: Clipped runs kept with their times (all are counted).
MAX_RUNS = 2000


@functools.lru_cache(maxsize=1)
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


def one_blas_thread() -> Any:
    """A context holding BLAS to one thread: the small matrix products here gain nothing from
    OpenBLAS threads, which spin against our own (measured 15x slower on 2 busy cores)."""
    return _controller().limit(limits=1, user_api="blas")


@dataclass(frozen=True, eq=False)
class SignalFeatures:
    """Everything one pass measured on one signal (see the module docstring)."""

    name: str
    sample_rate: int
    channels: int
    frames: int
    plan: FramePlan
    loudness: LoudnessReport
    """Loudness (I, LRA, momentary and short-term series): the meter's report for the mix,
    the block meter's for a stem (its peaks -inf: see ``true_peak_dbtp``)."""
    metered: bool
    """Measured by the whole meter, true peak included (the mix, references, versions)."""
    true_peak_dbtp: float
    """From the meter, or for a stem the largest true peak of its blocks that reach -6 dBFS
    (-inf when none does: it cannot go over 0 dBTP)."""
    true_peak_events_s: F64
    """Times (s) where the true peak went over 0 dBTP (meter hops, or block starts)."""
    erb: F32
    """(frames, ERB bands): channel-average power per band."""
    third: F32
    """(frames, 1/3-octave bands): channel-average power per band."""
    level: F32
    """(frames,): channel-average mean square of each frame."""
    power_left: F64
    power_right: F64
    power_mid: F64
    """Per bin, summed over frames: |L|², |R|², |(L+R)/2|² (scaled to mean square)."""
    cross_lr: C128
    """Per bin, summed over frames: conj(L)·R (same scale)."""
    stft_frames: int
    class_count: npt.NDArray[np.int64]
    class_power: F64
    class_spectrum: F64
    """Per level class: frames, summed mean square, summed low-frequency spectrum."""
    silent_frames: int
    stats_s: float
    """Length (s) of the time-domain statistics' chunks (50 ms)."""
    hop_ll: F64
    hop_rr: F64
    hop_lr: F64
    hop_peak: F32
    dc: F64
    mean_square: F64
    peak: F64
    dr_rms: F64
    dr_peak: F64
    """(channels, 3 s blocks): the DR meter's RMS (√(2·mean x²)) and peak per block."""
    clip_runs: npt.NDArray[np.int64]
    """(runs, 3): start frame, length, channel of runs of >= 3 samples at full scale."""
    clip_run_count: int
    mono: F32 | None
    mono_rate: int

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate

    @property
    def frame_times(self) -> F64:
        return self.plan.frame_times(len(self.level))

    def class_floor_db(self) -> F64:
        """Lower edge (dB) of each level class."""
        return np.asarray(CLASS_FLOOR_DB + CLASS_DB * np.arange(CLASSES), dtype=np.float64)


class SignalAccumulator:
    """Streaming measurements of one signal (mono or stereo) at one sample rate."""

    def __init__(
        self,
        name: str,
        sample_rate: int,
        channels: int,
        *,
        keep_mono: bool = False,
        cross_step: int = 0,
        meter: bool = True,
        overlap: bool = True,
    ) -> None:
        if channels not in (1, 2):
            raise ValidationError(f"{name}: {channels} channels (the ear analyses mono or stereo)")
        self.name = name
        self.sample_rate = sample_rate
        self.channels = channels
        self.plan = frame_plan(sample_rate, overlap)
        self.cross_step = cross_step
        p = self.plan
        self.frames = 0
        self._buf = np.zeros((channels, 0), dtype=np.float32)
        self._frame_index = 0
        self._erb: list[F32] = []
        self._third: list[F32] = []
        self._level: list[F32] = []
        k = p.bins
        self._pl = np.zeros(k)
        self._pr = np.zeros(k)
        self._pm = np.zeros(k)
        self._lr = np.zeros(k, dtype=np.complex128)
        self._class_count = np.zeros(CLASSES, dtype=np.int64)
        self._class_power = np.zeros(CLASSES)
        self._class_spec = np.zeros((CLASSES, p.hum_bins))
        self._silent = 0
        self._erb_w = (p.erb.weights * p.scale.astype(np.float32)).T.copy()
        self._third_w = (p.third.weights * p.scale.astype(np.float32)).T.copy()
        self._scale32 = p.scale.astype(np.float32)
        # Time-domain statistics on a 50 ms grid: a 3 s DR block is exactly 60 of them.
        self.stats_size = max(1, round(sample_rate * STATS_S))
        self._stats: list[tuple[F64, F64, F64, F64, int]] = []
        self._stats_chunker = Chunker(self.stats_size, self._chunk_stats)
        self._runs: list[npt.NDArray[np.int64]] = []
        self._run_count = 0
        self._open_run = np.zeros(channels, dtype=np.int64)  # length of the run at the end
        self._tp = -math.inf
        self._tp_events: list[float] = []
        self._tp_tail = np.zeros((channels, 0), dtype=np.float32)
        self._meter = (
            Meter(sample_rate, channels, threads=1, event_threshold_dbtp=0.0) if meter else None
        )
        self._block = None if meter else BlockMeter(sample_rate, channels)
        self._mono: list[F32] | None = [] if keep_mono else None
        self._mono_frames = 0
        self._resampler = StreamResampler(sample_rate, MONO_RATE, 1) if keep_mono else None

    # ------------------------------------------------------------------ per block

    def add(self, block: Audio) -> tuple[npt.NDArray[np.int64], C64] | None:
        """Measure the next block (channels, n); returns the mid spectra of the frames chosen
        for the cross-spectra (global frame indices, (frames, cross bins)) or None."""
        x = np.asarray(block, dtype=np.float32)
        if x.ndim != 2 or x.shape[0] != self.channels:
            raise ValidationError(
                f"{self.name}: block of shape {x.shape}, expected {self.channels} channels"
            )
        n = x.shape[1]
        if n == 0:
            return None
        peak = max(float(x.max()), -float(x.min()))
        if not math.isfinite(peak):  # a NaN anywhere makes max/min NaN; an Inf is the peak
            raise ValidationError(f"{self.name}: contains NaN or Inf samples")
        start = self.frames
        self.frames += n
        if self._open_run.any() or peak >= FULL_SCALE:
            self._clip_runs(x, start)
        if self._meter is None:
            self._candidate_true_peak(x, start, peak)
        self._stats_chunker.add(x)
        if self._meter is not None:
            self._meter.add(x)
        if self._block is not None:
            self._block.add(x)
        keep = self._mono_frames < MONO_MAX_S * MONO_RATE
        if self._resampler is not None and self._mono is not None and keep:
            y = self._resampler.process(x.mean(axis=0, keepdims=True))[0]
            self._mono.append(y)
            self._mono_frames += len(y)
        return self._stft(x)

    def _stft(self, x: F32, flush: bool = False) -> tuple[npt.NDArray[np.int64], C64] | None:
        p = self.plan
        if p.hop == p.n_fft:
            frames = self._side_by_side(x)
            if frames is None:
                return None
        else:
            buf = np.concatenate([self._buf, x], axis=1) if self._buf.shape[1] else x
            if buf.shape[1] < p.n_fft:
                self._buf = buf.copy()
                return None
            count = (buf.shape[1] - p.n_fft) // p.hop + 1
            view = np.lib.stride_tricks.sliding_window_view(buf, p.n_fft, axis=1)[:, :: p.hop][
                :, :count
            ]
            frames = view * p.window
            self._buf = buf[:, count * p.hop :].copy()
        count = frames.shape[1]
        spec = scipy.fft.rfft(frames, axis=-1)  # (ch, frames, bins), complex64
        left = spec[0]
        right = spec[-1]
        pl = left.real**2 + left.imag**2
        if self.channels == 2:
            pr = right.real**2 + right.imag**2
            cross = np.conj(left) * right
            avg = (pl + pr) * np.float32(0.5)
            sum_l, sum_r = pl.sum(axis=0), pr.sum(axis=0)
            sum_lr = cross.sum(axis=0)
            self._pl += sum_l
            self._pr += sum_r
            # |(L + R)/2|² = (|L|² + |R|²)/4 + Re(conj(L)·R)/2: no third spectrum needed.
            self._pm += (sum_l + sum_r) * 0.25 + 0.5 * sum_lr.real.astype(np.float64)
            self._lr += sum_lr
        else:
            avg = pl
            sum_l = pl.sum(axis=0)
            self._pl += sum_l
            self._pr += sum_l
            self._pm += sum_l
            self._lr += sum_l
        self._erb.append(avg @ self._erb_w)
        self._third.append(avg @ self._third_w)
        level = avg @ self._scale32
        self._level.append(level)
        silent = level <= 0.0
        level_db = 10.0 * np.log10(np.where(silent, 1e-30, level).astype(np.float64))
        self._silent += int(silent.sum())
        cls = np.clip(((level_db - CLASS_FLOOR_DB) // CLASS_DB), 0, CLASSES - 1).astype(np.int64)
        heard = ~silent
        cls, level_h = cls[heard], level[heard]
        self._class_count += np.bincount(cls, minlength=CLASSES)
        self._class_power += np.bincount(cls, weights=level_h, minlength=CLASSES)
        # Each frame's low spectrum added to its class's: a one-hot matrix product.
        onehot = np.zeros((CLASSES, len(cls)), dtype=np.float64)
        onehot[cls, np.arange(len(cls))] = 1.0
        self._class_spec += onehot @ avg[heard, : self.plan.hum_bins].astype(np.float64)
        first = self._frame_index
        self._frame_index += count
        if not self.cross_step:
            return None
        idx = np.arange(first, first + count)
        chosen = np.flatnonzero(idx % self.cross_step == 0)
        if not len(chosen):
            return None
        mid = spec[:, chosen, : p.cross_bins].mean(axis=0)
        return idx[chosen], np.ascontiguousarray(mid, dtype=np.complex64)

    def _side_by_side(self, x: F32) -> F32 | None:
        """Windowed frames (channels, frames, n_fft) of frames that do not overlap, written
        straight from the carried samples and the block (no copy of the whole block)."""
        p, n = self.plan, self.plan.n_fft
        carry = self._buf.shape[1]
        count = (carry + x.shape[1]) // n
        if count == 0:
            self._buf = np.concatenate([self._buf, x], axis=1)
            return None
        frames = np.empty((self.channels, count, n), dtype=np.float32)
        body, first = x, 0
        if carry:
            head = n - carry
            np.multiply(self._buf, p.window[:carry], out=frames[:, 0, :carry])
            np.multiply(x[:, :head], p.window[carry:], out=frames[:, 0, carry:])
            body, first = x[:, head:], 1
        whole = count - first
        np.multiply(
            body[:, : whole * n].reshape(self.channels, whole, n), p.window, out=frames[:, first:]
        )
        self._buf = body[:, whole * n :].copy()
        return frames

    def _candidate_true_peak(self, x: F32, start: int, peak: float) -> None:
        """True peak (the meter's) of the blocks that could go over 0 dBTP, for a signal that is
        not metered whole. The block is read from a quiet sample of the previous one on, so the
        interpolator starts from near silence, not from a jump."""
        if peak >= TP_CANDIDATE:
            seg = np.concatenate([self._tp_tail, x], axis=1) if self._tp_tail.shape[1] else x
            with Meter(
                self.sample_rate, self.channels, threads=1, event_threshold_dbtp=0.0
            ) as meter:
                meter.add(seg)
                tp = meter.result().true_peak_dbtp
            if tp > self._tp:
                self._tp = tp
            if tp > 0.0:
                self._tp_events.append(start / self.sample_rate)
        tail = x[:, -TP_CONTEXT:]
        quiet = int(np.argmin(np.abs(tail).max(axis=0))) if tail.shape[1] else 0
        self._tp_tail = tail[:, quiet:].copy()

    def _chunk_stats(self, chunks: F32) -> None:
        """Per 50 ms chunk and channel: Σx², Σx, max|x|; and ΣL·R."""
        # float32 sums over 50 ms are exact enough (pairwise summation, ~1e-7 relative) and
        # spare the float64 copies of every sample.
        sq = np.einsum("cij,cij->ci", chunks, chunks).astype(np.float64)
        total = chunks.sum(axis=2).astype(np.float64)
        peak = np.maximum(chunks.max(axis=2), -chunks.min(axis=2)).astype(np.float64)
        lr = (
            np.einsum("ij,ij->i", chunks[0], chunks[1]).astype(np.float64)
            if self.channels == 2
            else sq[0]
        )
        self._stats.append((sq, total, peak, lr, chunks.shape[2]))

    def _clip_runs(self, x: F32, start: int) -> None:
        """Runs of >= 3 consecutive samples at full scale, per channel, across blocks."""
        for c in range(self.channels):
            at = np.abs(x[c]) >= FULL_SCALE
            if not at.any():
                if self._open_run[c] >= 3:
                    self._record_run(start - int(self._open_run[c]), int(self._open_run[c]), c)
                self._open_run[c] = 0
                continue
            edges = np.diff(np.concatenate([[0], at.astype(np.int8), [0]]))
            starts = np.flatnonzero(edges == 1)
            ends = np.flatnonzero(edges == -1)
            if self._open_run[c] and starts[0] == 0:
                starts[0] = -int(self._open_run[c])
            elif self._open_run[c] >= 3:
                self._record_run(start - int(self._open_run[c]), int(self._open_run[c]), c)
            open_end = ends[-1] == len(at)
            closed = slice(0, len(starts) - 1) if open_end else slice(0, len(starts))
            lengths = ends[closed] - starts[closed]
            keep = lengths >= 3
            for s, length in zip(starts[closed][keep], lengths[keep], strict=True):
                self._record_run(start + int(s), int(length), c)
            self._open_run[c] = (ends[-1] - starts[-1]) if open_end else 0

    def _record_run(self, start: int, length: int, channel: int) -> None:
        self._run_count += 1
        if sum(len(r) for r in self._runs) < MAX_RUNS:
            self._runs.append(np.array([[start, length, channel]], dtype=np.int64))

    # ------------------------------------------------------------------ result

    def finish(self) -> tuple[SignalFeatures, tuple[npt.NDArray[np.int64], C64] | None]:
        """Flush the last frames; the features, and the last cross-spectra frames."""
        p = self.plan
        tail = None
        if self.frames:
            # Zeros to the end of the last hop put every sample into a frame.
            pad = p.n_fft - p.hop if p.hop < p.n_fft else (-self._buf.shape[1]) % p.n_fft
            tail = self._stft(np.zeros((self.channels, pad), dtype=np.float32))
        self._stats_chunker.finish()
        for c in range(self.channels):
            if self._open_run[c] >= 3:
                self._record_run(self.frames - int(self._open_run[c]), int(self._open_run[c]), c)
        if self._meter is not None:
            report = self._meter.result()
            self._meter.close()
        else:
            assert self._block is not None
            report = self._block.result()
        mono = None
        if self._resampler is not None and self._mono is not None:
            self._mono.append(self._resampler.process(np.zeros((1, 0), np.float32), last=True)[0])
            mono = np.concatenate(self._mono)[: int(MONO_MAX_S * MONO_RATE)]
        ch = self.channels
        if self._stats:
            sq = np.concatenate([t[0] for t in self._stats], axis=1)
            total = np.concatenate([t[1] for t in self._stats], axis=1)
            peak = np.concatenate([t[2] for t in self._stats], axis=1)
            lr = np.concatenate([t[3] for t in self._stats])
            counts = np.concatenate([np.full(t[0].shape[1], t[4]) for t in self._stats])
        else:
            sq = total = peak = np.zeros((ch, 0))
            lr = counts = np.zeros(0)
        dr_rms, dr_peak = _dr_blocks(sq, peak, counts, DR_CHUNKS)
        n = max(self.frames, 1)
        bands_e, bands_t = len(p.erb), len(p.third)
        features = SignalFeatures(
            name=self.name,
            sample_rate=self.sample_rate,
            channels=self.channels,
            frames=self.frames,
            plan=p,
            loudness=report,
            metered=self._meter is not None,
            true_peak_dbtp=report.true_peak_dbtp if self._meter is not None else self._tp,
            true_peak_events_s=(
                np.asarray(report.true_peak_events_s, dtype=np.float64)
                if self._meter is not None
                else np.asarray(self._tp_events, dtype=np.float64)
            ),
            erb=np.concatenate(self._erb) if self._erb else np.zeros((0, bands_e), np.float32),
            third=np.concatenate(self._third)
            if self._third
            else np.zeros((0, bands_t), np.float32),
            level=np.concatenate(self._level) if self._level else np.zeros(0, np.float32),
            power_left=self._pl * p.scale,
            power_right=self._pr * p.scale,
            power_mid=self._pm * p.scale,
            cross_lr=self._lr * p.scale,
            stft_frames=self._frame_index,
            class_count=self._class_count,
            class_power=self._class_power,
            class_spectrum=self._class_spec * p.scale[: p.hum_bins],
            silent_frames=self._silent,
            stats_s=self.stats_size / self.sample_rate,
            hop_ll=sq[0],
            hop_rr=sq[-1],
            hop_lr=lr,
            hop_peak=peak.max(axis=0).astype(np.float32)
            if peak.shape[1]
            else np.zeros(0, np.float32),
            dc=total.sum(axis=1) / n,
            mean_square=sq.sum(axis=1) / n,
            peak=peak.max(axis=1) if peak.shape[1] else np.zeros(ch),
            dr_rms=dr_rms,
            dr_peak=dr_peak,
            clip_runs=np.concatenate(self._runs) if self._runs else np.zeros((0, 3), np.int64),
            clip_run_count=self._run_count,
            mono=mono,
            mono_rate=MONO_RATE,
        )
        return features, tail


def _dr_blocks(sq: F64, peak: F64, counts: F64, per_block: int) -> tuple[F64, F64]:
    """(channels, blocks) RMS √(2·mean x²) and peak of 3 s blocks made of ``per_block``
    chunks (the last block partial, as the DR meters count it)."""
    chunks = sq.shape[1]
    blocks = -(-chunks // per_block)
    pad = blocks * per_block - chunks
    ch = sq.shape[0]
    sq_b = np.pad(sq, ((0, 0), (0, pad))).reshape(ch, blocks, per_block).sum(axis=2)
    pk_b = np.pad(peak, ((0, 0), (0, pad))).reshape(ch, blocks, per_block).max(axis=2)
    n_b = np.pad(counts, (0, pad)).reshape(blocks, per_block).sum(axis=1)
    rms = np.sqrt(2.0 * sq_b / np.maximum(n_b, 1))
    return rms, pk_b


@dataclass(frozen=True, eq=False)
class CrossSpectra:
    """Frame-averaged cross-spectral matrix of the stems' mid signals (bins up to
    ``plan.cross_bins``): ``matrix[k, i, j]`` = Σ conj(X_i[k])·X_j[k] over ``frames`` frames."""

    names: tuple[str, ...]
    matrix: C128
    frames: int
    plan: FramePlan


class _CrossAccumulator:
    BATCH = 48

    def __init__(self, names: Sequence[str], bins: int) -> None:
        self.names = tuple(names)
        self.matrix = np.zeros((bins, len(names), len(names)), dtype=np.complex128)
        self.frames = 0
        self._pending: list[C64] = []  # (stems, bins) per frame

    def add(self, spectra: Sequence[C64]) -> None:
        """One (frames, bins) array per stem, same frames for every stem."""
        stacked = np.stack(spectra, axis=1)  # (frames, stems, bins)
        self._pending.extend(stacked)
        if len(self._pending) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        x = np.stack(self._pending, axis=-1)  # (stems, bins, frames)
        x = np.ascontiguousarray(x.transpose(1, 0, 2))  # (bins, stems, frames)
        self.matrix += np.matmul(np.conj(x), x.transpose(0, 2, 1))
        self.frames += x.shape[2]
        self._pending.clear()


@dataclass(frozen=True, eq=False)
class Heard:
    """The result of one pass: the mix, each stem, the rest-of-mix loudness, the cross-spectra."""

    mix: SignalFeatures
    stems: dict[str, SignalFeatures]
    rest: LoudnessReport | None
    rest_names: tuple[str, ...]
    cross: CrossSpectra | None


class _Sink:
    """What the mix engine writes one output into (producer.engine.Sink, duck-typed)."""

    def __init__(self, listener: Listener, key: str | None) -> None:
        self.listener = listener
        self.key = key

    def write(self, audio: Audio) -> None:
        self.listener._put(self.key, audio)

    def close(self) -> None:
        pass

    def abort(self) -> None:
        self.listener.aborted = True


class Listener:
    """Feeds a mix and its stems, block by block in lockstep, to their accumulators.

    ``stems`` maps each stem name to its channel count; ``rest`` names the stems whose sum is
    "the rest of the mix" for the vocal balance (its loudness only). The mix gets the whole
    BS.1770 meter; every stem and the rest their loudness from the block meter and the stems
    their true peak where they come near full scale (the meter's interpolator on every stem
    would be the costliest part of the pass). ``expected_frames`` (if known) spreads
    the frames used for the cross-spectra over the whole song.
    """

    def __init__(
        self,
        sample_rate: int,
        mix_channels: int,
        stems: Mapping[str, int],
        *,
        rest: Sequence[str] = (),
        keep_mono: bool = True,
        expected_frames: int | None = None,
        threads: int = 2,
        mix_name: str = "mix",
    ) -> None:
        plan = frame_plan(sample_rate, overlap=False)  # the stems'
        frames = (expected_frames or 0) // plan.hop
        step = max(1, math.ceil(frames / CROSS_FRAMES)) if frames else 2
        cross = len(stems) >= 2
        self.sample_rate = sample_rate
        self.mix = SignalAccumulator(mix_name, sample_rate, mix_channels, keep_mono=keep_mono)
        self.stems = {
            name: SignalAccumulator(
                name, sample_rate, ch, cross_step=step if cross else 0, meter=False, overlap=False
            )
            for name, ch in stems.items()
        }
        self.rest_names = tuple(r for r in rest if r in stems)
        self.rest = BlockMeter(sample_rate, 2) if self.rest_names else None
        self._cross = _CrossAccumulator(list(stems), plan.cross_bins) if cross else None
        self._pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="ear")
        self._lock = threading.Lock()
        self._pending: dict[str | None, Audio] = {}
        self.aborted = False
        # Blocks that came through the sinks are measured on a thread of their own, at most
        # QUEUE block sets behind the engine: rendering and listening overlap.
        self._queue: queue.Queue[tuple[Audio, dict[str, Audio]] | None] = queue.Queue(QUEUE)
        self._worker: threading.Thread | None = None
        self._error: BaseException | None = None

    def sinks(self) -> tuple[_Sink, dict[str, _Sink]]:
        """(mix sink, stem name → sink) for ``producer.engine.render_plan``."""
        return _Sink(self, None), {name: _Sink(self, name) for name in self.stems}

    def _put(self, key: str | None, audio: Audio) -> None:
        if self._error is not None:
            raise self._error
        with self._lock:
            self._pending[key] = np.array(audio, dtype=np.float32, copy=True)
            if len(self._pending) < len(self.stems) + 1:
                return
            mix = self._pending.pop(None)
            stems = {k: v for k, v in self._pending.items() if k is not None}
            self._pending.clear()
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="ear-listen", daemon=True)
                self._worker.start()
        self._queue.put((mix, stems))

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error is None:
                try:
                    self.add(*item)
                except BaseException as exc:  # handed to the engine's next write, or finish
                    self._error = exc

    def _drain(self) -> None:
        if self._worker is not None:
            self._queue.put(None)
            self._worker.join()
            self._worker = None
        if self._error is not None:
            raise self._error

    def add(self, mix: Audio, stems: Mapping[str, Audio]) -> None:
        """The next block of the mix and of every stem (same length)."""
        jobs: list[tuple[SignalAccumulator | BlockMeter, Audio]] = [(self.mix, mix)]
        jobs += [(self.stems[name], stems[name]) for name in self.stems]
        if self.rest is not None:
            total = np.zeros((2, mix.shape[1]), dtype=np.float32)
            for name in self.rest_names:
                total += stems[name]  # a mono stem is heard on both sides
            jobs.append((self.rest, total))
        with one_blas_thread():
            results = list(self._pool.map(lambda job: job[0].add(job[1]), jobs))
            self._add_cross(results[1 : 1 + len(self.stems)])

    def _add_cross(self, results: Sequence[object]) -> None:
        if self._cross is None:
            return
        parts = [r for r in results if r is not None]
        if len(parts) == len(self.stems):
            self._cross.add([part[1] for part in parts])  # type: ignore[index]

    def finish(self) -> Heard:
        """Flush everything and return the measurements."""
        try:
            self._drain()
            with one_blas_thread():
                mix, _ = self.mix.finish()
                done = list(self._pool.map(lambda acc: acc.finish(), list(self.stems.values())))
                self._add_cross([tail for _, tail in done])
                if self._cross is not None:
                    self._cross.flush()
            cross = None
            if self._cross is not None:
                plan = frame_plan(self.sample_rate, overlap=False)
                cross = CrossSpectra(
                    self._cross.names,
                    self._cross.matrix * plan.scale[: plan.cross_bins, None, None],
                    self._cross.frames,
                    plan,
                )
            rest = self.rest.result() if self.rest is not None else None
            return Heard(
                mix=mix,
                stems={f.name: f for f, _ in done},
                rest=rest,
                rest_names=self.rest_names,
                cross=cross,
            )
        finally:
            self.close()

    def close(self) -> None:
        if self._worker is not None:
            self._error = self._error or RuntimeError("listening stopped")
            self._queue.put(None)
            self._worker.join()
            self._worker = None
        self._pool.shutdown(wait=True)


__all__ = [
    "CLASSES",
    "CLASS_DB",
    "CLASS_FLOOR_DB",
    "DR_BLOCK_S",
    "FULL_SCALE",
    "MONO_RATE",
    "CrossSpectra",
    "Heard",
    "Listener",
    "SignalAccumulator",
    "SignalFeatures",
]
