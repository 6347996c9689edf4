from __future__ import annotations

import math

import pytest

from producer import units


def test_db_gain_round_trip() -> None:
    for db in (-120.0, -6.0, 0.0, 3.5, 24.0):
        assert units.gain_to_db(units.db_to_gain(db)) == pytest.approx(db, abs=1e-9)
    assert units.db_to_gain(-math.inf) == 0.0
    assert units.gain_to_db(0.0) == -math.inf
    assert units.db_to_gain(-6.0206) == pytest.approx(0.5, abs=1e-5)


def test_constant_power_pan_law() -> None:
    left, right = units.constant_power_pan(0.0)
    assert units.gain_to_db(left) == pytest.approx(-3.0103, abs=1e-4)
    assert left == pytest.approx(right)
    assert units.constant_power_pan(-1.0) == pytest.approx((1.0, 0.0))
    assert units.constant_power_pan(1.0) == pytest.approx((0.0, 1.0))
    for p in (-0.7, -0.2, 0.3, 0.9):
        lg, rg = units.constant_power_pan(p)
        assert lg * lg + rg * rg == pytest.approx(1.0)


def test_balance_pan_law() -> None:
    assert units.balance_pan(0.0) == (1.0, 1.0)
    assert units.balance_pan(-0.25) == (1.0, 0.75)
    assert units.balance_pan(0.5) == (0.5, 1.0)
    assert units.balance_pan(1.0) == (0.0, 1.0)
