"""Compressor and gate: static curve, time constants, ducking by a sidechain key, gate closing."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pedalboard
import pytest

from producer.audio import Audio
from producer.dsp import catalog
from producer.dsp.dynamics import Dynamics, compressor_gain_reduction_db
from producer.dsp.effects import Effect

SR = 48000


def sine(freq_hz: float, peak: float, seconds: float, channels: int = 2) -> Audio:
    t = np.arange(int(seconds * SR)) / SR
    return np.tile(peak * np.sin(2 * np.pi * freq_hz * t), (channels, 1)).astype(np.float32)


def peak_db(x: npt.NDArray[np.float32]) -> float:
    return 20 * math.log10(float(np.max(np.abs(x))))


def rms_db(x: npt.NDArray[np.float32]) -> float:
    return 10 * math.log10(float(np.mean(x.astype(np.float64) ** 2)))


def run(fx: Effect, x: Audio, key: Audio | None = None, block: int = 1024) -> Audio:
    out = []
    for i in range(0, x.shape[1], block):
        a = x[:, i : i + block]
        out.append(fx.process(a) if key is None else fx.process_sidechain(a, key[:, i : i + block]))
    return np.concatenate(out, axis=1)


@pytest.mark.parametrize(
    ("level_db", "threshold_db", "ratio"),
    [(-6.0, -20.0, 4.0), (-6.0, -20.0, 2.0), (-3.0, -30.0, 10.0), (-12.0, -18.0, 1.5)],
)
def test_compressor_static_curve(level_db: float, threshold_db: float, ratio: float) -> None:
    """A steady tone above threshold comes out reduced by (1 − 1/ratio)·overshoot."""
    x = sine(997.0, 10 ** (level_db / 20), 1.0)
    fx = catalog.create(
        "compressor",
        {"threshold_db": threshold_db, "ratio": ratio, "attack_ms": 5.0, "release_ms": 300.0},
        SR,
        2,
        1024,
    )
    y = run(fx, x)
    expected = -(1 - 1 / ratio) * (level_db - threshold_db)
    measured = peak_db(y[:, SR // 2 :]) - peak_db(x[:, SR // 2 :])
    assert measured == pytest.approx(expected, abs=0.1)


def test_compressor_below_threshold_is_untouched() -> None:
    x = sine(440.0, 0.05, 0.5)  # −26 dBFS
    fx = catalog.create("compressor", {"threshold_db": -20.0, "ratio": 8.0}, SR, 2, 1024)
    assert np.array_equal(run(fx, x), x)


def test_compressor_makeup_and_soft_knee() -> None:
    """At the threshold a soft knee of W dB reduces by (1 − 1/R)·W/8 (Giannoulis eq. 4)."""
    x = sine(997.0, 10 ** (-20 / 20), 1.0)
    fx = catalog.create(
        "compressor",
        {
            "threshold_db": -20.0,
            "ratio": 4.0,
            "knee_db": 12.0,
            "makeup_db": 3.0,
            "release_ms": 300.0,
        },
        SR,
        2,
        1024,
    )
    y = run(fx, x)
    measured = peak_db(y[:, SR // 2 :]) - peak_db(x[:, SR // 2 :])
    assert measured == pytest.approx(3.0 - 0.75 * 12.0 / 8.0, abs=0.05)


def test_gain_computer_is_continuous_at_the_knee_edges() -> None:
    level = np.array([-26.0 - 1e-9, -26.0, -14.0, -14.0 + 1e-9])
    gr = compressor_gain_reduction_db(level, -20.0, 4.0, 12.0)
    assert gr[0] == pytest.approx(gr[1], abs=1e-6) and gr[1] == 0.0
    assert gr[2] == pytest.approx(gr[3], abs=1e-6) and gr[2] == pytest.approx(0.75 * 6.0)


def test_compressor_agrees_with_juce_on_a_steady_tone() -> None:
    """pedalboard's JUCE Compressor (another implementation) reduces a steady tone as much."""
    x = sine(997.0, 0.5, 1.0)
    params = {"threshold_db": -24.0, "ratio": 3.0, "attack_ms": 5.0, "release_ms": 300.0}
    ours = run(catalog.create("compressor", params, SR, 2, 1024), x)
    juce = pedalboard.Compressor(**params).process(x, SR)
    assert peak_db(ours[:, SR // 2 :]) == pytest.approx(peak_db(juce[:, SR // 2 :]), abs=0.3)


def test_attack_and_release_time_constants() -> None:
    """A key step: reduction rises as 1 − e^(−t/τA), then decays through both stages."""
    attack_ms, release_ms = 2.0, 50.0
    fx = catalog.create(
        "compressor",
        {"threshold_db": -40.0, "ratio": 1e2, "attack_ms": attack_ms, "release_ms": release_ms},
        SR,
        1,
        512,
    )
    n_on, n_off = SR // 2, SR // 2
    key = np.zeros((1, n_on + n_off), dtype=np.float32)
    key[0, :n_on] = 0.1  # −20 dB, 20 dB over threshold
    ones = np.ones_like(key)
    gain_db = 20 * np.log10(run(fx, ones, key).astype(np.float64)[0])
    full = (1 - 1 / 100) * 20.0
    t = (np.arange(n_on) + 1) / SR  # the one-pole answers at the step's own sample
    rise = full * (1 - np.exp(-t / (attack_ms / 1000)))
    np.testing.assert_allclose(-gain_db[:n_on], rise, atol=full * 0.01)
    # Release: exp decay e^(−t/τR) then the attack one-pole, an analytic cascade of the two.
    ta, tr = attack_ms / 1000, release_ms / 1000
    t = (np.arange(n_off) + 1) / SR
    fall = full * (tr * np.exp(-t / tr) - ta * np.exp(-t / ta)) / (tr - ta)
    np.testing.assert_allclose(-gain_db[n_on:], fall, atol=full * 0.01)


def test_ducking_music_under_a_voice_key() -> None:
    """Music compressed by a voice on the sidechain: ducked while the voice speaks, only then."""
    rng = np.random.default_rng(11)
    seconds = 6.0
    frames = int(seconds * SR)
    music = (rng.standard_normal((2, frames)) * 0.1).astype(np.float32)  # −20 dBFS RMS
    voice = np.zeros((1, frames), dtype=np.float32)
    on, off = int(1.0 * SR), int(1.8 * SR)
    t = np.arange(off - on) / SR
    voice[0, on:off] = 0.3 * np.sin(2 * np.pi * 220 * t)  # −10.5 dBFS peak, mono
    fx = catalog.create(
        "compressor",
        {"threshold_db": -30.0, "ratio": 10.0, "attack_ms": 5.0, "release_ms": 200.0},
        SR,
        2,
        512,
    )
    ducked = run(fx, music, voice, block=512)
    # Before the voice: untouched, sample for sample.
    assert np.array_equal(ducked[:, :on], music[:, :on])
    # While it speaks (after the attack): (1 − 1/10)·(−10.46 + 30) = 17.6 dB down.
    expected = -(1 - 1 / 10) * (20 * math.log10(0.3) + 30)
    window = slice(on + SR // 10, off)
    assert rms_db(ducked[:, window]) - rms_db(music[:, window]) == pytest.approx(expected, abs=0.3)
    # Long after (20 release times): back within a hundredth of a dB.
    late = slice(off + 4 * SR, frames)
    assert rms_db(ducked[:, late]) - rms_db(music[:, late]) == pytest.approx(0.0, abs=0.01)
    # Keyed by itself (noise peaks near −8 dBFS) the same compressor would act all the time.
    self_keyed = run(catalog.create("compressor", dict(fx.params), SR, 2, 512), music)
    assert not np.allclose(self_keyed[:, :on], music[:, :on])


def test_gate_closes_below_threshold_and_passes_above() -> None:
    params = {"threshold_db": -40.0, "ratio": 10.0, "attack_ms": 1.0, "release_ms": 20.0}
    quiet = sine(1000.0, 10 ** (-60 / 20), 1.0)
    out = run(catalog.create("gate", params, SR, 2, 1024), quiet)
    # 20 dB under: (20)·(10 − 1) = 180 dB of reduction, limited to the 80 dB range.
    assert peak_db(out[:, SR // 2 :]) == pytest.approx(-60.0 - 80.0, abs=0.5)
    loud = sine(1000.0, 0.1, 1.0)
    out = run(catalog.create("gate", params, SR, 2, 1024), loud)
    diff = out[:, SR // 10 :] - loud[:, SR // 10 :]  # after the 1 ms attack has opened it
    assert np.max(np.abs(diff)) < 1e-6  # below −120 dBFS


def test_gate_range_and_ratio() -> None:
    quiet = sine(1000.0, 10 ** (-45 / 20), 1.0)
    params = {"threshold_db": -40.0, "ratio": 2.0, "range_db": 40.0}
    out = run(catalog.create("gate", params, SR, 2, 1024), quiet)
    # 5 dB under a 1:2 expander: 5 dB more reduction (the peak detector holds the peak level).
    assert peak_db(out[:, SR // 2 :]) == pytest.approx(-50.0, abs=0.2)


def test_gate_opened_by_a_key() -> None:
    rng = np.random.default_rng(2)
    frames = SR
    pad = (rng.standard_normal((2, frames)) * 0.003).astype(np.float32)  # −50 dBFS RMS
    key = np.zeros((1, frames), dtype=np.float32)
    key[0, SR // 2 :] = 0.5  # a kick's envelope, say
    fx = catalog.create("gate", {"threshold_db": -30.0, "attack_ms": 0.5}, SR, 2, 256)
    out = run(fx, pad, key, block=256)
    assert rms_db(out[:, SR // 4 : SR // 2]) < rms_db(pad) - 70
    assert np.max(np.abs(out[:, SR // 2 + 480 :] - pad[:, SR // 2 + 480 :])) < 1e-6


def test_key_must_have_the_frames_of_the_audio() -> None:
    fx = catalog.create("compressor", {}, SR, 2, 256)
    with pytest.raises(ValueError, match="frames"):
        fx.process_sidechain(np.zeros((2, 10), np.float32), np.zeros((1, 11), np.float32))


@pytest.mark.parametrize("kind", ["compressor", "gate"])
@pytest.mark.parametrize("attack_ms", [0.0, 0.05, 2.0, 1000.0])
def test_attack_stage_paths_agree(kind: str, attack_ms: float) -> None:
    """The cumulative-sum one-pole (short blocks) and lfilter (long blocks, short attack)."""
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((2, 40000)) * np.repeat(rng.uniform(0, 1, 10), 4000) ** 2).astype(
        np.float32
    )
    params = {"threshold_db": -10.0, "attack_ms": attack_ms, "release_ms": 30.0}
    whole = catalog.create(kind, params, SR, 2, 64).process(x)
    blocks = run(catalog.create(kind, params, SR, 2, 64), x, block=64)
    np.testing.assert_allclose(blocks, whole, atol=1e-6, rtol=0)
    assert np.max(np.abs(whole - x)) > 1e-3


class _ExactOnly(Dynamics):
    """The compressor through the log-domain path only (the fast path refuses every block)."""

    def _fast_fits(self, frames: int) -> bool:
        return False


@pytest.mark.parametrize(
    "params",
    [
        {"threshold_db": -20.0, "ratio": 3.0, "attack_ms": 10.0, "release_ms": 100.0},
        {
            "threshold_db": -30.0,
            "ratio": 8.0,
            "attack_ms": 0.0,
            "release_ms": 40.0,
            "knee_db": 10.0,
        },
        {"threshold_db": -12.0, "ratio": 2.0, "attack_ms": 1000.0, "release_ms": 5000.0},
        # An attack slower than the release: the fast path's runs would cancel, it sums.
        {"threshold_db": -18.0, "ratio": 4.0, "attack_ms": 200.0, "release_ms": 50.0},
        # Attack equal to the release: q = 1, the prefix sums grow linearly.
        {"threshold_db": -22.0, "ratio": 6.0, "attack_ms": 30.0, "release_ms": 30.0},
        # Release 1 ms: the 40000- and 65536-frame blocks leave the fast path's range, so the
        # two paths alternate and must hand the state over exactly.
        {
            "threshold_db": -25.0,
            "ratio": 4.0,
            "attack_ms": 0.5,
            "release_ms": 1.0,
            "makeup_db": 3.0,
        },
    ],
)
def test_fast_compressor_path_equals_the_log_domain_path(params: dict[str, float]) -> None:
    rng = np.random.default_rng(7)
    n = 200000
    env = np.repeat(rng.uniform(0.0, 1.0, 50), n // 50) ** 2  # loud and quiet stretches
    x = (rng.standard_normal((2, n)) * env * 0.5).astype(np.float32)
    fast, exact = Dynamics("compressor", **params), _ExactOnly("compressor", **params)
    for d in (fast, exact):
        d.prepare(SR, 2, 65536)
    i = 0
    worst_db = 0.0
    for block in [64, 40000, 1000, 65536, 17, 93383]:
        a = x[:, i : i + block]
        g_fast, g_exact = fast.gain_db(a), exact.gain_db(a)
        if g_fast is None or g_exact is None:
            assert g_fast is None and g_exact is None
        else:
            worst_db = max(worst_db, float(np.max(np.abs(g_fast - g_exact))))
        i += block
    assert i == n
    assert worst_db < 1e-9
    # And the audio, block by block, through process():
    fast.reset(), exact.reset()
    out_fast = np.concatenate([fast.process(x[:, j : j + 4096]) for j in range(0, n, 4096)], 1)
    out_exact = np.concatenate([exact.process(x[:, j : j + 4096]) for j in range(0, n, 4096)], 1)
    assert np.max(np.abs(out_fast - out_exact)) < 1e-6  # below −120 dBFS
    assert np.max(np.abs(out_fast - x)) > 1e-2  # it compressed
