"""Tracks: take lanes, comps, the channel strip, MIDI parts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from producer.model.clip import Clip, MidiClip
from producer.model.mixer import MASTER, AutomationLane, EffectSlot, Send


class TrackKind(StrEnum):
    AUDIO = "audio"
    MIDI = "midi"


@dataclass(frozen=True)
class Lane:
    """A take lane: one pass of recording (or an import), never overwritten.

    ``performer`` (a name of the office roster) played it on ``instrument`` in DDEX ``role``
    during booking ``booking`` (an id of ``office/bookings.json``): the credits come from these.
    """

    id: str
    name: str = ""
    clips: tuple[Clip, ...] = ()
    performer: str = ""
    instrument: str = ""
    role: str = ""
    booking: str = ""


@dataclass(frozen=True)
class CompSegment:
    """Timeline frames ``[start_frame, end_frame)`` taken from take lane ``lane``."""

    lane: str
    start_frame: int
    end_frame: int


@dataclass(frozen=True)
class Comp:
    """A performance assembled from ranges of takes, crossfaded at the seams."""

    segments: tuple[CompSegment, ...] = ()
    crossfade_frames: int = 0


COMP = "comp"
"""Value of ``Track.active`` when the comp is what plays."""


@dataclass(frozen=True)
class Instrument:
    """What a MIDI part plays: a General MIDI program or drum kit, or a SoundFont preset."""

    program: int = 0
    bank: int = 0
    is_drum: bool = False
    soundfont: str = ""


@dataclass(frozen=True)
class Track:
    """A track and its channel strip.

    The strip runs: active lane (or comp) → polarity → inserts → fader (gain_db) → pan →
    mute/solo → ``output`` bus; sends tap before or after the fader. ``pan`` is in −1..+1.
    A MIDI track's notes are in ``midi_clips``; their rendered audio is a take lane.
    """

    name: str
    kind: TrackKind = TrackKind.AUDIO
    lanes: tuple[Lane, ...] = ()
    active: str = ""
    comp: Comp | None = None
    gain_db: float = 0.0
    pan: float = 0.0
    mute: bool = False
    solo: bool = False
    polarity_inverted: bool = False
    output: str = MASTER
    sends: tuple[Send, ...] = ()
    inserts: tuple[EffectSlot, ...] = ()
    automation: tuple[AutomationLane, ...] = ()
    instrument: Instrument | None = None
    midi_clips: tuple[MidiClip, ...] = ()

    def active_lane(self) -> Lane | None:
        """The lane that plays, or None when nothing (or the comp) plays."""
        for lane in self.lanes:
            if lane.id == self.active:
                return lane
        return None

    def all_clips(self) -> tuple[Clip, ...]:
        return tuple(c for lane in self.lanes for c in lane.clips)
