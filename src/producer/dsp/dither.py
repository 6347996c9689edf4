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
    """:func:`shape_reference` compiled by numba, for a whole block of every channel at once.

    ``kernel(audio float32 (C, n), noise float32 (C, n) in LSB, scale, taps, history (C, 9))``
    returns float32 (C, n) on the PCM grid, clipped. The nine past errors live in scalars
    (registers) instead of an array shifted every sample, and channels run in pairs in one
    loop (two independent feedback chains keep the CPU busy while each waits on its rounding).
    The arithmetic is the reference's, term by term: the tests compare the integers.
    numba is imported here, so plain dither never pays for it.
    """
    import numba  # type: ignore[import-untyped]

    @numba.njit(cache=True, nogil=True, inline="always")  # type: ignore[misc]
    def step(x: Any, d: Any, t: Any, e: Any) -> Any:  # pragma: no cover (compiled)
        fb = t[8] * e[8]
        fb += t[7] * e[7]
        fb += t[6] * e[6]
        fb += t[5] * e[5]
        fb += t[4] * e[4]
        fb += t[3] * e[3]
        fb += t[2] * e[2]
        fb += t[1] * e[1]
        fb += t[0] * e[0]
        wanted = x - fb
        y = np.rint(wanted + d)
        return y, (y - wanted, e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7])

    @numba.njit(cache=True, nogil=True)  # type: ignore[misc]
    def kernel(
        audio: Any, noise: Any, scale: Any, taps: Any, history: Any
    ) -> Any:  # pragma: no cover
        channels, n = audio.shape
        out = np.empty((channels, n), dtype=np.float32)
        t = (taps[0], taps[1], taps[2], taps[3], taps[4], taps[5], taps[6], taps[7], taps[8])
        lo, hi, inv = -scale, scale - 1.0, 1.0 / scale
        c = 0
        while c < channels:
            pair = c + 1 < channels
            h0 = history[c]
            h1 = history[c + 1] if pair else history[c]
            a = (h0[0], h0[1], h0[2], h0[3], h0[4], h0[5], h0[6], h0[7], h0[8])
            b = (h1[0], h1[1], h1[2], h1[3], h1[4], h1[5], h1[6], h1[7], h1[8])
            for i in range(n):
                ya, a = step(np.float64(audio[c, i]) * scale, np.float64(noise[c, i]), t, a)
                out[c, i] = min(max(ya, lo), hi) * inv
                if pair:
                    yb, b = step(
                        np.float64(audio[c + 1, i]) * scale, np.float64(noise[c + 1, i]), t, b
                    )
                    out[c + 1, i] = min(max(yb, lo), hi) * inv
            for k in range(9):
                h0[k] = a[k]
                if pair:
                    h1[k] = b[k]
            c += 2
        return out

    return kernel  # type: ignore[no-any-return]


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
