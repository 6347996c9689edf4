"""Automation lanes between units whose straight lines differ.

producer interpolates a gain lane linearly in dB; DAWproject volume points (unit ``linear``) and
REAPER volume envelopes hold amplitudes, interpolated linearly in amplitude. A ramp in one is a
curve in the other, so a lane converted point by point would sound different between the
points. ``convert_lane`` adds points (halving each segment) until the straight line in the
target unit stays within ``tolerance`` of the source's line everywhere it was checked. Points
that come back from a round trip already lie on the source's line: nothing is added twice.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from producer.units import db_to_gain, gain_to_db

MIN_AUTOMATION_DB = -150.0
"""What an amplitude of 0 becomes in a dB lane (far below any audible level)."""

GAIN_TOLERANCE = 1e-5
"""Relative amplitude error allowed between the two lines (≈ 0.0001 dB, −100 dB residual)."""


def to_db(gain: float) -> float:
    return max(gain_to_db(gain), MIN_AUTOMATION_DB)


def to_gain(db: float) -> float:
    return 0.0 if db <= MIN_AUTOMATION_DB else db_to_gain(db)


def convert_lane(
    points: list[tuple[float, float]],
    convert: Callable[[float], float],
    close: Callable[[float, float], bool],
    min_step: float,
) -> list[tuple[float, float]]:
    """``points`` (time, value), linear in the source unit, as points linear in the target.

    ``convert`` maps a source value to the target unit; ``close(a, b)`` says whether two target
    values are near enough; a segment shorter than ``min_step`` (time units) is not split.
    """
    out: list[tuple[float, float]] = []

    def split(t0: float, v0: float, t1: float, v1: float, depth: int) -> None:
        tm = (t0 + t1) / 2
        vm = (v0 + v1) / 2
        exact = convert(vm)
        straight = (convert(v0) + convert(v1)) / 2
        if depth < 24 and t1 - t0 >= 2 * min_step and not close(exact, straight):
            split(t0, v0, tm, vm, depth + 1)
            out.append((tm, exact))
            split(tm, vm, t1, v1, depth + 1)

    for i, (t, v) in enumerate(points):
        if i:
            split(*points[i - 1], t, v, 0)
        out.append((t, convert(v)))
    return out


def db_lane_to_gains(
    points: list[tuple[float, float]], min_step: float
) -> list[tuple[float, float]]:
    """A dB lane (linear in dB) as amplitude points (linear in amplitude)."""
    return convert_lane(
        points,
        to_gain,
        lambda a, b: abs(a - b) <= GAIN_TOLERANCE * max(abs(a), abs(b), 1e-8),
        min_step,
    )


def gain_lane_to_db(
    points: list[tuple[float, float]], min_step: float
) -> list[tuple[float, float]]:
    """Amplitude points (linear in amplitude) as a dB lane (linear in dB)."""
    tol_db = 20 * math.log10(1 + GAIN_TOLERANCE)
    return convert_lane(points, to_db, lambda a, b: abs(a - b) <= tol_db, min_step)


def semitones_to_hz(st: float) -> float:
    """MIDI note number → Hz (A4 = note 69 = 440 Hz): Bitwig writes EQ frequencies so."""
    return float(440.0 * 2.0 ** ((st - 69.0) / 12.0))


__all__ = [
    "GAIN_TOLERANCE",
    "MIN_AUTOMATION_DB",
    "convert_lane",
    "db_lane_to_gains",
    "gain_lane_to_db",
    "semitones_to_hz",
    "to_db",
    "to_gain",
]
