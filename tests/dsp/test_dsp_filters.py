"""Filters against independent references: scipy's Butterworth designs and the RBJ cookbook.

The cookbook formulas are written out here again, in the cookbook's own form (b0..a2 over a0),
independently of ``producer.dsp.biquad``; the units' measured responses (FFT of the impulse
response) must match ``scipy.signal.freqz`` of those coefficients.
"""

from __future__ import annotations

import math
import sys

import numpy as np
import numpy.typing as npt
import pytest
from scipy import signal

from producer.dsp import catalog
from producer.dsp.biquad import rbj_coefficients
from producer.model import ParamValue

SR = 48000
N = 1 << 15
FREQS = np.fft.rfftfreq(N, 1.0 / SR)
BAND = (FREQS >= 20.0) & (FREQS <= 20000.0)


def cookbook(
    kind: str, f0: float, db_gain: float, q: float, fs: int
) -> tuple[list[float], list[float]]:
    """RBJ Audio EQ Cookbook, verbatim structure (b0, b1, b2), (a0, a1, a2)."""
    A = 10 ** (db_gain / 40)
    w0 = 2 * math.pi * f0 / fs
    cw, sw = math.cos(w0), math.sin(w0)
    alpha = sw / (2 * q)
    sa = 2 * math.sqrt(A) * alpha
    if kind == "lowpass":
        return [(1 - cw) / 2, 1 - cw, (1 - cw) / 2], [1 + alpha, -2 * cw, 1 - alpha]
    if kind == "highpass":
        return [(1 + cw) / 2, -(1 + cw), (1 + cw) / 2], [1 + alpha, -2 * cw, 1 - alpha]
    if kind == "peak":
        return [1 + alpha * A, -2 * cw, 1 - alpha * A], [1 + alpha / A, -2 * cw, 1 - alpha / A]
    if kind == "lowshelf":
        return (
            [
                A * ((A + 1) - (A - 1) * cw + sa),
                2 * A * ((A - 1) - (A + 1) * cw),
                A * ((A + 1) - (A - 1) * cw - sa),
            ],
            [
                (A + 1) + (A - 1) * cw + sa,
                -2 * ((A - 1) + (A + 1) * cw),
                (A + 1) + (A - 1) * cw - sa,
            ],
        )
    assert kind == "highshelf"
    return (
        [
            A * ((A + 1) + (A - 1) * cw + sa),
            -2 * A * ((A - 1) + (A + 1) * cw),
            A * ((A + 1) + (A - 1) * cw - sa),
        ],
        [(A + 1) - (A - 1) * cw + sa, 2 * ((A - 1) - (A + 1) * cw), (A + 1) - (A - 1) * cw - sa],
    )


def measured_response(kind: str, params: dict[str, ParamValue]) -> npt.NDArray[np.complex128]:
    """Complex response of a catalog unit: the FFT of its impulse response, streamed in blocks."""
    fx = catalog.create(kind, params, SR, 1, 1024)
    impulse = np.zeros((1, N), dtype=np.float32)
    impulse[0, 0] = 1.0
    out = np.concatenate([fx.process(impulse[:, i : i + 1024]) for i in range(0, N, 1024)], 1)
    return np.fft.rfft(out[0].astype(np.float64))


def db(h: npt.NDArray[np.complex128]) -> npt.NDArray[np.float64]:
    return 20 * np.log10(np.maximum(np.abs(h), 1e-12))


def assert_response(
    measured: npt.NDArray[np.complex128], b: object, a: object, tol_db: float
) -> None:
    _, ref = signal.freqz(b, a, worN=FREQS, fs=SR)
    audible = BAND & (db(ref) > -60)
    err = np.max(np.abs(db(measured) - db(ref))[audible])
    assert err < tol_db, f"max response error {err:.4f} dB"


