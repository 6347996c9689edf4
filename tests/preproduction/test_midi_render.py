"""MIDI import/export of real files, and SoundFont rendering (pitch, timing, timbre)."""

from __future__ import annotations

from pathlib import Path

import mido
import numpy as np
import pretty_midi
import pytest

from producer.errors import FormatError, NotFoundError
from producer.model import Instrument, MidiClip, Note, Song, TempoChange, Track, TrackKind
from producer.model import timing as tm
from producer.preproduction import midi, render

SR = 48000
FILES = [
    "groove/1_funk-groove1_138_beat_4-4.mid",
    "music21/k525short.mid",
    "music21/test01.mid",
    "music21/test05.mid",
    "music21/test12.mid",
    "music21/test16.mid",
    "music21/test18.mid",
    "music21/test19.mid",
    "music21/test20.mid",
    "music21/test21.mid",
    "planetblupi/music004.mid",
]


@pytest.mark.parametrize("name", FILES)
def test_import_matches_mido_and_pretty_midi(testdata: Path, name: str) -> None:
    path = testdata / "midi" / name
    data = midi.read_midi(path)
    ref = mido.MidiFile(str(path))
    note_ons = sum(1 for t in ref.tracks for m in t if m.type == "note_on" and m.velocity > 0)
    ours = [n for t in data.tracks for c in t.midi_clips for n in c.notes]
    assert len(ours) == note_ons
    pm = pretty_midi.PrettyMIDI(str(path))
    _times, bpms = pm.get_tempo_changes()
    # pretty_midi's tempo map: the last tempo at tick 0 rules, then every change.
    assert data.tempo_bpm == pytest.approx(bpms[0])
    assert [c.bpm for c in data.tempo_changes] == pytest.approx(list(bpms[1:]))
    assert {(int(i.program), i.is_drum) for i in pm.instruments} == {
        (t.instrument.program, t.instrument.is_drum) for t in data.tracks if t.instrument
    }
    # Onset times through our exact tempo map agree with pretty_midi's own (seconds).
    song = Song(
        "x", "x", sample_rate=SR, tempo_bpm=data.tempo_bpm, tempo_changes=data.tempo_changes
    )
    ours_s = sorted(tm.beat_to_seconds(song, n.start_beat) for n in ours)
    theirs = sorted(float(n.start) for i in pm.instruments for n in i.notes)
    if len(theirs) == len(ours_s):
        assert np.allclose(ours_s, theirs, atol=1e-6)
    for t in data.tracks:
        assert t.name.isprintable() and t.name


def test_names_tempo_map_and_drums(testdata: Path) -> None:
    k525 = midi.read_midi(testdata / "midi" / "music21" / "k525short.mid")
    assert len(k525.tempo_changes) >= 2
    assert {t.instrument.program for t in k525.tracks if t.instrument} == {48}
    utf8 = midi.read_midi(testdata / "midi" / "music21" / "test18.mid")
    assert "音轨1" in [t.name for t in utf8.tracks]
    nul = midi.read_midi(testdata / "midi" / "music21" / "test16.mid")
    assert nul.tracks[0].name == "Piano" and nul.time_signature.numerator == 3
    groove = midi.read_midi(testdata / "midi" / "groove" / "1_funk-groove1_138_beat_4-4.mid")
    assert groove.midi_type == 0 and groove.tracks[0].instrument is not None
    assert groove.tracks[0].instrument.is_drum
    only = midi.read_midi(testdata / "midi" / "music21" / "test12.mid", ("ALTO",))
    assert [t.name for t in only.tracks] == ["ALTO"]
    with pytest.raises(NotFoundError, match="no track 'TUBA'"):
        midi.read_midi(testdata / "midi" / "music21" / "test12.mid", ("TUBA",))


def test_not_midi_is_refused(tmp_path: Path, testdata: Path) -> None:
    wav = next((testdata / "robustness").rglob("*.wav"))
    with pytest.raises(FormatError, match="not a Standard MIDI File"):
        midi.read_midi(wav)
    broken = tmp_path / "broken.mid"
    broken.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk\x00\x00\xff\xff\x90")
    with pytest.raises(FormatError, match=r"broken\.mid"):
        midi.read_midi(broken)
    with pytest.raises(NotFoundError):
        midi.read_midi(tmp_path / "missing.mid")


SQUARE = Instrument(80)  # GM 81 'Lead 1 (square)': a sample with no silent attack


def _part(notes: tuple[Note, ...], inst: Instrument = SQUARE) -> Track:
    return Track(
        "P", kind=TrackKind.MIDI, instrument=inst, midi_clips=(MidiClip("m1", 0.0, 16.0, notes),)
    )


