"""Quantisation to 16/24-bit PCM with TPDF dither, applied once, as the very last step.

libsndfile rounds float to PCM_16 deterministically, without dither: the quantisation error is
then correlated with the signal and a quiet tone grows harmonics (STANDARDS.md §3.7 measured
the 3rd harmonic of a −85 dBFS sine at −21 dB re the fundamental). TPDF dither (the sum of two
independent uniform variables of ±½ LSB, i.e. 2 LSB peak to peak) makes the first two moments
of the total error independent of the signal (Wannamaker, Lipshitz & Vanderkooy, "A Theory of
Non-Subtractive Dither", IEEE Trans. SP 2000), at a total error power of 1/4 LSB², i.e.
−96.3 dBFS rms at 16 bits.

No library we depend on offers dither (soundfile, pedalboard, soxr do not), so it is written
here. The result stays float32 but lies exactly on the integer grid of the bit depth
(``k / 2**(bits-1)``), so writing it with soundfile as PCM_16 / PCM_24 is lossless and adds no
second rounding.

Speed: the noise is drawn once, one 32-bit random integer per sample whose two 16-bit halves
are the two uniform variables (a resolution of 1/65536 LSB, far below anything audible or
measurable), in float32; 16-bit quantisation runs in float32 (exact: |x| <= 2^15), 24-bit in
float64 (float32 cannot hold x·2^23 to a fraction of an LSB). Noise shaping feeds each sample's
error into the next ones, which no array operation can express: the loop is compiled by numba
(``cache=True``: compiled once per machine; a new process loads it in about 0.3 s), the same
loop as the plain-Python reference the tests compare it with. :class:`Quantizer` keeps the
generator and the error history across blocks, so a stream quantised block by block is the
same as the whole array quantised at once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from producer.audio import Audio, as_audio
from producer.errors import UserError

#: Error-feedback filter for optional noise shaping: the 9-tap "F-weighted" set of SoX's
#: ``dither -f f-weighted`` at 44.1 kHz (Lipshitz, Wannamaker & Vanderkooy's F-weighting
#: fit, as in SoX dither.h and FFmpeg's noise_shaping_data.c). Shaping curves are
#: sample-rate specific; above 48 kHz plain TPDF is used (STANDARDS.md §3.7).
_F_WEIGHTED_44K: tuple[float, ...] = (
    2.412,
    -3.370,
    3.937,
    -4.174,
    3.353,
    -2.205,
    1.281,
    -0.569,
    0.0847,
)

_TAPS = np.asarray(_F_WEIGHTED_44K)

SUPPORTED_BITS = (16, 24)
#: Highest rate at which noise shaping applies (the filter is a 44.1/48 kHz design).
SHAPING_MAX_RATE = 48000


def lsb(bits: int) -> float:
    """Size of one quantisation step of ``bits``-bit PCM on producer's ±1.0 full scale."""
    return float(2.0 ** -(bits - 1))


def _tpdf_lsb(shape: tuple[int, ...], rng: np.random.Generator) -> npt.NDArray[np.float32]:
    """TPDF noise in LSB (float32, -1 < d < 1): the two 16-bit halves of one random uint32."""
    raw = rng.integers(0, 1 << 32, size=shape, dtype=np.uint32)
    total = (raw & np.uint32(0xFFFF)) + (raw >> np.uint32(16))  # 0 .. 131070
    out = total.astype(np.float32)
    out -= np.float32(65535.0)
    out *= np.float32(1.0 / 65536.0)
    return out


def tpdf_noise(
    shape: tuple[int, ...], bits: int, rng: np.random.Generator
) -> npt.NDArray[np.float64]:
    """TPDF dither of 2 LSB peak to peak: the sum of two independent uniform ±½ LSB draws."""
    return _tpdf_lsb(shape, rng).astype(np.float64) * lsb(bits)


