"""Clips: audio regions on the timeline, and MIDI regions holding notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from producer.model.media import MediaRef


class FadeShape(StrEnum):
    """Curves of a fade; the engine's ``producer.dsp.fades`` gives their formulas."""

    LINEAR = "linear"
    EQUAL_POWER = "equal_power"
    S_CURVE = "s_curve"
    EXPONENTIAL = "exponential"


@dataclass(frozen=True)
class Fade:
    length_frames: int = 0
    shape: FadeShape = FadeShape.LINEAR


@dataclass(frozen=True)
class Clip:
    """A region of a media file placed on the timeline; all times in frames at the song's rate.

    The clip plays ``media`` frames ``[source_start_frame, source_start_frame + length_frames)``
    at timeline frames ``[start_frame, start_frame + length_frames)``.
    """

    id: str
    media: MediaRef
    start_frame: int
    source_start_frame: int
    length_frames: int
    gain_db: float = 0.0
    fade_in: Fade = field(default_factory=Fade)
    fade_out: Fade = field(default_factory=Fade)
    name: str = ""

    @property
    def end_frame(self) -> int:
        return self.start_frame + self.length_frames


@dataclass(frozen=True)
class Note:
    """A MIDI note; times in beats (quarter notes) from the start of its MIDI clip."""

    pitch: int
    velocity: int
    start_beat: float
    length_beats: float


@dataclass(frozen=True)
class ControlChange:
    """A MIDI controller change (MIDI 1.0 control change: ``controller`` 0..127 set to
    ``value`` 0..127), e.g. the sustain pedal (64); ``beat`` counts from the start of its MIDI
    clip, as a note's ``start_beat`` does."""

    beat: float
    controller: int
    value: int


@dataclass(frozen=True)
class PitchBend:
    """The pitch wheel at ``beat`` (from the start of its MIDI clip): ``value`` −8192..8191,
    0 is the centre (MIDI 1.0's 14-bit value minus 8192)."""

    beat: float
    value: int


@dataclass(frozen=True)
class MidiClip:
    """A region of notes on a MIDI track; ``start_beat`` is on the song's beat grid.

    ``controls`` and ``pitch_bends`` are the performance data that goes with the notes
    (pedals, modulation, volume, pan, expression, the pitch wheel), in time order.
    """

    id: str
    start_beat: float
    length_beats: float
    notes: tuple[Note, ...] = ()
    name: str = ""
    controls: tuple[ControlChange, ...] = ()
    pitch_bends: tuple[PitchBend, ...] = ()
