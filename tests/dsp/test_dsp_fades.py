"""Fade curves: the documented formulas, endpoints, and the crossfade sums they promise."""

from __future__ import annotations

import numpy as np
import pytest

from producer.dsp.fades import fade_in_curve, fade_out_curve
from producer.model import FadeShape

SHAPES = [s.value for s in FadeShape]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("n", [2, 3, 100, 48000])
def test_endpoints_monotonic_dtype(shape: str, n: int) -> None:
    g = fade_in_curve(shape, n)
    assert g.dtype == np.float32 and g.shape == (n,)
    assert g[0] == 0.0 and g[-1] == 1.0
    assert np.all(np.diff(g) >= 0)
    out = fade_out_curve(shape, n)
    assert out[0] == 1.0 and out[-1] == 0.0
    assert np.array_equal(out, g[::-1])


@pytest.mark.parametrize(
    ("shape", "formula"),
    [
        ("linear", lambda t: t),
        ("equal_power", lambda t: np.sin(np.pi / 2 * t)),
        ("s_curve", lambda t: (1 - np.cos(np.pi * t)) / 2),
        ("exponential", lambda t: (1000.0**t - 1) / 999),
    ],
)
def test_formulas(shape: str, formula: object) -> None:
    n = 1001
    t = np.arange(n) / (n - 1)
    np.testing.assert_allclose(fade_in_curve(shape, n), formula(t), atol=1e-7)  # type: ignore[operator]


def test_known_values_at_the_middle() -> None:
    mid = {s: float(fade_in_curve(s, 3)[1]) for s in SHAPES}
    assert mid["linear"] == 0.5
    assert mid["s_curve"] == pytest.approx(0.5, abs=1e-7)
    assert 20 * np.log10(mid["equal_power"]) == pytest.approx(-3.0103, abs=1e-4)
    assert mid["exponential"] == pytest.approx((np.sqrt(1000) - 1) / 999, rel=1e-6)
    # The exponential fade is a 60 dB ramp linear in dB: 30 dB down at the middle (±0.3 dB).
    assert 20 * np.log10(mid["exponential"]) == pytest.approx(-30.0, abs=0.3)


@pytest.mark.parametrize("n", [1, 2, 7, 4800])
def test_crossfade_sums(n: int) -> None:
    """Out + in = 1 for linear and S-curve; out² + in² = 1 for equal power."""
    for shape in ("linear", "s_curve"):
        total = fade_out_curve(shape, n).astype(np.float64) + fade_in_curve(shape, n)
        np.testing.assert_allclose(total, 1.0, atol=1e-6)
    power = (
        fade_out_curve("equal_power", n).astype(np.float64) ** 2
        + fade_in_curve("equal_power", n).astype(np.float64) ** 2
    )
    np.testing.assert_allclose(power, 1.0, atol=1e-6)


def test_lengths_zero_and_one_and_errors() -> None:
    assert fade_in_curve(FadeShape.LINEAR, 0).shape == (0,)
    assert fade_in_curve("linear", 1).tolist() == [0.5]
    with pytest.raises(ValueError, match="frames"):
        fade_in_curve("linear", -1)
    with pytest.raises(ValueError):
        fade_in_curve("logarithmic", 10)
