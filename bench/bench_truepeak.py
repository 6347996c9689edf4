"""True peak (issue 10): the error of each reader against the peak of the band-limited signal.

The reference is FFT interpolation (16x, refined by a parabola) of the whole signal, padded
with silence so the FFT's wrap-around cannot reach the peak. Readers:

* producer: ``producer.analysis.truepeak`` (4x candidates, exact reconstruction around them);
* 4x grid: the same 4x interpolator read as it is (BS.1770-4 Annex 2 style; what the
  candidates are found with);
* 8x polyphase: scipy ``resample_poly`` (Kaiser FIR), read as it is;
* windowed sinc 4096: the peak of a 4096-tap-per-side Kaiser-windowed sinc evaluated around
  the reference peak (the "precise local reconstruction" alternative; its tails are cut);
* libebur128 (pyebur128), where installed.

Material at 44.1, 48 and 96 kHz: sines from 0.05 to 0.49 fs at random phases, white noise,
hard-clipped noise, noise bursts, a dense limited programme. Printed: the largest |error| in
dB of each reader per rate and material (tolerance of the issue: 0.05 dB).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pedalboard
import scipy.signal

from producer.analysis import loudness, truepeak

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "analysis"))
from loudness_signals import fft_true_peak  # noqa: E402

Reader = Callable[[np.ndarray, int], float]


def _fade(x: np.ndarray, n: int) -> np.ndarray:
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)
    x[..., :n] *= ramp
    x[..., -n:] *= ramp[::-1]
    return x


def _materials(rate: int) -> dict[str, list[np.ndarray]]:
    rng = np.random.default_rng(rate)
    n = int(0.5 * rate)
    fade = int(0.01 * rate)
    k = np.arange(n)
    sines = [
        _fade(0.7 * np.sin(2 * np.pi * f * k + rng.uniform(0, 2 * np.pi))[np.newaxis], fade)
        for f in np.linspace(0.05, 0.49, 12)
        for _ in range(2)
    ]
    white = [_fade(rng.standard_normal((1, n)) * 0.25, fade) for _ in range(4)]
    clipped = [
        _fade(np.clip(rng.standard_normal((1, n)) * 1.5, -1, 1) * 0.9, fade) for _ in range(4)
    ]
    bursts = []
    for _ in range(4):
        b = np.zeros((1, n))
        for start in rng.integers(0, n - 2000, 5):
            length = int(rng.integers(50, 1500))
            b[:, start : start + length] += rng.standard_normal(length) * np.hanning(length)
        bursts.append(0.9 * b / np.max(np.abs(b)))
    dense = []
    for seed in range(2):
        x = scipy.signal.lfilter(
            [0.049922035, -0.095993537, 0.050612699, -0.004408786],
            [1, -2.494956002, 2.017265875, -0.522189400],
            np.random.default_rng(seed).standard_normal((1, 2 * n)),
            axis=1,
        )
        y = pedalboard.BrickwallLimiter(ceiling_db=-0.5)(
            (4 * x / np.max(np.abs(x))).astype(np.float32), rate
        )
        dense.append(_fade(np.asarray(y, dtype=np.float64), fade))
    return {"sines": sines, "white noise": white, "clipped noise": clipped, "bursts": bursts,
            "dense limited": dense}  # fmt: skip


def _padded(x: np.ndarray, rate: int) -> np.ndarray:
    pad = np.zeros((x.shape[0], rate // 5))
    return np.concatenate([pad, x, pad], axis=1).astype(np.float32)


def _ours(x: np.ndarray, rate: int) -> float:
    return loudness.true_peak(x, rate)


def _grid4(x: np.ndarray, rate: int) -> float:
    best = 0.0
    for channel in x:
        c = truepeak.Candidates()
        _, reading = c.readings(np.ascontiguousarray(channel, dtype=np.float32))
        best = max(best, float(reading.max()))
    return 20 * math.log10(best)


def _poly8(x: np.ndarray, rate: int) -> float:
    up = scipy.signal.resample_poly(x.astype(np.float64), 8, 1, axis=1)
    return 20 * math.log10(max(float(np.abs(up).max()), float(np.abs(x).max())))


def _reference_position(channel: np.ndarray, up: int = 16) -> int:
    """The frame nearest the band-limited peak (FFT interpolation), for the local reader."""
    n = len(channel)
    spectrum = np.fft.rfft(channel)
    padded = np.zeros(n * up // 2 + 1, dtype=complex)
    padded[: len(spectrum)] = spectrum
    return round(int(np.argmax(np.abs(np.fft.irfft(padded, n * up)))) / up)


def _windowed_sinc(x: np.ndarray, rate: int, half: int = 4096, beta: float = 6.0) -> float:
    """Peak of a Kaiser-windowed sinc (``half`` taps each side) around the reference peak."""
    best = 0.0
    for channel in np.asarray(x, dtype=np.float64):
        n = len(channel)
        i = _reference_position(channel)
        k = np.arange(max(0, i - half), min(n, i + half))
        for t in np.linspace(i - 1.0, i + 1.0, 257):
            d = t - k
            w = np.i0(beta * np.sqrt(np.clip(1 - (d / half) ** 2, 0, 1))) / np.i0(beta)
            best = max(best, abs(float(np.sum(channel[k] * np.sinc(d) * w))))
    return 20 * math.log10(best)


def _ebur128(x: np.ndarray, rate: int) -> float:
    import pyebur128

    state = pyebur128.R128State(x.shape[0], rate, pyebur128.MeasurementMode.MODE_TRUE_PEAK)
    state.add_frames(np.ascontiguousarray(x.T, dtype=np.float64).ravel(), x.shape[1])
    return 20 * math.log10(max(pyebur128.get_true_peak(state, c) for c in range(x.shape[0])))


def main() -> None:
    readers: list[tuple[str, Reader]] = [
        ("producer", _ours),
        ("4x grid", _grid4),
        ("8x polyphase", _poly8),
        ("windowed sinc 4096", _windowed_sinc),
    ]
    try:
        import pyebur128  # noqa: F401

        readers.append(("libebur128", _ebur128))
    except ImportError:
        print("pyebur128 not installed: libebur128 skipped")
    print("largest |error| (dB) against FFT interpolation of the whole signal (tolerance 0.05 dB)")
    print(f"{'rate':>6} {'material':<14}" + "".join(f" {name:>19}" for name, _ in readers))
    for rate in (44100, 48000, 96000):
        for material, signals in _materials(rate).items():
            worst = [0.0] * len(readers)
            for x in signals:
                padded = _padded(x, rate)
                truth = 20 * math.log10(fft_true_peak(padded))
                for i, (_, reader) in enumerate(readers):
                    worst[i] = max(worst[i], abs(reader(padded, rate) - truth))
            cells = "".join(f" {w:19.3f}" for w in worst)
            print(f"{rate:>6} {material:<14}{cells}")


if __name__ == "__main__":
    main()
