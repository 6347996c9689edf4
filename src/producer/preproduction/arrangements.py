"""The demo album's arrangements, written for producer and generated in code.

Three contrasting songs: a ballad, a mid-tempo rock song and an up-tempo electronic track.
Each is a chord progression per section, turned into parts by style: chords, bass, drums on
channel 10 (GM percussion key map) and a melody drawn from the chord tones with a seeded
random walk (the same notes on every run). Mix settings (balances, EQ, compression, reverb
sends) come with each song, as model data the engine renders.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from producer.model import (
    Bus,
    EffectSlot,
    Instrument,
    MidiClip,
    Note,
    Section,
    Send,
    Song,
    TimeSignature,
    Track,
)
from producer.model.track import TrackKind

# GM percussion key map (GM 1, table 5).
KICK, SNARE, CLAP, HAT, OPEN_HAT, CRASH, RIDE, SIDE_STICK = 36, 38, 39, 42, 46, 49, 51, 37

REVERB_BUS = "Reverb"

_QUALITY = {"": (0, 4, 7), "m": (0, 3, 7), "7": (0, 4, 7, 10), "m7": (0, 3, 7, 10), "5": (0, 7, 12)}
_ROOTS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def chord(symbol: str) -> tuple[int, tuple[int, ...]]:
    """('Am7') → (root pitch class 9, intervals (0, 3, 7, 10))."""
    root = _ROOTS[symbol[0]]
    rest = symbol[1:]
    if rest.startswith("b"):
        root, rest = root - 1, rest[1:]
    elif rest.startswith("#"):
        root, rest = root + 1, rest[1:]
    return root % 12, _QUALITY[rest]


@dataclass(frozen=True)
class Form:
    """A section and its chords, one chord per bar (repeated to fill the section)."""

    name: str
    bars: int
    chords: tuple[str, ...]
    energy: int  # 0 quiet .. 2 full


@dataclass(frozen=True)
class Style:
    title: str
    tempo_bpm: float
    key: str
    scale: tuple[int, ...]  # pitch classes of the melody's scale
    form: tuple[Form, ...]
    seed: int


def _n(pitch: int, vel: int, start: float, length: float) -> Note:
    return Note(
        pitch=max(0, min(127, pitch)),
        velocity=max(1, min(127, vel)),
        start_beat=start,
        length_beats=length,
    )


def _bars(style: Style) -> list[tuple[Form, int, str]]:
    """(section, bar number, chord) of every bar."""
    out = []
    bar = 0
    for f in style.form:
        for i in range(f.bars):
            out.append((f, bar, f.chords[i % len(f.chords)]))
            bar += 1
    return out


def _voicing(symbol: str, low: int = 55) -> list[int]:
    root, ivs = chord(symbol)
    base = low + ((root - low) % 12)
    return [base + i for i in ivs]


def _chords_part(style: Style, kind: str) -> list[Note]:
    notes = []
    for f, bar, sym in _bars(style):
        t = bar * 4.0
        v = _voicing(sym)
        vel = 48 + 18 * f.energy
        if kind == "sustain":  # ballad piano / pad: whole-bar chords, arpeggiated in quiet bars
            if f.energy == 0:
                for k, p in enumerate([*v, v[0] + 12]):
                    notes.append(_n(p, vel, t + k, 4.0 - k))
            else:
                notes += [_n(p, vel, t, 4.0) for p in v]
        elif kind == "power":  # rock guitar: eighth-note power chords
            root, _ = chord(sym)
            base = 40 + root % 12
            for k in range(8 if f.energy else 2):
                step = 0.5 if f.energy else 2.0
                notes += [
                    _n(base + i, vel + (10 if k % 2 == 0 else 0), t + k * step, step * 0.9)
                    for i in (0, 7, 12)
                ]
        elif kind == "stabs":  # electronic: off-beat chord stabs
            for k in range(4):
                notes += [_n(p + 12, vel, t + k + 0.5, 0.25) for p in v]
        elif kind == "pad":
            notes += [_n(p, 40 + 12 * f.energy, t, 4.0) for p in v]
        elif kind == "arp" and f.energy:  # sixteenth arpeggio over two octaves
            seq = [*v, v[0] + 12, v[1] + 12, *reversed(v)]
            for k in range(16):
                notes.append(
                    _n(seq[k % len(seq)] + 12, 70 + (15 if k % 4 == 0 else 0), t + k * 0.25, 0.2)
                )
    return notes


def _bass_part(style: Style, kind: str) -> list[Note]:
    notes = []
    for f, bar, sym in _bars(style):
        root, ivs = chord(sym)
        low = 28 + (root - 28) % 12
        t = bar * 4.0
        vel = 70 + 15 * f.energy
        if kind == "ballad":
            notes.append(_n(low, vel, t, 2.0))
            notes.append(_n(low + ivs[2], vel - 10, t + 2, 2.0))
        elif kind == "rock":
            for k in range(8 if f.energy else 1):
                notes.append(_n(low, vel, t + k * 0.5, 0.45 if f.energy else 4.0))
        else:  # electronic: off-beat octave bass
            for k in range(4):
                notes.append(_n(low, vel, t + k, 0.4))
                notes.append(_n(low + 12, vel - 5, t + k + 0.5, 0.4))
    return notes


def _drums_part(style: Style, kind: str) -> list[Note]:
    notes = []
    bars = _bars(style)
    for i, (f, bar, _sym) in enumerate(bars):
        t = bar * 4.0
        first_of_section = i == 0 or bars[i - 1][0] is not f
        if first_of_section and f.energy:
            notes.append(_n(CRASH, 100, t, 1.0))
        if kind == "ballad":
            if f.energy == 0:
                continue
            notes += [
                _n(KICK, 80, t, 0.5),
                _n(KICK, 70, t + 2.5, 0.5),
                _n(SIDE_STICK, 70, t + 1, 0.5),
            ]
            notes.append(_n(SNARE if f.energy == 2 else SIDE_STICK, 80, t + 3, 0.5))
            notes += [_n(RIDE, 55, t + k, 0.5) for k in range(4)]
        elif kind == "rock":
            if f.energy == 0:
                notes += [_n(HAT, 70, t + k, 0.25) for k in range(4)]
                continue
            notes += [_n(KICK, 105, t, 0.5), _n(KICK, 95, t + 2, 0.5), _n(KICK, 85, t + 2.5, 0.5)]
            notes += [_n(SNARE, 110, t + 1, 0.5), _n(SNARE, 110, t + 3, 0.5)]
            notes += [_n(HAT, 80 if k % 2 == 0 else 60, t + k * 0.5, 0.25) for k in range(8)]
        else:
            if f.energy == 0:
                notes += [_n(HAT, 60, t + k + 0.5, 0.25) for k in range(4)]
                continue
            notes += [_n(KICK, 115, t + k, 0.5) for k in range(4)]
            notes += [_n(CLAP, 100, t + 1, 0.5), _n(CLAP, 100, t + 3, 0.5)]
            notes += [_n(OPEN_HAT, 75, t + k + 0.5, 0.25) for k in range(4)]
            if f.energy == 2:
                notes += [_n(HAT, 55, t + k * 0.25, 0.1) for k in range(16) if k % 2]
    return notes


def _melody_part(style: Style, rhythm: tuple[float, ...], low: int) -> list[Note]:
    rng = random.Random(style.seed)
    notes = []
    scale = sorted({(pc % 12) for pc in style.scale})
    pitches = [p for p in range(low, low + 20) if p % 12 in scale]
    idx = len(pitches) // 2
    for f, bar, sym in _bars(style):
        if f.energy == 0:
            continue
        root, ivs = chord(sym)
        tones = {(root + i) % 12 for i in ivs}
        t = bar * 4.0
        pos = 0.0
        for k, dur in enumerate(rhythm):
            idx = max(0, min(len(pitches) - 1, idx + rng.choice((-2, -1, -1, 0, 1, 1, 2))))
            if k == 0 or pos == 2.0:
                # Strong beats land on a chord tone: the nearest one to the walk.
                near = sorted(
                    range(len(pitches)), key=lambda j: (pitches[j] % 12 not in tones, abs(j - idx))
                )
                idx = near[0]
            if rng.random() > 0.15 or k == 0:
                notes.append(
                    _n(
                        pitches[idx],
                        80 + 10 * (f.energy - 1) + rng.randint(-6, 6),
                        t + pos,
                        dur * 0.95,
                    )
                )
            pos += dur
    return notes


def _midi_track(
    name: str,
    notes: list[Note],
    instrument: Instrument,
    length_beats: float,
    gain_db: float,
    pan: float,
    inserts: tuple[EffectSlot, ...] = (),
    reverb_db: float | None = None,
) -> Track:
    sends = (Send(bus=REVERB_BUS, level_db=reverb_db),) if reverb_db is not None else ()
    return Track(
        name=name,
        kind=TrackKind.MIDI,
        instrument=instrument,
        midi_clips=(
            MidiClip(
                id=f"m-{name.lower()}",
                start_beat=0.0,
                length_beats=length_beats,
                notes=tuple(notes),
            ),
        ),
        gain_db=gain_db,
        pan=pan,
        inserts=inserts,
        sends=sends,
    )


def _hp(hz: float) -> EffectSlot:
    return EffectSlot("highpass", {"cutoff_frequency_hz": hz})


def _comp(
    threshold_db: float, ratio: float, attack_ms: float = 10.0, release_ms: float = 120.0
) -> EffectSlot:
    return EffectSlot(
        "compressor",
        {
            "threshold_db": threshold_db,
            "ratio": ratio,
            "attack_ms": attack_ms,
            "release_ms": release_ms,
        },
    )


def _peak(hz: float, gain_db: float, q: float = 1.0) -> EffectSlot:
    return EffectSlot("peak", {"cutoff_frequency_hz": hz, "gain_db": gain_db, "q": q})


def _song(style: Style, tracks: list[Track], reverb_room: float, master_gain_db: float) -> Song:
    """``master_gain_db`` sets the song's level in the album: after album normalisation the
    ballad stays about 2-3 LU below the rock and electronic songs."""
    sections = []
    bar = 0
    for f in style.form:
        sections.append(Section(f.name, bar, f.bars))
        bar += f.bars
    from producer.model.edit import slugify

    return Song(
        title=style.title,
        slug=slugify(style.title),
        tempo_bpm=style.tempo_bpm,
        time_signature=TimeSignature(4, 4),
        key=style.key,
        sections=tuple(sections),
        tracks=tuple(tracks),
        buses=(
            Bus(
                name=REVERB_BUS,
                inserts=(
                    EffectSlot(
                        "reverb", {"room_size": reverb_room, "wet_level": 1.0, "dry_level": 0.0}
                    ),
                ),
            ),
        ),
        master=Bus(
            name="master",
            output="",
            gain_db=master_gain_db,
            inserts=(_comp(-14.0, 2.0, 30.0, 200.0),),
        ),
    )


BALLAD = Style(
    title="Slow Light",
    tempo_bpm=72.0,
    key="C major",
    scale=(0, 2, 4, 5, 7, 9, 11),
    form=(
        Form("intro", 2, ("C", "Am"), 0),
        Form("verse", 4, ("C", "Am", "F", "G"), 1),
        Form("chorus", 4, ("F", "G", "Em", "Am"), 2),
        Form("outro", 2, ("F", "C"), 0),
    ),
    seed=72,
)

ROCK = Style(
    title="Iron Road",
    tempo_bpm=112.0,
    key="E minor",
    scale=(4, 6, 7, 9, 11, 0, 2),
    form=(
        Form("intro", 2, ("E5", "C5"), 0),
        Form("verse", 8, ("E5", "C5", "G5", "D5"), 1),
        Form("chorus", 8, ("C5", "G5", "D5", "E5"), 2),
        Form("outro", 2, ("E5",), 1),
    ),
    seed=112,
)

ELECTRONIC = Style(
    title="Neon Run",
    tempo_bpm=128.0,
    key="A minor",
    scale=(9, 11, 0, 2, 4, 5, 7),
    form=(
        Form("intro", 4, ("Am", "F", "C", "G"), 0),
        Form("build", 4, ("Am", "F", "C", "G"), 1),
        Form("drop", 8, ("Am", "F", "C", "G"), 2),
        Form("outro", 4, ("Am", "F"), 1),
    ),
    seed=128,
)


def _length(style: Style) -> float:
    return 4.0 * sum(f.bars for f in style.form)


def ballad() -> Song:
    s, n = BALLAD, _length(BALLAD)
    return _song(
        s,
        [
            _midi_track(
                "Piano",
                _chords_part(s, "sustain"),
                Instrument(0),
                n,
                -4.0,
                -0.2,
                (_hp(60), _comp(-20, 2.0)),
                -10.0,
            ),
            _midi_track(
                "Strings", _chords_part(s, "pad"), Instrument(48), n, -10.0, 0.3, (_hp(120),), -6.0
            ),
            _midi_track(
                "Bass", _bass_part(s, "ballad"), Instrument(35), n, -4.0, 0.0, (_comp(-18, 3.0),)
            ),
            _midi_track(
                "Drums",
                _drums_part(s, "ballad"),
                Instrument(0, is_drum=True),
                n,
                -8.0,
                0.0,
                (_hp(40),),
                -14.0,
            ),
            _midi_track(
                "Flute",
                _melody_part(s, (1.0, 1.0, 1.5, 0.5), 67),
                Instrument(73),
                n,
                -5.0,
                0.1,
                (_hp(200), _peak(3000, 2.0)),
                -8.0,
            ),
        ],
        reverb_room=0.8,
        master_gain_db=-1.0,
    )


def rock() -> Song:
    s, n = ROCK, _length(ROCK)
    return _song(
        s,
        [
            _midi_track(
                "Guitar",
                _chords_part(s, "power"),
                Instrument(29),
                n,
                -8.0,
                -0.4,
                (_hp(90), _peak(400, -3.0, 1.2)),
                -16.0,
            ),
            _midi_track(
                "Organ", _chords_part(s, "pad"), Instrument(17), n, -14.0, 0.4, (_hp(150),), -12.0
            ),
            _midi_track(
                "Bass",
                _bass_part(s, "rock"),
                Instrument(33),
                n,
                -5.0,
                0.0,
                (_hp(35), _comp(-20, 4.0, 5.0, 80.0)),
            ),
            _midi_track(
                "Drums",
                _drums_part(s, "rock"),
                Instrument(0, is_drum=True),
                n,
                -5.0,
                0.0,
                (_comp(-16, 3.0, 5.0, 100.0),),
                -14.0,
            ),
            _midi_track(
                "Lead",
                _melody_part(s, (0.5, 0.5, 1.0, 0.5, 0.5, 1.0), 64),
                Instrument(30),
                n,
                -9.0,
                0.15,
                (_hp(150), _peak(2500, 2.0)),
                -10.0,
            ),
        ],
        reverb_room=0.5,
        master_gain_db=5.0,
    )


def electronic() -> Song:
    s, n = ELECTRONIC, _length(ELECTRONIC)
    return _song(
        s,
        [
            _midi_track(
                "Pad", _chords_part(s, "pad"), Instrument(89), n, -12.0, 0.0, (_hp(200),), -6.0
            ),
            _midi_track(
                "Stabs",
                _chords_part(s, "stabs"),
                Instrument(81),
                n,
                -14.0,
                -0.3,
                (_hp(250),),
                -10.0,
            ),
            _midi_track(
                "Arp", _chords_part(s, "arp"), Instrument(80), n, -17.0, 0.35, (_hp(300),), -8.0
            ),
            _midi_track(
                "Bass",
                _bass_part(s, "electronic"),
                Instrument(38),
                n,
                -6.0,
                0.0,
                (_comp(-18, 4.0, 3.0, 60.0),),
            ),
            _midi_track(
                "Drums",
                _drums_part(s, "electronic"),
                Instrument(0, is_drum=True),
                n,
                -4.0,
                0.0,
                (_comp(-14, 3.0, 5.0, 80.0),),
                -18.0,
            ),
            _midi_track(
                "Lead",
                _melody_part(s, (0.75, 0.75, 0.5, 1.0, 0.5, 0.5), 69),
                Instrument(81),
                n,
                -11.0,
                0.0,
                (_hp(250), _peak(3500, 2.0)),
                -8.0,
            ),
        ],
        reverb_room=0.6,
        master_gain_db=4.0,
    )


def demo_songs() -> list[Song]:
    """The demo album's three songs, in album order (ballad, rock, electronic)."""
    return [ballad(), rock(), electronic()]


__all__ = [
    "BALLAD",
    "ELECTRONIC",
    "REVERB_BUS",
    "ROCK",
    "ballad",
    "chord",
    "demo_songs",
    "electronic",
    "rock",
]
