"""producer.dsp.resample (used by import): soxr VHQ, float32 (channels, frames), streamed or not.

Kept with the storage tests because import is its first user; references are analytic sines
and scipy's polyphase resampler (an independent implementation)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from producer.dsp.resample import StreamResampler, resample, resampled_length
from producer.errors import UserError


def sine(rate: int, seconds: float, freq_hz: float, channels: int = 2) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    return np.stack([0.5 * np.sin(2 * np.pi * freq_hz * t + c) for c in range(channels)]).astype(
        np.float32
    )


def db(x: np.ndarray) -> float:
    return float(20 * np.log10(np.max(np.abs(x)) + 1e-30))


@pytest.mark.parametrize(
    ("src", "dst"), [(44100, 48000), (48000, 44100), (96000, 48000), (22050, 48000)]
)
def test_sine_null_against_analytic(src: int, dst: int) -> None:
    x = sine(src, 0.5, 1000.0)
    y = resample(x, src, dst)
    assert y.dtype == np.float32 and y.shape == (2, resampled_length(x.shape[1], src, dst))
    expected = sine(dst, 0.5, 1000.0)
    mid = slice(dst // 20, y.shape[1] - dst // 20)  # away from the filter's edge ringing
    # float32 output: the floor is float32 rounding (~ -130 dB); require better than -100 dB
    assert db(y[:, mid] - expected[:, mid]) < -100


def test_matches_scipy_polyphase_in_the_passband() -> None:
    x = sine(44100, 0.5, 3000.0, channels=1)
    ours = resample(x, 44100, 48000)
    ref = signal.resample_poly(x.astype(np.float64), 160, 147, axis=1)
    mid = slice(2400, 21600)
    assert db(ours[:, mid] - ref[:, mid]) < -60


def test_stream_equals_one_shot() -> None:
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((2, 30000)) * 0.1).astype(np.float32)
    one = resample(x, 44100, 48000)
    s = StreamResampler(44100, 48000, 2)
    parts = [s.process(x[:, i : i + 4096]) for i in range(0, x.shape[1], 4096)]
    parts.append(s.process(np.zeros((2, 0), np.float32), last=True))
    streamed = np.concatenate(parts, axis=1)
    assert streamed.shape == one.shape
    assert db(streamed - one) < -120


def test_same_rate_and_edges() -> None:
    x = sine(48000, 0.01, 100.0)
    assert resample(x, 48000, 48000) is not None
    np.testing.assert_array_equal(resample(x, 48000, 48000), x)
    assert resample(np.zeros((1, 0), np.float32), 44100, 48000).shape == (1, 0)
    assert resample(np.zeros(100, np.float32), 44100, 48000).shape == (1, 109)
    with pytest.raises(UserError, match="sample rates must be positive"):
        resample(x, 0, 48000)
