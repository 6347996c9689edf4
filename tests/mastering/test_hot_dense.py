"""Hot, dense programmes delivered to ``cd`` from 48 and 96 kHz (issue 10): every output's true
peak, measured independently by FFT interpolation of the whole file, at or under the -0.3 dBTP
ceiling; integrated loudness (libebur128) within ±0.1 LU of the target (the profile's -11 LUFS,
or -8 LUFS for two of them, for limiting of several dB); and the figure
``producer master`` reports is the one ``producer meter`` reads from the delivered file.

The programmes are what makes a 44.1 kHz/16-bit ceiling hard: a mix already limited and
saturated (dense, little crest), hi-hats of noise reaching the top of the band, tones near a
quarter of the rate whose samples sit well under their peaks, all converted to 44.1 kHz
before the limiter and dithered to 16 bits after it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pedalboard
import pytest
import scipy.signal

from producer.analysis import loudness
from producer.mastering import chain, export
from producer.mastering.profiles import get_profile

from .refs import ebu_integrated, pinkish, true_peak_fft_dbtp

SECONDS = 6.0


def _dense(rate: int, seed: int, drive: float) -> np.ndarray:
    """A loud mix: pinkish bed, 120 BPM kick and noise snare, hats up to Nyquist, driven into
    tanh saturation and a sample-peak limiter at -0.1 dBFS (no headroom left)."""
    n = int(SECONDS * rate)
    t = np.arange(n) / rate
    rng = np.random.default_rng(seed)
    phase = (t % 0.5) / 0.5
    kick = np.sin(2 * np.pi * (50 + 90 * np.exp(-phase * 30)) * (t % 0.5)) * np.exp(-phase * 8)
    hats = rng.standard_normal((2, n)) * np.exp(-((t % 0.25) / 0.25) * 35)
    bed = pinkish(n, 2, seed).astype(np.float64)
    x = 0.6 * bed + 0.7 * kick + 0.35 * hats
    x = np.tanh(drive * x / np.max(np.abs(x)))
    limited = pedalboard.Limiter(threshold_db=-0.1)(x.astype(np.float32), rate)
    return np.asarray(limited, dtype=np.float32)


def _quarter_rate(rate: int) -> np.ndarray:
    """40 ms bursts of tones near fs/4 of the delivery rate (11 kHz, 45° phase: samples 3 dB
    under the true peak, before and after the conversion to 44.1 kHz) twice a second over a
    dense bed: the bursts carry the peaks, the bed the loudness."""
    n = int(SECONDS * rate)
    t = np.arange(n) / rate
    tones = sum(np.sin(2 * np.pi * f * t + np.pi / 4) for f in (11025.0, 10990.0))
    burst = int(0.04 * rate)
    envelope = np.zeros(n)
    for start in range(0, n - burst, rate // 2):
        envelope[start : start + burst] = np.hanning(burst)
    bed = 0.3 * pinkish(n, 2, 9).astype(np.float64)
    x = bed + 0.5 * tones * envelope
    return (0.99 * x / np.max(np.abs(x))).astype(np.float32)


def _wideband_96k(rate: int) -> np.ndarray:
    """A 96 kHz master with content to 40 kHz: the conversion to 44.1 kHz removes it, and the
    limiter must act on what is delivered, not on the input."""
    x = _dense(rate, 5, 3.0).astype(np.float64)
    sos = scipy.signal.butter(4, 25000, btype="highpass", fs=rate, output="sos")
    air = scipy.signal.sosfilt(sos, np.random.default_rng(6).standard_normal(x.shape), axis=1)
    y = x + 0.4 * air / np.max(np.abs(air))
    return (y / np.max(np.abs(y))).astype(np.float32)


#: name -> (programme, its rate, the CD target: the profile's -11 LUFS, or louder)
CASES = {
    "dense-48k": (lambda: _dense(48000, 1, 4.0), 48000, -11.0),
    "saturated-48k": (lambda: _dense(48000, 2, 8.0), 48000, -8.0),
    "quarter-rate-48k": (lambda: _quarter_rate(48000), 48000, -11.0),
    "dense-96k": (lambda: _dense(96000, 3, 4.0), 96000, -8.0),
    "wideband-96k": (lambda: _wideband_96k(96000), 96000, -11.0),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hot_dense_to_cd(name: str, tmp_path: Path) -> None:
    make, rate, target = CASES[name]
    profile = get_profile("cd", target_lufs=target)
    source = make()
    before = loudness.measure(source, rate)
    # The case is hot: brought to the target as it is, its true peak would be over.
    assert before.true_peak_dbtp + target - before.integrated_lufs > profile.ceiling_dbtp + 0.5
    result = chain.master(source, rate, profile)
    assert result.passed, result.problems
    path = export.write_master(tmp_path / f"{name}.wav", result.samples, 44100, "16")
    delivered = loudness.measure_file(path)
    audio = result.audio
    # Independent measurements of the delivered samples.
    assert true_peak_fft_dbtp(audio, 44100) <= profile.ceiling_dbtp, name
    assert ebu_integrated(audio, 44100) == pytest.approx(target, abs=0.1)
    # What master reports is what the meter reads from the file.
    assert round(result.true_peak_dbtp, 2) == round(delivered.true_peak_dbtp, 2)
    assert round(result.integrated_lufs, 2) == round(delivered.integrated_lufs, 2)