def test_export_round_trip(tmp_path: Path) -> None:
    song = Song(
        "Round",
        "round",
        sample_rate=SR,
        tempo_bpm=100.0,
        key="A minor",
        tempo_changes=(TempoChange(4.0, 140.0),),
    )
    notes = (
        Note(60, 100, 0.0, 1.0),
        Note(64, 90, 1.5, 0.25),
        Note(67, 80, 1.0 / 3.0, 2.0),
        Note(60, 70, 1.0, 0.5),
    )
    path = tmp_path / "p.mid"
    midi.write_midi(song, _part(notes, Instrument(33)), path)
    back = midi.read_midi(path)
    got = sorted(
        (n.pitch, n.velocity, n.start_beat, n.length_beats)
        for n in back.tracks[0].midi_clips[0].notes
    )
    want = sorted(
        (n.pitch, n.velocity, round(n.start_beat * 960) / 960, round(n.length_beats * 960) / 960)
        for n in notes
    )
    assert got == want  # 960 PPQ holds these beats exactly (thirds included)
    assert back.tempo_bpm == pytest.approx(100.0) and back.tempo_changes[0].beat == 4.0
    assert back.key == "A minor" and back.tracks[0].instrument == Instrument(33)


def _fundamental_hz(x: np.ndarray, sr: int) -> float:
    # Autocorrelation peak in the 50–2000 Hz lag range, refined by parabolic interpolation.
    x = x - x.mean()
    ac = np.fft.irfft(np.abs(np.fft.rfft(x, 2 * len(x))) ** 2)[: len(x)]
    lo, hi = sr // 2000, sr // 50
    k = lo + int(np.argmax(ac[lo:hi]))
    a, b, c = ac[k - 1], ac[k], ac[k + 1]
    return sr / (k + 0.5 * (a - c) / (a - 2 * b + c))


@pytest.mark.parametrize("sf_name", ["bundled", "testdata"])
@pytest.mark.parametrize(("pitch", "beat"), [(57, 1.0), (69, 2.5), (76, 3.25)])
def test_rendered_note_pitch_and_onset(
    testdata: Path, sf_name: str, pitch: int, beat: float
) -> None:
    sf = None if sf_name == "bundled" else testdata / "soundfont" / "sf_GMbank.sf2"
    song = Song("r", "r", sample_rate=SR, tempo_bpm=97.0)
    part = _part((Note(40, 100, 0.0, 0.5), Note(pitch, 100, beat, 1.0)))  # a first note, then ours
    audio, start = render.render_track(song, part, sf)
    assert audio.shape[0] == 2 and audio.dtype == np.float32 and start == 0
    on = tm.beat_to_frame(song, beat)
    # Nothing of our note before its frame: the first note is over (released) by then; the
    # onset is where the signal first exceeds a tenth of the note's peak.
    seg = np.abs(audio[0, on - SR // 50 : on + SR // 5])
    onset = on - SR // 50 + int(np.argmax(seg > 0.1 * seg.max()))
    assert abs(onset - on) <= 0.002 * SR
    body = audio[0, on + SR // 10 : on + SR // 10 + 8192]
    f0 = _fundamental_hz(body.astype(np.float64), SR)
    expected = 440.0 * 2 ** ((pitch - 69) / 12)
    assert abs(1200 * np.log2(f0 / expected)) < 30  # within 30 cents


def test_instrument_changes_timbre_not_notes() -> None:
    song = Song("r", "r", sample_rate=SR, tempo_bpm=120.0)
    notes = (Note(60, 100, 0.0, 2.0),)
    a, _ = render.render_track(song, _part(notes, Instrument(0)))
    b, _ = render.render_track(song, _part(notes, Instrument(73)))
    n = min(a.shape[1], b.shape[1], SR)

    def spectrum(x: np.ndarray) -> np.ndarray:
        s = np.abs(np.fft.rfft(x[0, :n] * np.hanning(n)))
        return s / np.linalg.norm(s)

    sa, sb = spectrum(a), spectrum(b)
    assert float(sa @ sb) < 0.9  # different timbre: spectra far from parallel
    # same note: the same fundamental
    assert (
        abs(
            _fundamental_hz(a[0, 4800:13000].astype(np.float64), SR)
            - _fundamental_hz(b[0, 4800:13000].astype(np.float64), SR)
        )
        < 5
    )


def test_soundfont_errors(tmp_path: Path) -> None:
    song = Song("r", "r", sample_rate=SR)
    part = _part((Note(60, 100, 0.0, 1.0),))
    with pytest.raises(NotFoundError, match="no such SoundFont"):
        render.render_track(song, part, tmp_path / "none.sf2")
    fake = tmp_path / "fake.sf2"
    fake.write_bytes(b"not a soundfont at all")
    with pytest.raises(FormatError, match="not a SoundFont"):
        render.render_track(song, part, fake)


def test_drum_part_renders(testdata: Path) -> None:
    song = Song("r", "r", sample_rate=SR)
    part = _part((Note(36, 110, 0.0, 0.5), Note(38, 110, 1.0, 0.5)), Instrument(0, is_drum=True))
    audio, _ = render.render_track(song, part, testdata / "soundfont" / "sf_GMbank.sf2")
    assert np.abs(audio).max() > 0.01