def test_lfilter_without_scipy_signal_is_scipy_signal_lfilter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The kernel loaded on its own gives scipy.signal.lfilter's samples and state, in blocks
    and on every axis; where it cannot be loaded, scipy.signal's own is used."""
    from producer.dsp import biquad

    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 5000))
    b, a = rbj_coefficients("highpass", 70.0, 0.0, 0.9, SR)
    zi = rng.standard_normal((3, 2)) * 0.1
    want, wzf = signal.lfilter(b, a, x, axis=1, zi=zi)
    name = "scipy.signal._sigtools"

    def check() -> None:
        biquad._lfilter_kernel.cache_clear()
        got, zf = biquad.lfilter(b, a, x, zi, axis=1)
        assert np.array_equal(got, want) and np.array_equal(zf, wzf)
        got0, _ = biquad.lfilter(b, a, x.T.copy(), zi.T.copy(), axis=0)
        assert np.array_equal(got0, want.T)
        one, _ = biquad.lfilter(np.array([0.1]), np.array([1.0, -0.9]), x[0], np.array([0.5]))
        assert np.array_equal(one, signal.lfilter([0.1], [1.0, -0.9], x[0], zi=[0.5])[0])

    try:
        check()  # scipy.signal imported (by this test module): its own module
        monkeypatch.delitem(sys.modules, name)
        check()  # the extension module loaded on its own

        def broken(*args: object) -> None:
            raise ImportError("moved")

        monkeypatch.setattr(biquad.importlib.machinery, "ExtensionFileLoader", broken)
        check()  # scipy.signal's lfilter
    finally:
        monkeypatch.undo()
        biquad._lfilter_kernel.cache_clear()


