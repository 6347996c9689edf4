"""Units and their conversions: decibels, frames and seconds, pan laws. Stdlib only.

Times inside producer are integer frames at the song's sample rate; seconds appear only at the
edges (CLI, reports). Musical time (bars, beats, tempo maps) lives in ``producer.model.timing``.
"""

from __future__ import annotations

import math

#: Gains below this are treated as silence when converted to dB.
MIN_DB = -200.0


def db_to_gain(db: float) -> float:
    """Amplitude gain of a level in dB (20·log10 convention). ``-inf`` gives 0."""
    if db == -math.inf:
        return 0.0
    return float(10.0 ** (db / 20.0))


def gain_to_db(gain: float) -> float:
    """Level in dB of an amplitude gain; 0 gives ``-inf``."""
    gain = abs(gain)
    if gain == 0.0:
        return -math.inf
    return 20.0 * math.log10(gain)


def power_to_db(power: float) -> float:
    """Level in dB of a power (energy) ratio (10·log10 convention); 0 gives ``-inf``."""
    if power <= 0.0:
        return -math.inf
    return 10.0 * math.log10(power)


def seconds_to_frames(seconds: float, sample_rate: int) -> int:
    """Nearest integer frame of a time in seconds."""
    return round(seconds * sample_rate)


def frames_to_seconds(frames: int, sample_rate: int) -> float:
    return frames / sample_rate


def constant_power_pan(pan: float) -> tuple[float, float]:
    """(left, right) gains of a mono source panned with the sin/cos constant-power law.

    left = cos((p+1)·π/4), right = sin((p+1)·π/4): the centre is −3.01 dB on each side,
    hard left (p = −1) is unity on the left only.
    """
    angle = (pan + 1.0) * math.pi / 4.0
    return math.cos(angle), math.sin(angle)


def balance_pan(pan: float) -> tuple[float, float]:
    """(left, right) gains of a stereo source's balance control.

    p < 0 scales the right channel by (1 + p), p > 0 scales the left by (1 − p); unity at the
    centre.
    """
    if pan < 0.0:
        return 1.0, 1.0 + pan
    return 1.0 - pan, 1.0


__all__ = [
    "MIN_DB",
    "balance_pan",
    "constant_power_pan",
    "db_to_gain",
    "frames_to_seconds",
    "gain_to_db",
    "power_to_db",
    "seconds_to_frames",
]
