"""The sane ranges of what people type, checked at the door, in their units.

A value outside these is a typing mistake, not a setting (a fader at +500 dB, the key of
"Purple", a sample rate of 12345 Hz): the command that receives it refuses it with one line
naming the option and the range, and nothing changes. Documents are not held to these (a
project written before keeps opening); validate_song keeps its wider structural checks.
"""

from __future__ import annotations

import math
import re

from producer.errors import ValidationError

GAIN_DB_MAX = 24.0
"""The most gain a fader, clip, send or automation point may add (consoles stop at +10..+12,
DAWs at +6..+24)."""
GAIN_DB_MIN = -144.0
"""Below the floor of 24-bit audio: silence (mute a track instead)."""
TEMPO_BPM = (20.0, 999.0)
"""Tempo range of the DAWs (Ableton Live: 20-999 BPM)."""
PAN = (-1.0, 1.0)
SAMPLE_RATES = (
    8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000, 176400, 192000,
    352800, 384000,
)  # fmt: skip
"""The sample rates audio is made at (telephony to DXD); anything else is a typo."""
TIME_SIGNATURE_NUMERATOR = (1, 32)
TIME_SIGNATURE_DENOMINATORS = (1, 2, 4, 8, 16, 32)

_KEY_RE = re.compile(
    r"\s*([A-Ga-g])\s*([#b♯♭]?)\s*(major|minor|maj|min|m|dur|moll)?\s*", re.IGNORECASE
)


def _number(value: float, what: str) -> float:
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError(f"{what}: {value} is not a finite number")
    return float(value)


def check_gain_db(value: float, what: str) -> float:
    """``value`` if it is a gain people set (−144..+24 dB), else ValidationError."""
    v = _number(value, what)
    if v > GAIN_DB_MAX:
        raise ValidationError(
            f"{what}: {v:+g} dB is above +{GAIN_DB_MAX:g} dB, the most it may add"
        )
    if v < GAIN_DB_MIN:
        raise ValidationError(
            f"{what}: {v:g} dB is below {GAIN_DB_MIN:g} dB (silence: use --mute for that)"
        )
    return v


def check_pan(value: float, what: str) -> float:
    v = _number(value, what)
    if not PAN[0] <= v <= PAN[1]:
        raise ValidationError(f"{what}: {v:g} is outside -1 (left) .. +1 (right)")
    return v


def check_tempo(value: float, what: str) -> float:
    v = _number(value, what)
    if not TEMPO_BPM[0] <= v <= TEMPO_BPM[1]:
        raise ValidationError(
            f"{what}: {v:g} BPM is outside {TEMPO_BPM[0]:g}..{TEMPO_BPM[1]:g} BPM"
        )
    return v


def check_sample_rate(value: int, what: str) -> int:
    if value not in SAMPLE_RATES:
        common = ", ".join(str(r) for r in (44100, 48000, 88200, 96000, 192000))
        raise ValidationError(
            f"{what}: {value} Hz is not a sample rate audio is made at (e.g. {common})"
        )
    return value


def check_time_signature(numerator: int, denominator: int, what: str) -> None:
    lo, hi = TIME_SIGNATURE_NUMERATOR
    if not lo <= numerator <= hi or denominator not in TIME_SIGNATURE_DENOMINATORS:
        raise ValidationError(
            f"{what}: {numerator}/{denominator} is not a time signature (beats {lo}..{hi} "
            f"over {', '.join(str(d) for d in TIME_SIGNATURE_DENOMINATORS)})"
        )


def parse_key(text: str, what: str = "--key") -> str:
    """A key as people write it (``"A minor"``, ``"Am"``, ``"f# min"``, ``"Bb"``, ``"E♭ major"``)
    → the canonical ``"A minor"``, ``"F# minor"``, ``"Bb major"``; "" stays "" (no key)."""
    if not text.strip():
        return ""
    m = _KEY_RE.fullmatch(text)
    if m is None:
        raise ValidationError(
            f'{what}: {text!r} is not a key (a note A-G, # or b, then major or minor: "A minor")'
        )
    tonic = m.group(1).upper()
    accidental = {"♯": "#", "♭": "b", "B": "b"}.get(m.group(2), m.group(2))
    mode = m.group(3) or "major"
    # Chord-symbol style: "m" is minor (Am), "M" major (CM); the words in any case.
    minor = mode == "m" or mode.lower() in ("minor", "min", "moll")
    return f"{tonic}{accidental} {'minor' if minor else 'major'}"


__all__ = [
    "GAIN_DB_MAX",
    "GAIN_DB_MIN",
    "PAN",
    "SAMPLE_RATES",
    "TEMPO_BPM",
    "check_gain_db",
    "check_pan",
    "check_sample_rate",
    "check_tempo",
    "check_time_signature",
    "parse_key",
]
