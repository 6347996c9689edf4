"""The pure data model of an album and its sessions: frozen dataclasses, stdlib only.

No I/O and no numpy here: a model loads, validates and saves without an engine present.
Edits are functions returning new objects (``producer.model.edit``); ``validate_album`` and
``validate_song`` return every problem found.
"""

from producer.model import edit, ranges, timing
from producer.model.album import Album, Person
from producer.model.clip import Clip, ControlChange, Fade, FadeShape, MidiClip, Note, PitchBend
from producer.model.media import MediaRef
from producer.model.mixer import (
    MASTER,
    AutomationLane,
    AutomationPoint,
    Bus,
    EffectSlot,
    Interpolation,
    ParamValue,
    Send,
)
from producer.model.song import Marker, Section, Song, TempoChange, TimeSignature
from producer.model.track import COMP, Comp, CompSegment, Instrument, Lane, Track, TrackKind
from producer.model.validate import validate_album, validate_song

__all__ = [
    "COMP",
    "MASTER",
    "Album",
    "AutomationLane",
    "AutomationPoint",
    "Bus",
    "Clip",
    "Comp",
    "CompSegment",
    "ControlChange",
    "EffectSlot",
    "Fade",
    "FadeShape",
    "Instrument",
    "Interpolation",
    "Lane",
    "Marker",
    "MediaRef",
    "MidiClip",
    "Note",
    "ParamValue",
    "Person",
    "PitchBend",
    "Section",
    "Send",
    "Song",
    "TempoChange",
    "TimeSignature",
    "Track",
    "TrackKind",
    "edit",
    "ranges",
    "timing",
    "validate_album",
    "validate_song",
]
