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
"""

from __future__ import annotations

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

SUPPORTED_BITS = (16, 24)


def lsb(bits: int) -> float:
    """Size of one quantisation step of ``bits``-bit PCM on producer's ±1.0 full scale."""
    return float(2.0 ** -(bits - 1))


def tpdf_noise(
    shape: tuple[int, ...], bits: int, rng: np.random.Generator
) -> npt.NDArray[np.float64]:
    """TPDF dither of 2 LSB peak to peak: the sum of two independent uniform ±½ LSB draws."""
    step = lsb(bits)
    return (rng.uniform(-0.5, 0.5, shape) + rng.uniform(-0.5, 0.5, shape)) * step


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
    if bits not in SUPPORTED_BITS:
        raise UserError(f"bit depth {bits} cannot be dithered (supported: 16, 24)")
    a = as_audio(audio).astype(np.float64)
    gen = rng if rng is not None else np.random.default_rng()
    scale = 2.0 ** (bits - 1)
    noise = tpdf_noise(a.shape, bits, gen) * scale  # in LSB
    x = a * scale
    if noise_shaping and sample_rate <= 48000 and a.shape[1] > 0:
        q = _shaped(x, noise)
    else:
        q = np.round(x + noise)
    q = np.clip(q, -scale, scale - 1.0)
    return (q / scale).astype(np.float32)


def _shaped(x: npt.NDArray[np.float64], noise: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Error-feedback quantiser (in LSB units): y = round(x - h*e + d), e = y - (x - h*e).

    The feedback needs each sample's error before the next one, so it cannot be vectorised
    over time; a plain-float loop (about 1 µs a sample) beats per-sample numpy calls tenfold.
    """
    taps = [float(t) for t in _F_WEIGHTED_44K]
    order = len(taps)
    out = np.empty_like(x)
    for ch in range(x.shape[0]):
        xs = x[ch].tolist()
        ds = noise[ch].tolist()
        hist = [0.0] * order  # hist[k] = error k+1 samples ago
        ys = [0.0] * len(xs)
        for n, (xn, dn) in enumerate(zip(xs, ds, strict=True)):
            fb = 0.0
            for k in range(order):
                fb += taps[k] * hist[k]
            wanted = xn - fb
            y = float(round(wanted + dn))
            ys[n] = y
            hist.pop()
            hist.insert(0, y - wanted)
        out[ch] = ys
    return out


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
    "SUPPORTED_BITS",
    "lsb",
    "noise_floor_dbfs",
    "quantize",
    "shaping_response",
    "tpdf_noise",
]
