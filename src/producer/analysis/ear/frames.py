"""The time-frequency grid every check of the ear shares: one STFT, two band sets.

One short-time Fourier transform per channel (Hann window of about 170 ms; half overlap for the
mix, frames side by side for the stems: :func:`frame_plan`)
feeds all the spectral checks; its power is summed into

* 1/3-octave bands (IEC 61260 base-10 mid-band frequencies 25 Hz … 20 kHz) for the tonal
  balance, the mono fold-down loss and the version diff;
* ERB bands, one ERB-number unit wide (Glasberg & Moore, Hearing Research 47, 1990:
  ERB-number(f) = 21.4·log10(1 + 0.00437·f)) from 50 Hz to 16 kHz, for masking.

A bin belongs to a band by the fraction of its width inside the band edges, so narrow
low-frequency bands still get their share of energy. Powers are scaled so that the sum over
all bins is the mean square of the (windowed) frame: a sine of amplitude A reads A²/2.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]

#: Analysis window length in seconds (rounded to a power of two in samples).
WINDOW_S = 0.17
#: Upper frequency of the ERB bands and of the cross-spectra between stems.
ERB_TOP_HZ = 16000.0
CROSS_TOP_HZ = 8000.0
#: Bins up to this frequency are kept per level class, for hum detection.
HUM_TOP_HZ = 1000.0


def erb_number(f: npt.ArrayLike) -> F64:
    """Glasberg & Moore (1990) ERB-number (Cams) of frequencies in Hz."""
    return np.asarray(21.4 * np.log10(1.0 + 0.00437 * np.asarray(f, dtype=np.float64)))


def erb_frequency(e: npt.ArrayLike) -> F64:
    """Inverse of :func:`erb_number`: the frequency (Hz) of ERB-number ``e``."""
    return np.asarray((10.0 ** (np.asarray(e, dtype=np.float64) / 21.4) - 1.0) / 0.00437)


@dataclass(frozen=True, eq=False)
class BandSet:
    """Bands as (centre, low edge, high edge) in Hz and a (bands, bins) weight matrix."""

    centers: F64
    low: F64
    high: F64
    weights: F32

    def __len__(self) -> int:
        return len(self.centers)


def _band_matrix(low: F64, high: F64, freqs: F64) -> F32:
    """Fraction of each bin's width [f - df/2, f + df/2] inside each band [low, high]."""
    df = freqs[1] - freqs[0]
    lo = np.maximum(freqs - df / 2, 0.0)
    hi = freqs + df / 2
    overlap = np.minimum(hi[None, :], high[:, None]) - np.maximum(lo[None, :], low[:, None])
    return np.asarray(np.clip(overlap, 0.0, None) / df, dtype=np.float32)


@dataclass(frozen=True, eq=False)
class FramePlan:
    """The STFT of a sample rate: ``n_fft``, ``hop``, window, bin scale and band sets."""

    sample_rate: int
    n_fft: int
    hop: int
    window: F32
    #: Multiply |X_k|² by this to get the bin's share of the frame's mean square.
    scale: F64
    freqs: F64
    third: BandSet
    erb: BandSet
    hum_bins: int
    cross_bins: int

    @property
    def hop_s(self) -> float:
        return self.hop / self.sample_rate

    @property
    def bins(self) -> int:
        return self.n_fft // 2 + 1

    def frame_times(self, frames: int) -> F64:
        """Centre time (s) of each frame."""
        return np.asarray((np.arange(frames) * self.hop + self.n_fft / 2) / self.sample_rate)


def third_octave_centers(top_hz: float) -> F64:
    """Base-10 1/3-octave mid-band frequencies (IEC 61260-1: 1000·10^(k/10)) from 25 Hz, whose
    upper edge lies below ``top_hz``."""
    k = np.arange(-16, 14)
    fc = 1000.0 * 10.0 ** (k / 10.0)
    return np.asarray(fc[fc * 10 ** (1 / 20) <= top_hz], dtype=np.float64)