def test_cookbook_in_the_module_equals_the_cookbook_here() -> None:
    for kind in ("lowpass", "highpass", "peak", "lowshelf", "highshelf"):
        for f0, g, q in [(100.0, 6.0, 0.7071), (1234.5, -9.0, 2.5), (15000.0, 3.0, 0.5)]:
            b, a = cookbook(kind, f0, g, q, SR)
            b2, a2 = rbj_coefficients(kind, f0, g, q, SR)
            np.testing.assert_allclose(b2, np.array(b) / a[0], rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(a2, np.array(a) / a[0], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kind", ["highpass", "lowpass"])
@pytest.mark.parametrize("f0", [40.0, 1000.0, 12000.0])
def test_second_order_is_butterworth_at_q_0707(kind: str, f0: float) -> None:
    """RBJ at Q = 1/√2 is the bilinear Butterworth: scipy.signal.butter, an independent design."""
    b, a = signal.butter(2, f0, btype=kind[:-4] if kind == "highpass" else "low", fs=SR)
    measured = measured_response(kind, {"cutoff_frequency_hz": f0, "q": 1 / math.sqrt(2)})
    assert_response(measured, b, a, tol_db=0.001)
    # −3.01 dB at the cutoff, 12 dB/octave far from it.
    _, at_cutoff = signal.freqz(b, a, worN=[f0], fs=SR)
    assert db(at_cutoff)[0] == pytest.approx(-3.0103, abs=0.001)
    # Two octaves into the stop band: the analogue Butterworth's −10·log10(1 + 4⁴) = −24.1 dB
    # (12 dB/octave), where the bilinear transform's warping is small (far below Nyquist).
    stop = f0 / 4 if kind == "highpass" else f0 * 4
    if stop <= 1000:
        k = int(np.argmin(np.abs(FREQS - stop)))
        ratio = FREQS[k] / f0 if kind == "lowpass" else f0 / FREQS[k]
        assert db(measured[k : k + 1])[0] == pytest.approx(-10 * np.log10(1 + ratio**4), abs=0.2)


@pytest.mark.parametrize("kind", ["highpass", "lowpass"])
@pytest.mark.parametrize("q", [0.5, 2.0, 6.0])
def test_second_order_with_q(kind: str, q: float) -> None:
    b, a = cookbook(kind, 2000.0, 0.0, q, SR)
    measured = measured_response(kind, {"cutoff_frequency_hz": 2000.0, "q": q})
    assert_response(measured, b, a, tol_db=0.001)


@pytest.mark.parametrize("kind", ["highpass", "lowpass"])
def test_first_order_is_juce_6db_per_octave(kind: str) -> None:
    b, a = signal.butter(1, 500.0, btype="high" if kind == "highpass" else "low", fs=SR)
    measured = measured_response(kind, {"cutoff_frequency_hz": 500.0, "order": 1})
    assert_response(measured, b, a, tol_db=0.01)


@pytest.mark.parametrize("kind", ["lowshelf", "highshelf", "peak"])
@pytest.mark.parametrize(
    ("f0", "gain_db", "q"), [(100.0, 6.0, 0.7071), (1000.0, -12.0, 2.0), (8000.0, 9.0, 0.5)]
)
def test_juce_shelves_and_peak_are_the_cookbook(
    kind: str, f0: float, gain_db: float, q: float
) -> None:
    b, a = cookbook(kind, f0, gain_db, q, SR)
    measured = measured_response(kind, {"cutoff_frequency_hz": f0, "gain_db": gain_db, "q": q})
    # JUCE runs in float32 (coefficients and state): a few thousandths of a dB.
    assert_response(measured, b, a, tol_db=0.02)
    expected_at_f0 = gain_db if kind == "peak" else gain_db / 2  # cookbook: shelf midpoint
    k = int(np.argmin(np.abs(FREQS - f0)))
    at_bin = db(signal.freqz(b, a, worN=[FREQS[k]], fs=SR)[1])[0]
    assert db(measured[k : k + 1])[0] == pytest.approx(at_bin, abs=0.02)
    assert db(signal.freqz(b, a, worN=[f0], fs=SR)[1])[0] == pytest.approx(expected_at_f0, abs=1e-9)


def test_eq_is_its_bands_in_series() -> None:
    params: dict[str, ParamValue] = {
        "band1_type": "highpass",
        "band1_frequency_hz": 60.0,
        "band2_gain_db": -5.0,
        "band2_frequency_hz": 300.0,
        "band2_q": 1.5,
        "band3_type": "off",
        "band3_gain_db": 12.0,  # ignored: the band is off
        "band4_gain_db": 4.0,
    }
    measured = measured_response("eq", params)
    bands = [
        cookbook("highpass", 60.0, 0.0, catalog.BUTTERWORTH_Q, SR),
        cookbook("peak", 300.0, -5.0, 1.5, SR),
        cookbook("highshelf", 8000.0, 4.0, catalog.BUTTERWORTH_Q, SR),
    ]
    ref = np.ones(len(FREQS), dtype=np.complex128)
    for b, a in bands:
        ref *= signal.freqz(b, a, worN=FREQS, fs=SR)[1]
    audible = BAND & (db(ref) > -60)
    assert np.max(np.abs(db(measured) - db(ref))[audible]) < 0.02


def test_eq_null_against_the_single_kinds() -> None:
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((2, 20000)) * 0.2).astype(np.float32)
    eq = catalog.create(
        "eq",
        {
            "band1_gain_db": 3.0,
            "band2_gain_db": 0.0,
            "band3_gain_db": -2.0,
            "band4_type": "lowpass",
        },
        SR,
        2,
        4096,
    )
    chain = [
        catalog.create("lowshelf", {"cutoff_frequency_hz": 100.0, "gain_db": 3.0}, SR, 2, 4096),
        catalog.create(
            "peak",
            {"cutoff_frequency_hz": 2500.0, "gain_db": -2.0, "q": catalog.BUTTERWORTH_Q},
            SR,
            2,
            4096,
        ),
        catalog.create("lowpass", {"cutoff_frequency_hz": 8000.0}, SR, 2, 4096),
    ]
    y = x
    for fx in chain:
        y = fx.process(y)
    assert np.max(np.abs(eq.process(x) - y)) < 1e-6  # below −120 dBFS


def test_eq_band_gain_automated_from_zero() -> None:
    """A band at 0 dB is skipped; when its gain moves, it joins with a clean state."""
    rng = np.random.default_rng(6)
    x = (rng.standard_normal((1, 8192)) * 0.2).astype(np.float32)
    eq = catalog.create("eq", {}, SR, 1, 1024)
    peak = catalog.create(
        "peak",
        {"cutoff_frequency_hz": 400.0, "gain_db": 0.0, "q": catalog.BUTTERWORTH_Q},
        SR,
        1,
        1024,
    )
    out_eq, out_peak = [], []
    for i in range(0, 8192, 1024):
        if i == 4096:
            eq.set_param("band2_gain_db", 6.0)
            peak.set_param("gain_db", 6.0)
        out_eq.append(eq.process(x[:, i : i + 1024]))
        out_peak.append(peak.process(x[:, i : i + 1024]))
    diff = np.concatenate(out_eq, 1) - np.concatenate(out_peak, 1)
    assert np.max(np.abs(diff)) < 1e-6
