"""Independent references for the mastering tests: libebur128 (pyebur128) for loudness and FFT
interpolation of the whole signal for true peak, plus the seeded test signals.

Nothing here comes from producer's own meter: a bug there cannot hide a bug in mastering.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyebur128 as ebu
import scipy.signal
import soundfile as sf

F32 = npt.NDArray[np.float32]


def _state(audio: F32, sr: int, mode: ebu.MeasurementMode) -> ebu.R128State:
    a = np.ascontiguousarray(np.asarray(audio, dtype=np.float64).T)
    st = ebu.R128State(a.shape[1], sr, mode)
    st.add_frames(a.ravel(), a.shape[0])
    return st


def ebu_integrated(audio: F32, sr: int) -> float:
    """Integrated loudness (LUFS) by libebur128."""
    return float(ebu.get_loudness_global(_state(audio, sr, ebu.MeasurementMode.MODE_I)))


def ebu_lra(audio: F32, sr: int) -> float:
    """Loudness range (LU) by libebur128."""
    return float(ebu.get_loudness_range(_state(audio, sr, ebu.MeasurementMode.MODE_LRA)))


def true_peak_fft_dbtp(audio: F32, sr: int, up: int = 16) -> float:
    """True peak (dBTP): the peak of the band-limited signal by FFT interpolation ``up`` times
    of the whole signal (zero-padded by 0.1 s so the FFT's wrap-around cannot reach it), the
    largest point refined by a parabola; never below the sample peak."""
    a = np.asarray(audio, dtype=np.float64)
    pad = np.zeros((a.shape[0], max(1000, sr // 10)))
    best = float(np.max(np.abs(a)))
    for x in np.concatenate([pad, a, pad], axis=1):
        n = len(x)
        spectrum = np.fft.rfft(x)
        if n % 2 == 0:
            spectrum[-1] *= 0.5  # the Nyquist bin is shared by +fs/2 and -fs/2
        m = n * up
        padded = np.zeros(m // 2 + 1, dtype=complex)
        padded[: len(spectrum)] = spectrum
        y = np.abs(np.fft.irfft(padded, m) * up)
        i = int(np.argmax(y))
        left, mid, right = y[i - 1], y[i], y[(i + 1) % m]
        curvature = left - 2 * mid + right
        best = max(best, mid - 0.125 * (left - right) ** 2 / curvature if curvature < 0 else mid)
    return 20.0 * math.log10(best) if best > 0 else -math.inf


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def pinkish(n: int, channels: int, seed: int) -> F32:
    """Noise with a -3 dB/octave tilt (music-like spectrum), (channels, n)."""
    white = _rng(seed).standard_normal((channels, n))
    b, a = (
        [0.049922035, -0.095993537, 0.050612699, -0.004408786],
        [1, -2.494956002, 2.017265875, -0.522189400],
    )
    pink = scipy.signal.lfilter(b, a, white, axis=1)
    return (pink / np.max(np.abs(pink))).astype(np.float32)


DURATION_S = 3.0


def make_inputs(testdata: Path | None) -> dict[str, tuple[F32, int]]:
    """The varied inputs of the acceptance matrix, name -> (audio (channels, frames), rate)."""
    out: dict[str, tuple[F32, int]] = {}
    sr = 48000
    n = int(DURATION_S * sr)
    t = np.arange(n) / sr
    out["quiet-48k"] = (pinkish(n, 2, 1) * np.float32(10 ** (-38 / 20)), sr)
    sr = 44100
    n = int(DURATION_S * sr)
    t = np.arange(n) / sr
    hot = np.tanh(4.0 * pinkish(n, 2, 2)) * 0.999
    out["hot-44k"] = (hot.astype(np.float32), sr)
    # Very dynamic: a quiet first half (-30 dB) and a loud, punchy second half (hits over a bed).
    half = n // 2
    env = np.full(n, 10 ** (-30 / 20))
    beats = np.zeros(n)
    for start in np.arange(DURATION_S / 2, DURATION_S, 0.25):
        k = int(start * sr)
        beats[k:] += np.exp(-(np.arange(n - k)) / (0.05 * sr))
    env[half:] = 0.25 + 0.75 * np.minimum(beats[half:], 1.0)
    dyn = pinkish(n, 2, 3) * env
    out["dynamic-44k"] = ((0.95 * dyn / np.max(np.abs(dyn))).astype(np.float32), sr)
    mono = 0.3 * np.sin(2 * np.pi * (100 + 900 * t) * t) + 0.2 * pinkish(n, 1, 4)[0]
    out["mono-44k"] = (mono[np.newaxis, :].astype(np.float32), sr)
    sr = 96000
    n = int(DURATION_S * sr)
    t = np.arange(n) / sr
    hi = pinkish(n, 2, 5) * 0.5 + 0.1 * np.sin(2 * np.pi * 15000 * t)
    out["noise-96k"] = (hi.astype(np.float32), sr)
    # Inter-sample peaks: fs/4 at 45° phase has samples at 0.707 of its true peak (+3 dB over).
    sr = 44100
    n = int(DURATION_S * sr)
    k = np.arange(n)
    isp = np.sin(2 * np.pi * k / 4 + np.pi / 4) / np.sin(np.pi / 4)
    isp = 0.999 * isp / np.max(np.abs(isp))  # sample peak ~0 dBFS, true peak ~+3 dBTP
    both = np.vstack([isp, 0.5 * pinkish(n, 1, 6)[0] + 0.5 * isp])
    out["intersample-44k"] = (both.astype(np.float32), sr)
    if testdata is not None:
        base = testdata / "multitrack"
        mix, rate = sf.read(
            base / "musdb18-7-sample" / "decoded" / "mixture.wav", dtype="float32", always_2d=True
        )
        out["musdb-mixture"] = (np.ascontiguousarray(mix.T[:, : int(DURATION_S * rate)]), rate)
        crash, rate = sf.read(
            base / "single-clips" / "60988__folktelemetry__crash-fast-14.wav",
            dtype="float32",
            always_2d=True,
        )
        out["crash-24bit"] = (np.ascontiguousarray(crash.T[:, : int(DURATION_S * rate)]), rate)
    return out


INPUT_NAMES = [
    "quiet-48k",
    "hot-44k",
    "dynamic-44k",
    "mono-44k",
    "noise-96k",
    "intersample-44k",
    "musdb-mixture",
    "crash-24bit",
]