@lru_cache(maxsize=8)
def frame_plan(sample_rate: int, overlap: bool = True) -> FramePlan:
    """The shared analysis grid for ``sample_rate`` (cached).

    ``overlap``: frames overlap by half (the mix, references, versions: their spectra are
    compared across signals whose content is not aligned to the frame grid, where the Hann
    window's weighting must even out), or lie side by side (the stems: all on one grid and
    compared with one another, half the cost; the STFT of every stem is most of the pass).
    """
    n_fft = 2 ** round(math.log2(WINDOW_S * sample_rate))
    hop = n_fft // 2 if overlap else n_fft
    # The periodic Hann window (scipy.signal.get_window("hann", n)), written out: importing
    # scipy.signal costs half a second of CPU at start-up.
    window = (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)
    freqs = np.asarray(np.fft.rfftfreq(n_fft, 1.0 / sample_rate), dtype=np.float64)
    energy = float(np.sum(window.astype(np.float64) ** 2))
    scale = np.full(len(freqs), 2.0 / (n_fft * energy))
    scale[0] /= 2.0
    if n_fft % 2 == 0:
        scale[-1] /= 2.0
    nyquist = sample_rate / 2.0
    fc = third_octave_centers(0.98 * nyquist)
    third_low, third_high = fc * 10 ** (-1 / 20), fc * 10 ** (1 / 20)
    e_top = float(erb_number(min(ERB_TOP_HZ, 0.45 * sample_rate)))
    e = np.arange(float(erb_number(50.0)), e_top + 1e-9, 1.0)
    erb_low, erb_high = erb_frequency(e - 0.5), erb_frequency(e + 0.5)
    return FramePlan(
        sample_rate=sample_rate,
        n_fft=n_fft,
        hop=hop,
        window=window,
        scale=scale,
        freqs=freqs,
        third=BandSet(fc, third_low, third_high, _band_matrix(third_low, third_high, freqs)),
        erb=BandSet(erb_frequency(e), erb_low, erb_high, _band_matrix(erb_low, erb_high, freqs)),
        hum_bins=int(np.searchsorted(freqs, HUM_TOP_HZ)) + 1,
        cross_bins=int(np.searchsorted(freqs, min(CROSS_TOP_HZ, 0.45 * sample_rate))) + 1,
    )


class Chunker:
    """Cuts a stream of (channels, n) blocks into chunks of exactly ``size`` frames.

    ``reduce`` gets the whole chunks of each block at once, shape (channels, k, size), so the
    per-chunk work stays vectorised; ``finish`` hands over the last partial chunk as
    (channels, 1, m), if there is one.
    """

    def __init__(self, size: int, reduce: Callable[[F32], None]) -> None:
        self.size = size
        self.reduce = reduce
        self._carry: F32 | None = None

    def add(self, block: F32) -> None:
        x = block
        if self._carry is not None:
            # Only the chunk that straddles the blocks is copied; the rest are views.
            need = self.size - self._carry.shape[1]
            if x.shape[1] < need:
                self._carry = np.concatenate([self._carry, x], axis=1)
                return
            first = np.concatenate([self._carry, x[:, :need]], axis=1)
            self.reduce(first[:, np.newaxis, :])
            x = x[:, need:]
            self._carry = None
        whole = x.shape[1] // self.size
        if whole:
            self.reduce(x[:, : whole * self.size].reshape(x.shape[0], whole, self.size))
        rest = x[:, whole * self.size :]
        self._carry = rest.copy() if rest.shape[1] else None

    def finish(self) -> None:
        if self._carry is not None and self._carry.shape[1]:
            self.reduce(self._carry[:, np.newaxis, :])
        self._carry = None


__all__ = [
    "CROSS_TOP_HZ",
    "ERB_TOP_HZ",
    "HUM_TOP_HZ",
    "WINDOW_S",
    "BandSet",
    "Chunker",
    "FramePlan",
    "erb_frequency",
    "erb_number",
    "frame_plan",
    "third_octave_centers",
]
