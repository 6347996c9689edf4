"""The pure data model of an album and its sessions: frozen dataclasses, stdlib only.

No I/O and no numpy here: a model loads, validates and saves without an engine present.
Edits are functions returning new objects (``producer.model.edit``); ``validate_album``,
``validate_song`` and ``validate_office`` return every problem found. The office (people,
rooms, bookings, budget, contracts, split sheets) is ``producer.model.office``.
"""

from producer.model import edit, timing
from producer.model.album import Album
from producer.model.clip import Clip, Fade, FadeShape, MidiClip, Note
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
from producer.model.office import (
    Acceptance,
    Booking,
    BookingStatus,
    Budget,
    BudgetLine,
    Category,
    Contract,
    Contracts,
    Expense,
    Office,
    Participant,
    Person,
    Rate,
    RecoupRule,
    Room,
    Roster,
    ScaleCard,
    ScalePeriod,
    Schedule,
    SessionKind,
    Share,
    Splits,
    SplitSheet,
)
from producer.model.office_validate import validate_office
from producer.model.song import Marker, Section, Song, TempoChange, TimeSignature
from producer.model.track import COMP, Comp, CompSegment, Instrument, Lane, Track, TrackKind
from producer.model.validate import validate_album, validate_song

__all__ = [
    "COMP",
    "MASTER",
    "Acceptance",
    "Album",
    "AutomationLane",
    "AutomationPoint",
    "Booking",
    "BookingStatus",
    "Budget",
    "BudgetLine",
    "Bus",
    "Category",
    "Clip",
    "Comp",
    "CompSegment",
    "Contract",
    "Contracts",
    "EffectSlot",
    "Expense",
    "Fade",
    "FadeShape",
    "Instrument",
    "Interpolation",
    "Lane",
    "Marker",
    "MediaRef",
    "MidiClip",
    "Note",
    "Office",
    "ParamValue",
    "Participant",
    "Person",
    "Rate",
    "RecoupRule",
    "Room",
    "Roster",
    "ScaleCard",
    "ScalePeriod",
    "Schedule",
    "Section",
    "Send",
    "SessionKind",
    "Share",
    "Song",
    "SplitSheet",
    "Splits",
    "TempoChange",
    "TimeSignature",
    "Track",
    "TrackKind",
    "edit",
    "timing",
    "validate_album",
    "validate_office",
    "validate_song",
]
