"""General MIDI instruments by name (the GM 1 sound set, as pretty_midi lists it)."""

from __future__ import annotations

import pretty_midi

from producer.errors import NotFoundError, ValidationError
from producer.model import Instrument

GM_NAMES: tuple[str, ...] = tuple(pretty_midi.constants.INSTRUMENT_MAP)
"""The 128 GM program names; index = program number (0-based, as in the MIDI message)."""

DRUM_NAMES = ("drums", "drum kit", "standard kit", "percussion")


def program_name(instrument: Instrument) -> str:
    """A person's name for an instrument: ``"Drum kit"`` or the GM program's name."""
    if instrument.is_drum:
        return "Drum kit"
    return (
        GM_NAMES[instrument.program] if 0 <= instrument.program < 128 else str(instrument.program)
    )


def parse_instrument(text: str, soundfont: str = "") -> Instrument:
    """An instrument from a program number 0..127, a GM name (case-insensitive; a unique part
    of one will do, e.g. ``"nylon"``), or ``drums``."""
    value = text.strip()
    if value.isdigit():
        program = int(value)
        if not 0 <= program <= 127:
            raise ValidationError(f"program {program}: outside 0..127 (GM programs count from 0)")
        return Instrument(program=program, soundfont=soundfont)
    low = value.lower()
    if low in DRUM_NAMES:
        return Instrument(program=0, is_drum=True, soundfont=soundfont)
    names = [n.lower() for n in GM_NAMES]
    if low in names:
        return Instrument(program=names.index(low), soundfont=soundfont)
    hits = [i for i, n in enumerate(names) if low and low in n]
    if len(hits) == 1:
        return Instrument(program=hits[0], soundfont=soundfont)
    if hits:
        some = ", ".join(GM_NAMES[i] for i in hits[:6])
        raise ValidationError(f"instrument {text!r}: ambiguous, it could be {some}")
    raise NotFoundError(f"instrument {text!r}: not a GM program name or number 0..127 (or 'drums')")


__all__ = ["DRUM_NAMES", "GM_NAMES", "parse_instrument", "program_name"]
