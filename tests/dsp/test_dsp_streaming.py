"""Every kind keeps its state between blocks: a stream of blocks == one call on the whole signal.

Also: each unit's latency is what it reports (an impulse comes out ``latency_frames`` late),
automation between blocks keeps the state, and tiny blocks (1, 2, 3 frames) work.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from producer.audio import Audio
from producer.dsp import catalog
from producer.dsp.effects import Effect
from producer.model import ParamValue

SR = 48000

# Non-default settings so every unit actually does something to the test signal.
SETTINGS: dict[str, dict[str, ParamValue]] = {
    "gain": {"gain_db": -3.5},
    "polarity": {},
    "highpass": {"cutoff_frequency_hz": 200.0, "q": 1.2},
    "lowpass": {"cutoff_frequency_hz": 3000.0, "order": 1},
    "lowshelf": {"gain_db": 6.0},
    "highshelf": {"gain_db": -6.0},
    "peak": {"gain_db": 4.0, "q": 2.0},
    "eq": {"band1_gain_db": 3.0, "band2_gain_db": -4.0, "band3_type": "highpass"},
    "compressor": {"threshold_db": -30.0, "ratio": 6.0, "attack_ms": 2.0, "knee_db": 6.0},
    "gate": {"threshold_db": -25.0, "release_ms": 20.0},
    "limiter": {"ceiling_db": -12.0, "release_ms": 50.0},
    "delay": {"delay_seconds": 0.0101, "feedback": 0.4, "mix": 0.5},
    "reverb": {"room_size": 0.8},
    "convolution": {"mix": 0.7},
    "chorus": {"mix": 0.6, "depth": 0.5},
    "distortion": {"drive_db": 20.0},
}


@pytest.fixture(scope="module")
def signal() -> Audio:
    """Stereo noise bursts with silences (so gates and compressors open and close), 0.5 s."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, SR // 2)) * 0.3
    envelope = np.repeat(rng.uniform(0.0, 1.0, 25) ** 3, SR // 2 // 25)
    return (x * envelope).astype(np.float32)


@pytest.fixture(scope="module")
def impulse_response(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(3)
    ir = rng.standard_normal((2, 2400)) * np.exp(-np.arange(2400) / 400.0) * 0.2
    path = tmp_path_factory.mktemp("ir") / "room.wav"
    sf.write(path, ir.T.astype(np.float32), SR, subtype="FLOAT")
    return path


def _make(kind: str, ir: Path) -> Effect:
    params = dict(SETTINGS[kind])
    if kind == "convolution":
        params["impulse_response_path"] = str(ir)
    return catalog.create(kind, params, SR, 2, 4096)


def _in_blocks(fx: Effect, x: Audio, sizes: list[int]) -> Audio:
    out, i, k = [], 0, 0
    while i < x.shape[1]:
        n = sizes[k % len(sizes)]
        block = fx.process(x[:, i : i + n])
        assert block.shape == x[:, i : i + n].shape and block.dtype == np.float32
        out.append(block)
        i, k = i + n, k + 1
    return np.concatenate(out, axis=1)


def test_settings_cover_every_kind() -> None:
    assert set(SETTINGS) == set(catalog.KINDS)


@pytest.mark.parametrize("kind", list(SETTINGS))
def test_blocks_equal_whole(kind: str, signal: Audio, impulse_response: Path) -> None:
    fx = _make(kind, impulse_response)
    whole = fx.process(signal)
    assert np.max(np.abs(whole - signal)) > 1e-3 or kind == "gate", "the unit did nothing"
    fx.reset()
    streamed = _in_blocks(fx, signal, [1000, 1, 2, 3, 64, 4096, 777])
    np.testing.assert_allclose(streamed, whole, atol=1e-6, rtol=0)
    # reset() forgets everything: a second run gives the same samples again.
    fx.reset()
    np.testing.assert_allclose(fx.process(signal), whole, atol=1e-6, rtol=0)


@pytest.mark.parametrize("kind", list(SETTINGS))
def test_blocks_longer_than_pedalboards_buffer(
    kind: str, signal: Audio, impulse_response: Path
) -> None:
    """Blocks up to 20000 frames (the engine renders 131072): pedalboard cuts a call into
    8192-frame buffers, so one buffer primes a unit; mixed lengths keep the state."""
    params = dict(SETTINGS[kind])
    if kind == "convolution":
        params["impulse_response_path"] = str(impulse_response)
    fx = catalog.create(kind, params, SR, 2, 20000)
    whole = fx.process(signal)
    fx.reset()
    streamed = _in_blocks(fx, signal, [20000, 1, 8192, 8193, 300, 20000])
    np.testing.assert_allclose(streamed, whole, atol=1e-6, rtol=0)


@pytest.mark.parametrize("kind", list(SETTINGS))
def test_latency_is_what_the_unit_reports(kind: str, impulse_response: Path) -> None:
    fx = _make(kind, impulse_response)
    x = np.zeros((2, 4096), dtype=np.float32)
    x[:, 100] = 0.01  # quiet: below every threshold, no compression, no clipping
    y = _in_blocks(fx, x, [512])
    first = int(np.argmax(np.abs(y[0]) > 1e-5))
    if kind == "gate":
        assert np.max(np.abs(y)) < 1e-5  # 0.01 is −40 dB, below the gate's threshold
        return
    assert first == 100 + fx.latency_frames, f"{kind}: latency {fx.latency_frames}"


def test_reported_latencies() -> None:
    latencies = {k: _make(k, Path("x")).latency_frames for k in SETTINGS if k != "convolution"}
    # BrickwallLimiter: its 5 ms look-ahead, plus 2 frames of our guard against tiny blocks.
    assert latencies.pop("limiter") == round(0.005 * SR) + 2
    assert set(latencies.values()) == {0}


@pytest.mark.parametrize(
    ("kind", "name", "value"),
    [
        ("peak", "gain_db", -3.0),
        ("highpass", "cutoff_frequency_hz", 500.0),
        ("eq", "band2_frequency_hz", 900.0),
        ("compressor", "threshold_db", -20.0),
        ("delay", "feedback", 0.1),
        ("limiter", "ceiling_db", -6.0),
    ],
)
def test_automation_between_blocks_keeps_the_state(
    kind: str, name: str, value: float, signal: Audio, impulse_response: Path
) -> None:
    """Changing a parameter mid-stream == two runs that change it at the same frame."""
    half = 12000
    fx = _make(kind, impulse_response)
    a = _in_blocks(fx, signal[:, :half], [1000])
    fx.set_param(name, value)
    b = _in_blocks(fx, signal[:, half:], [333])
    fx2 = _make(kind, impulse_response)
    a2 = fx2.process(signal[:, :half])
    fx2.set_param(name, value)
    b2 = fx2.process(signal[:, half:])
    np.testing.assert_allclose(np.concatenate([a, b], 1), np.concatenate([a2, b2], 1), atol=1e-6)
    # And the change had an effect, without a jump back to a cold state at the boundary.
    fx3 = _make(kind, impulse_response)
    unchanged = fx3.process(signal)
    assert np.max(np.abs(b - unchanged[:, half:])) > 1e-4


def test_mono_and_stereo() -> None:
    for channels in (1, 2):
        fx = catalog.create("reverb", {}, SR, channels, 256)
        out = fx.process(np.ones((channels, 300), dtype=np.float32))
        assert out.shape == (channels, 300)


def test_changing_filter_order_switches_the_filter() -> None:
    x = np.zeros((1, 4800), dtype=np.float32)
    x[0, 0] = 1.0
    fx = catalog.create("highpass", {"cutoff_frequency_hz": 1000.0}, SR, 1, 4800)
    second = fx.process(x)
    fx.set_param("order", 1)
    fx.reset()
    first = fx.process(x)
    reference = catalog.create("highpass", {"cutoff_frequency_hz": 1000.0, "order": 1}, SR, 1, 64)
    np.testing.assert_allclose(first, reference.process(x), atol=1e-7)
    assert np.max(np.abs(first - second)) > 0.01


@pytest.mark.parametrize("max_block", [16, 64, 256])
def test_limiter_latency_with_blocks_shorter_than_its_look_ahead(max_block: int) -> None:
    fx = catalog.create("limiter", {"ceiling_db": -3.0}, SR, 2, max_block)
    x = np.zeros((2, 2000), dtype=np.float32)
    x[:, 100] = 0.01
    sizes = [max_block, 1, 2, max_block // 2]
    y = _in_blocks(fx, x, sizes)
    assert int(np.argmax(np.abs(y[0]) > 1e-5)) == 100 + fx.latency_frames
    assert fx.latency_frames == 240 + 2
    assert float(np.max(np.abs(y))) == pytest.approx(0.01, rel=1e-6)


def _extreme_cases() -> list[tuple[str, str, float, int]]:
    cases = []
    for kind, spec in catalog.KINDS.items():
        if kind == "convolution":
            continue
        for name, p in spec.params.items():
            if p.value_type != "float":
                continue
            for value in (p.minimum, p.maximum):
                for rate in (44100, 96000):
                    if name.endswith("frequency_hz") and value >= rate / 2:
                        value = rate / 2 - 1.0
                    cases.append((kind, name, value, rate))
    return cases


@pytest.mark.parametrize(("kind", "name", "value", "rate"), _extreme_cases())
def test_every_parameter_at_its_limits_gives_finite_audio(
    kind: str, name: str, value: float, rate: int
) -> None:
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((2, 3000)) * 0.5).astype(np.float32)
    x[:, 1500:] = 0.0  # and silence after, for the detectors' release
    fx = catalog.create(kind, {name: value}, rate, 2, 1024)
    out = _in_blocks(fx, x, [1024, 1, 975])
    assert out.shape == x.shape and np.isfinite(out).all()


def test_limiter_tiny_block_then_a_full_block(signal: Audio) -> None:
    """A held-back tiny block joins the next full one: the plugin must not re-prepare."""
    fx = catalog.create("limiter", SETTINGS["limiter"], SR, 2, 1024)
    whole = fx.process(signal)
    fx.reset()
    streamed = _in_blocks(fx, signal, [1, 1024, 2, 1024, 1024])
    np.testing.assert_allclose(streamed, whole, atol=1e-6, rtol=0)


@pytest.mark.parametrize("kind", [k for k in SETTINGS if k != "convolution"])
def test_output_never_aliases_the_input(kind: str) -> None:
    """Every unit returns a new array, even when it leaves the samples as they are."""
    fx = catalog.create(kind, {}, SR, 2, 256)
    x = np.zeros((2, 256), dtype=np.float32)
    out = fx.process(x)
    assert not np.shares_memory(out, x)
