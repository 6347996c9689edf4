"""Synthesis of the EBU Tech 3341 / 3342 test signals from their published tables.

"Tone" = 1 kHz sine, the same signal in phase on every channel, level = per-channel *peak*
in dBFS (Tech 3341 Table 1). Every duration of the tables is a multiple of 10 ms, hence a
whole number of 1 kHz periods at 44.1, 48 and 96 kHz, so one phase-continuous sine is tiled
and shaped by a per-segment gain (cheap, and exact at any of these rates).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import scipy.signal

Audio = npt.NDArray[np.float32]

RATES = (44100, 48000, 96000)


def _gain(level_dbfs: float | None) -> float:
    return 0.0 if level_dbfs is None else 10.0 ** (level_dbfs / 20.0)


def tone_segments(
    sample_rate: int,
    segments: list[tuple[float, float | None]],
    channels: int = 2,
    channel_offsets_db: list[float] | None = None,
) -> Audio:
    """1 kHz tone, (channels, frames): ``segments`` = [(duration_s, peak_dbfs or None=silence)].

    ``channel_offsets_db`` adds a per-channel level (for the 5.0 case).
    """
    lengths = [round(d * sample_rate) for d, _ in segments]
    total = sum(lengths)
    period = sample_rate // math.gcd(sample_rate, 1000)
    base = np.sin(2.0 * np.pi * 1000.0 * np.arange(period) / sample_rate).astype(np.float32)
    sine = np.tile(base, total // period + 1)[:total]
    gains = np.array([_gain(level) for _, level in segments], dtype=np.float32)
    mono = sine * np.repeat(gains, lengths)
    offsets = channel_offsets_db or [0.0] * channels
    out = np.empty((len(offsets), total), dtype=np.float32)
    for c, offset_db in enumerate(offsets):
        np.multiply(mono, np.float32(10.0 ** (offset_db / 20.0)), out=out[c])
    return out


def _fade(x: npt.NDArray[np.float64], sample_rate: int, fade_s: float = 0.010) -> None:
    """Raised-cosine fade in and out, in place (like the EBU files)."""
    n = round(fade_s * sample_rate)
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)
    x[:n] *= ramp
    x[len(x) - n :] *= ramp[::-1]


def true_peak_sine(
    sample_rate: int, divisor: int, amplitude: float, phase_deg: float, duration_s: float = 0.5
) -> Audio:
    """Tech 3341 cases 15-19: stereo sine at fs/divisor, peak ``amplitude`` FFS, start phase."""
    n = np.arange(round(duration_s * sample_rate))
    x = amplitude * np.sin(2.0 * np.pi * n / divisor + np.deg2rad(phase_deg))
    _fade(x, sample_rate)
    return np.stack([x, x]).astype(np.float32)


def true_peak_burst(sample_rate: int, offset: int, duration_s: float = 0.5) -> Audio:
    """Tech 3341 cases 20-23: fs/6 sine at 0.50 FFS holding one period of fs/4 at 1.00 FFS.

    Synthesized at 4·fs (where an fs/6 period is 24 samples and an fs/4 period 16), the burst
    inserted at an upward zero crossing so both sides stay phase-continuous, low-passed with a
    1023-tap Kaiser FIR (cut-off 0.45·fs; the EBU does not specify its filter), then decimated
    by 4 starting at ``offset`` (0..3).
    """
    up = 4
    k = np.arange(round(duration_s * sample_rate) * up)
    k0 = 24 * (len(k) // 48)  # a zero crossing near the middle
    x = 0.5 * np.sin(2.0 * np.pi * k / 24.0)
    burst = (k >= k0) & (k < k0 + 16)
    x[burst] = np.sin(2.0 * np.pi * (k[burst] - k0) / 16.0)
    after = k >= k0 + 16
    x[after] = 0.5 * np.sin(2.0 * np.pi * (k[after] - 16) / 24.0)
    lowpass = scipy.signal.firwin(
        1023, 0.45 * sample_rate, window=("kaiser", 9.0), fs=up * sample_rate
    )
    x = scipy.signal.fftconvolve(x, lowpass, mode="same")
    y = x[offset::up].copy()
    _fade(y, sample_rate)
    return np.stack([y, y]).astype(np.float32)


# Tech 3341 Table 1, cases 1-6 (I), as tone segments.
INTEGRATED_CASES: dict[int, list[tuple[float, float | None]]] = {
    1: [(20.0, -23.0)],
    2: [(20.0, -33.0)],
    3: [(10.0, -36.0), (60.0, -23.0), (10.0, -36.0)],
    4: [(10.0, -72.0), (10.0, -36.0), (60.0, -23.0), (10.0, -36.0), (10.0, -72.0)],
    5: [(20.0, -26.0), (20.1, -20.0), (20.0, -26.0)],
}
#: Case 6: 5.0 (L R C Ls Rs) 20 s, L/R -28, C -24, Ls/Rs -30 dBFS.
CASE_6_LEVELS = [-28.0, -28.0, -24.0, -30.0, -30.0]

# Tech 3341 cases 15-19: (divisor of fs, amplitude FFS, phase deg). Case 19's "1.41 FFS" is
# taken as sqrt(2) as in the EBU file (sample peak 0 dBFS).
TRUE_PEAK_SINE_CASES: dict[int, tuple[int, float, float]] = {
    15: (4, 0.5, 0.0),
    16: (4, 0.5, 45.0),
    17: (6, 0.5, 60.0),
    18: (8, 0.5, 67.5),
    19: (4, math.sqrt(2.0), 45.0),
}
TRUE_PEAK_EXPECTED_DBTP = {
    15: -6.0,
    16: -6.0,
    17: -6.0,
    18: -6.0,
    19: 3.0,
    20: 0.0,
    21: 0.0,
    22: 0.0,
    23: 0.0,
}

# Tech 3342 Table 1, cases 1-4: segments and expected LRA (LU).
LRA_CASES: dict[int, tuple[list[tuple[float, float | None]], float]] = {
    1: ([(20.0, -20.0), (20.0, -30.0)], 10.0),
    2: ([(20.0, -20.0), (20.0, -15.0)], 5.0),
    3: ([(20.0, -40.0), (20.0, -20.0)], 20.0),
    4: ([(20.0, -50.0), (20.0, -35.0), (20.0, -20.0), (20.0, -35.0), (20.0, -50.0)], 15.0),
}


def fft_true_peak(audio: np.ndarray, up: int = 16) -> float:
    """Peak (linear) of the band-limited signal of ``audio`` (channels, n): FFT interpolation
    ``up`` times of every channel, the largest point refined by a parabola."""
    best = 0.0
    for x in np.atleast_2d(np.asarray(audio, dtype=np.float64)):
        n = len(x)
        spectrum = np.fft.rfft(x)
        if n % 2 == 0:
            spectrum[-1] *= 0.5  # the Nyquist bin is shared by +fs/2 and -fs/2
        m = n * up
        padded = np.zeros(m // 2 + 1, dtype=complex)
        padded[: len(spectrum)] = spectrum
        y = np.abs(np.fft.irfft(padded, m) * up)
        i = int(np.argmax(y))
        a, b, c = y[i - 1], y[i], y[(i + 1) % m]
        curvature = a - 2 * b + c
        vertex = b - 0.125 * (a - c) ** 2 / curvature if curvature < 0 else b
        best = max(best, vertex, float(np.max(np.abs(x))))
    return best
