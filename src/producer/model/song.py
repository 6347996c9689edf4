"""A song: its musical structure and its multitrack session."""

from __future__ import annotations

from dataclasses import dataclass, field

from producer.model.mixer import MASTER, Bus
from producer.model.track import Track


@dataclass(frozen=True)
class TimeSignature:
    numerator: int = 4
    denominator: int = 4

    def __str__(self) -> str:
        return f"{self.numerator}/{self.denominator}"

    @property
    def beats_per_bar(self) -> float:
        """Quarter notes in one bar (6/8 → 3.0)."""
        return self.numerator * 4.0 / self.denominator


@dataclass(frozen=True)
class TempoChange:
    """From ``beat`` (quarter notes from the song start) on, the tempo is ``bpm``."""

    beat: float
    bpm: float


@dataclass(frozen=True)
class Section:
    """A named part of the song's form: ``length_bars`` bars from bar ``start_bar`` (0-based)."""

    name: str
    start_bar: int
    length_bars: int

    @property
    def end_bar(self) -> int:
        return self.start_bar + self.length_bars


@dataclass(frozen=True)
class Marker:
    name: str
    frame: int


@dataclass(frozen=True)
class Song:
    """One song of the album, as saved in ``songs/<slug>.json``.

    Times are integer frames at ``sample_rate``; musical positions are quarter-note beats
    (``tempo_bpm`` counts quarter notes per minute, as MIDI does), converted by
    ``producer.model.timing``.
    """

    title: str
    slug: str
    sample_rate: int = 48000
    tempo_bpm: float = 120.0
    time_signature: TimeSignature = field(default_factory=TimeSignature)
    key: str = ""
    tuning_hz: float = 440.0
    tempo_changes: tuple[TempoChange, ...] = ()
    sections: tuple[Section, ...] = ()
    markers: tuple[Marker, ...] = ()
    tracks: tuple[Track, ...] = ()
    buses: tuple[Bus, ...] = ()
    master: Bus = field(default_factory=lambda: Bus(name=MASTER, output=""))
    isrc: str = ""
    """ISRC (ISO 3901) of the song's recording, stored as its 12 characters without the
    display hyphens (``GBAYE0601498`` for GB-AYE-06-01498); "" = none."""
    songwriter: str = ""
    """Songwriter credit of this song (CD-Text SONGWRITER); "" = the album's songwriters."""
    gap_before_s: float | None = None
    """Silence before the song in album mode, in seconds; None = the album default. Before
    the first song of a CD the Red Book's 2 s pre-gap is the minimum."""
    crossfade_s: float = 0.0
    """Seconds this song overlaps the next one in the album's CD image (an equal-gain
    crossfade; the next song's gap is then unused); 0 = no crossfade."""
    approved_render_id: str = ""
    """Render id of the mix the required roles approved in the review studio; "" = none.
    Written by the studio's approval workflow; not part of the render id itself."""

    def track(self, name: str) -> Track | None:
        for t in self.tracks:
            if t.name == name:
                return t
        return None

    def bus(self, name: str) -> Bus | None:
        if name == MASTER:
            return self.master
        for b in self.buses:
            if b.name == name:
                return b
        return None
