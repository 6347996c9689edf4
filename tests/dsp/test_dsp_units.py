"""Gain, polarity, delay, convolution, limiter and the JUCE colour units against references."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pedalboard
import pytest
import soundfile as sf
from scipy import signal

from producer.audio import Audio
from producer.dsp import catalog

SR = 48000


def noise(channels: int = 2, frames: int = SR // 2, scale: float = 0.25, seed: int = 1) -> Audio:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((channels, frames)) * scale).astype(np.float32)


def below_minus_120_dbfs(diff: Audio) -> bool:
    return float(np.max(np.abs(diff))) < 10 ** (-120 / 20)


@pytest.mark.parametrize("gain_db", [-6.5, 0.0, 12.0, -120.0])
def test_gain_null(gain_db: float) -> None:
    x = noise()
    out = catalog.create("gain", {"gain_db": gain_db}, SR, 2, 4096).process(x)
    expected = x.astype(np.float64) * 10 ** (gain_db / 20)
    assert below_minus_120_dbfs(out - expected)


def test_polarity_null() -> None:
    x = noise()
    out = catalog.create("polarity", {}, SR, 2, 4096).process(x)
    assert np.array_equal(out, -x)


@pytest.mark.parametrize(
    ("delay_seconds", "frames"),
    [(0.01, 480), (0.0101, 485), (1 / SR, 1), (0.5, 24000), (2.5 / SR, 2), (0.0, 0)],
)
def test_delay_shifts_by_exact_frames(delay_seconds: float, frames: int) -> None:
    """mix 1, no feedback: the output is the input, ``round(delay_seconds·rate)`` frames late."""
    x = noise(frames=SR)
    fx = catalog.create(
        "delay", {"delay_seconds": delay_seconds, "feedback": 0.0, "mix": 1.0}, SR, 2, 1024
    )
    out = np.concatenate([fx.process(x[:, i : i + 1024]) for i in range(0, SR, 1024)], 1)
    expected = np.zeros_like(x)
    expected[:, frames:] = x[:, : SR - frames]
    assert below_minus_120_dbfs(out - expected)


def test_delay_mix_and_feedback() -> None:
    """Echoes every N frames, each ``feedback`` times the one before; ``mix`` blends linearly."""
    n, fb, mix = 300, 0.5, 0.25
    x = np.zeros((1, 2000), dtype=np.float32)
    x[0, 10] = 1.0
    out = catalog.create(
        "delay", {"delay_seconds": n / SR, "feedback": fb, "mix": mix}, SR, 1, 512
    ).process(x)
    expected = np.zeros_like(x, dtype=np.float64)
    expected[0, 10] = 1 - mix
    for k in range(1, 7):
        expected[0, 10 + k * n] = mix * fb ** (k - 1)
    assert np.max(np.abs(out - expected)) < 1e-6


@pytest.fixture(scope="module")
def ir_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("ir")
    rng = np.random.default_rng(9)
    decay = np.exp(-np.arange(3000) / 500.0)
    files = {
        "stereo": (rng.standard_normal((2, 3000)) * decay * [[0.3], [0.1]], SR),
        "mono": (rng.standard_normal((1, 3000)) * decay * 0.2, SR),
        "unit": (np.eye(1, 64), SR),
    }
    delayed = np.zeros((1, 2000))
    delayed[0, 441] = 1.0  # 10 ms at 44.1 kHz
    files["delayed_44k1"] = (delayed, 44100)
    paths = {}
    for name, (ir, rate) in files.items():
        paths[name] = folder / f"{name}.wav"
        sf.write(paths[name], np.asarray(ir, dtype=np.float32).T, rate, subtype="FLOAT")
    return paths


@pytest.mark.parametrize("name", ["stereo", "mono"])
@pytest.mark.parametrize("mix", [1.0, 0.3])
def test_convolution_null_against_scipy(ir_files: dict[str, Path], name: str, mix: float) -> None:
    """The IR as recorded (JUCE's normalisation undone), mixed linearly with the dry signal."""
    x = noise(frames=SR // 4)
    ir, _ = sf.read(ir_files[name], dtype="float64", always_2d=True)
    wet = signal.fftconvolve(x.astype(np.float64), ir.T, axes=1)[:, : x.shape[1]]
    expected = (1 - mix) * x + mix * wet
    fx = catalog.create(
        "convolution", {"impulse_response_path": str(ir_files[name]), "mix": mix}, SR, 2, 1024
    )
    out = np.concatenate([fx.process(x[:, i : i + 1024]) for i in range(0, x.shape[1], 1024)], 1)
    # JUCE convolves in float32 FFTs: −110 dB relative to the signal, not bit-exact.
    err_db = 20 * math.log10(np.max(np.abs(out - expected)) / np.max(np.abs(expected)))
    assert err_db < -100


def test_convolution_with_a_unit_impulse_is_the_identity(ir_files: dict[str, Path]) -> None:
    x = noise(frames=8192)
    fx = catalog.create("convolution", {"impulse_response_path": str(ir_files["unit"])}, SR, 2, 512)
    out = np.concatenate([fx.process(x[:, i : i + 512]) for i in range(0, 8192, 512)], 1)
    assert np.max(np.abs(out - x)) < 1e-6


def test_convolution_resamples_an_ir_of_another_rate(ir_files: dict[str, Path]) -> None:
    """A 10 ms delay recorded at 44.1 kHz is a 480-frame delay at 48 kHz, at the same level."""
    t = np.arange(SR) / SR
    x = np.tile(0.5 * np.sin(2 * np.pi * 1000 * t), (2, 1)).astype(np.float32)
    fx = catalog.create(
        "convolution", {"impulse_response_path": str(ir_files["delayed_44k1"])}, SR, 2, 4096
    )
    out = np.concatenate([fx.process(x[:, i : i + 4096]) for i in range(0, SR, 4096)], 1)
    steady = slice(SR // 4, SR - 1000)
    shifted = np.zeros_like(x)
    shifted[:, 480:] = x[:, :-480]
    assert 20 * math.log10(np.max(np.abs(out[:, steady])) / 0.5) == pytest.approx(0.0, abs=0.05)
    assert np.max(np.abs(out[:, steady] - shifted[:, steady])) < 0.01


def test_convolution_relative_path_and_bad_file(tmp_path: Path, ir_files: dict[str, Path]) -> None:
    fx = catalog.create(
        "convolution",
        {"impulse_response_path": ir_files["mono"].name},
        SR,
        2,
        512,
        base_dir=ir_files["mono"].parent,
    )
    assert fx.process(noise(frames=100)).shape == (2, 100)
    bad = tmp_path / "notaudio.wav"
    bad.write_text("hello")
    from producer.errors import FormatError

    with pytest.raises(FormatError, match=r"notaudio\.wav"):
        catalog.create("convolution", {"impulse_response_path": str(bad)}, SR, 2, 512)


@pytest.mark.parametrize("ceiling_db", [-1.0, -6.0])
def test_limiter_holds_the_ceiling_without_makeup(ceiling_db: float) -> None:
    x = noise(scale=0.5)  # peaks near +6 dBFS
    fx = catalog.create("limiter", {"ceiling_db": ceiling_db}, SR, 2, 1024)
    out = np.concatenate([fx.process(x[:, i : i + 1024]) for i in range(0, x.shape[1], 1024)], 1)
    assert 20 * math.log10(np.max(np.abs(out))) <= ceiling_db + 0.01
    # Quiet material passes at unity (no make-up gain), only delayed by the look-ahead.
    quiet = noise(scale=0.01)
    fx.reset()
    out = fx.process(quiet)
    lat = fx.latency_frames
    assert np.max(np.abs(out[:, lat:] - quiet[:, :-lat])) < 1e-6


@pytest.mark.parametrize(
    ("kind", "params", "make"),
    [
        (
            "reverb",
            {"room_size": 0.7, "wet_level": 0.5},
            lambda: pedalboard.Reverb(0.7, wet_level=0.5),
        ),
        ("chorus", {"rate_hz": 2.0, "depth": 0.4}, lambda: pedalboard.Chorus(2.0, 0.4)),
        ("distortion", {"drive_db": 12.0}, lambda: pedalboard.Distortion(12.0)),
        (
            "lowshelf",
            {"gain_db": 6.0},
            lambda: pedalboard.LowShelfFilter(100.0, 6.0, math.sqrt(0.5)),
        ),
        (
            "highshelf",
            {"gain_db": -4.0},
            lambda: pedalboard.HighShelfFilter(8000.0, -4.0, math.sqrt(0.5)),
        ),
        ("peak", {"gain_db": 5.0}, lambda: pedalboard.PeakFilter(1000.0, 5.0, 1.0)),
        (
            "highpass",
            {"order": 1, "cutoff_frequency_hz": 300.0},
            lambda: pedalboard.HighpassFilter(300.0),
        ),
        (
            "delay",
            {"delay_seconds": 0.01, "feedback": 0.3, "mix": 0.4},
            lambda: pedalboard.Delay((480 + 0.5) / SR, 0.3, 0.4),
        ),
        ("limiter", {"ceiling_db": -6.0}, lambda: pedalboard.BrickwallLimiter(-6.0)),
    ],
)
def test_streamed_units_equal_one_pedalboard_call_on_the_whole_signal(
    kind: str, params: dict[str, float], make: Callable[[], Any]
) -> None:
    """Our blocks == pedalboard's own single call on the whole signal (its state carries).

    Our units are primed with one silent block after each reset (see PedalboardEffect), so the
    reference call gets the same silent block in front (it matters only to the chorus LFO).
    A latent unit (the limiter) is compared ``latency_frames`` later: pedalboard's one call
    compensates its look-ahead, a stream cannot.
    """
    x = noise()
    fx = catalog.create(kind, params, SR, 2, 1024)
    out = np.concatenate([fx.process(x[:, i : i + 1024]) for i in range(0, x.shape[1], 1024)], 1)
    prime = np.zeros((2, 1024), dtype=np.float32)
    reference = make().process(np.concatenate([prime, x], 1), SR)[:, 1024:]
    lat = fx.latency_frames
    assert np.max(np.abs(out[:, lat:] - reference[:, : x.shape[1] - lat])) < 1e-6