class Quantizer:
    """Block-by-block quantisation of a stream to ``bits``-bit PCM with TPDF dither.

    ``process`` float32 (channels, frames) blocks in order; the result of each lies on the PCM
    grid, clipped to [-1, 1 - 1 LSB]. ``noise_shaping`` feeds the error back through SoX's
    F-weighted filter at rates up to 48 kHz (plain TPDF above, where it is usual).
    """

    def __init__(
        self,
        bits: int,
        channels: int,
        rng: np.random.Generator | None = None,
        noise_shaping: bool = False,
        sample_rate: int = 44100,
    ) -> None:
        if bits not in SUPPORTED_BITS:
            raise UserError(f"bit depth {bits} cannot be dithered (supported: 16, 24)")
        self.bits = bits
        self.channels = channels
        self._rng = rng if rng is not None else np.random.default_rng()
        self.noise_shaping = noise_shaping and sample_rate <= SHAPING_MAX_RATE
        self._scale = 2.0 ** (bits - 1)
        self._history = np.zeros((channels, len(_F_WEIGHTED_44K)))

    def process(self, audio: Audio) -> Audio:
        """Quantise the next block [shape=(channels, frames)]; float32 on the PCM grid."""
        a = as_audio(audio)
        if a.shape[1] == 0:
            return a.copy()
        noise = _tpdf_lsb(a.shape, self._rng)
        scale = self._scale
        if self.noise_shaping:
            block = np.ascontiguousarray(a, dtype=np.float32)
            shaped: Audio = _shaping_kernel()(block, noise, scale, _TAPS, self._history)
            return shaped
        if self.bits == 16:
            q32 = a * np.float32(scale)
            q32 += noise
            np.rint(q32, out=q32)
            np.clip(q32, -scale, scale - 1.0, out=q32)
            q32 *= np.float32(1.0 / scale)
            return q32
        q = a.astype(np.float64) * scale
        q += noise
        np.rint(q, out=q)
        np.clip(q, -scale, scale - 1.0, out=q)
        q *= 1.0 / scale
        return q.astype(np.float32)


def quantize(
    audio: Audio,
    bits: int,
    rng: np.random.Generator | None = None,
    noise_shaping: bool = False,
    sample_rate: int = 44100,
) -> Audio:
    """Quantise ``audio`` [shape=(channels, frames)] to ``bits``-bit PCM with TPDF dither.

    Returns float32 of the same shape whose values are integers divided by ``2**(bits-1)``,
    clipped to the PCM range ``[-1, 1 - 1 LSB]``. Call it exactly once, after the last gain,
    limiter and sample-rate conversion. ``rng`` makes the dither reproducible (tests);
    ``noise_shaping`` feeds the error back through SoX's F-weighted filter at 44.1/48 kHz,
    moving noise above ~15 kHz (ignored at higher rates, where plain TPDF is usual).
    """
    a = as_audio(audio)
    return Quantizer(bits, a.shape[0], rng, noise_shaping, sample_rate).process(a)


def shape_reference(
    x: npt.NDArray[np.float64],
    noise: npt.ArrayLike,
    taps: npt.ArrayLike,
    history: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """The error-feedback quantiser in plain Python (LSB units): what the compiled kernel runs.

    y = rint(x - h*e + d), e = y - (x - h*e), history[k] = error k + 1 samples ago (updated in
    place). The error is taken before clipping, so a clipped sample does not feed a huge error
    back (the caller clips). The feedback sum runs from the oldest error to the newest, so that
    the newest is added last (the shortest dependency chain in the compiled loop).
    """
    t = [float(v) for v in np.asarray(taps)]
    d = np.asarray(noise, dtype=np.float64)
    out = np.empty(len(x))
    for n in range(len(x)):
        fb = t[-1] * history[len(t) - 1]
        for k in range(len(t) - 2, -1, -1):
            fb += t[k] * history[k]
        wanted = float(x[n]) - fb
        y = float(np.rint(wanted + d[n]))
        out[n] = y
        for k in range(len(t) - 1, 0, -1):
            history[k] = history[k - 1]
        history[0] = y - wanted
    return out


@lru_cache(maxsize=1)
def _shaping_kernel() -> Callable[..., Any]:
    """:func:`shape_reference` compiled by numba (:mod:`producer.dsp._shaping`, imported here:
    plain dither never pays for numba)."""
    from producer.dsp import _shaping

    return _shaping.kernel  # type: ignore[no-any-return]


def noise_floor_dbfs(bits: int) -> float:
    """rms level of the total TPDF-dithered quantisation error (1/4 LSB² → −96.3 dBFS at 16)."""
    return float(20.0 * np.log10(lsb(bits) / 2.0))


def shaping_response(frequencies_hz: npt.ArrayLike, sample_rate: int) -> npt.NDArray[np.float64]:
    """Magnitude (dB) of the noise-shaping transfer 1 - H(z) at ``frequencies_hz``."""
    b = np.concatenate([[1.0], -np.asarray(_F_WEIGHTED_44K)])
    f = np.asarray(frequencies_hz, dtype=np.float64)
    z = np.exp(-2j * np.pi * f / sample_rate)
    resp = np.polyval(b[::-1], z)
    return np.asarray(20 * np.log10(np.abs(resp) + 1e-300), dtype=np.float64)


__all__ = [
    "SHAPING_MAX_RATE",
    "SUPPORTED_BITS",
    "Quantizer",
    "lsb",
    "noise_floor_dbfs",
    "quantize",
    "shape_reference",
    "shaping_response",
    "tpdf_noise",
]
