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
class MidiClip:
    """A region of notes on a MIDI track; ``start_beat`` is on the song's beat grid."""

    id: str
    start_beat: float
    length_beats: float
    notes: tuple[Note, ...] = ()
    name: str = ""
