"""MIDI performance data (issue 16): controllers and pitch bend are kept on import, rendered by
the synthesizer, written back on export and survive a round trip (on the real MAESTRO piano
performance); section edits carry them; track names in legacy encodings are read or said
unreadable."""

from __future__ import annotations

import collections
from pathlib import Path

import mido
import numpy as np
import pytest

from producer.errors import ValidationError
from producer.model import (
    ControlChange,
    Instrument,
    MidiClip,
    Note,
    PitchBend,
    Section,
    Song,
    Track,
    TrackKind,
)
from producer.model import timing as tm
from producer.preproduction import arrange, midi, render

SR = 48000
MAESTRO = "midi/maestro/MIDI-Unprocessed_SMF_02_R1_2004_01-05_ORIG_MID--AUDIO_02_R1_2004_05_Track05_wav.midi"
SONG = Song("p", "p", sample_rate=SR, tempo_bpm=120.0)  # a beat is 0.5 s


def _ccs(path: Path) -> collections.Counter[tuple[int, int]]:
    """(controller, value) counts of a file's control changes, as mido reads them."""
    return collections.Counter(
        (m.control, m.value)
        for t in mido.MidiFile(str(path)).tracks
        for m in t
        if m.type == "control_change"
    )


def test_maestro_pedals_survive_import_export_round_trip(testdata: Path, tmp_path: Path) -> None:
    path = testdata / MAESTRO
    data = midi.read_midi(path)
    (part,) = data.tracks
    (clip,) = part.midi_clips
    by_cc = collections.Counter(c.controller for c in clip.controls)
    assert by_cc == {64: 12446, 67: 1279}  # 13,725 sustain and soft-pedal events
    assert len(clip.notes) == 7894 and data.messages == ()
    assert clip.controls == tuple(sorted(clip.controls, key=lambda c: c.beat))
    out = tmp_path / "piano.mid"
    midi.write_midi(SONG, part, out)
    assert _ccs(out) == _ccs(path)  # every event, every value, written back
    back = midi.read_midi(out).tracks[0].midi_clips[0]
    # 480 PPQ in, 960 PPQ out: every beat position is exact.
    assert [(c.beat, c.controller, c.value) for c in back.controls] == [
        (c.beat, c.controller, c.value) for c in clip.controls
    ]
    assert sorted((n.pitch, n.start_beat) for n in back.notes) == sorted(
        (n.pitch, n.start_beat) for n in clip.notes
    )


def test_maestro_renders_with_its_pedals(testdata: Path) -> None:
    """Eight seconds of the performance (beats 485-501, 120 BPM) with and without its pedals.
    At beat 497.3 the pianist lets go of every key for 1.4 s with the sustain pedal down: the
    piano rings on there only when the pedal is rendered (TinySoundFont alone ignores CC 64).
    The soft pedal, down through part of them, plays those softer."""
    data = midi.read_midi(testdata / MAESTRO)
    (clip,) = data.tracks[0].midi_clips
    song = Song("m", "m", sample_rate=SR, tempo_bpm=data.tempo_bpm)
    lo, hi = 485.0, 501.0
    notes = tuple(
        Note(n.pitch, n.velocity, n.start_beat - lo, n.length_beats)
        for n in clip.notes
        if lo <= n.start_beat < hi
    )
    state = {c.controller: c.value for c in clip.controls if c.beat < lo}  # as of beat 485
    excerpt = [ControlChange(0.0, k, v) for k, v in sorted(state.items())] + [
        ControlChange(c.beat - lo, c.controller, c.value)
        for c in clip.controls
        if lo <= c.beat < hi
    ]
    gap = (497.4 - lo, 499.9 - lo)  # no key down, sustain pedal down
    assert not any(n.start_beat < gap[1] and n.start_beat + n.length_beats > gap[0] for n in notes)

    def play(controls: list[ControlChange]) -> np.ndarray:
        part = MidiClip("m1", 0.0, hi - lo + 4.0, notes, controls=tuple(controls))
        track = Track("Piano", kind=TrackKind.MIDI, instrument=Instrument(0), midi_clips=(part,))
        audio, start = render.render_track(song, track)
        out = np.zeros((2, start + audio.shape[1]))
        out[:, start:] = audio
        return out

    def energy(x: np.ndarray, b0: float, b1: float) -> float:
        return float(np.sum(x[:, tm.beat_to_frame(song, b0) : tm.beat_to_frame(song, b1)] ** 2))

    dry = play([])
    sustain = play([c for c in excerpt if c.controller == 64])
    both = play(excerpt)
    assert energy(sustain, *gap) > 100 * energy(dry, *gap)
    whole = (0.0, hi - lo)
    soft = sum(1 for c in excerpt if c.controller == 67 and c.value >= 64)
    assert soft and energy(both, *whole) < 0.9 * energy(sustain, *whole)  # softer


def _part(controls: tuple[ControlChange, ...] = (), bends: tuple[PitchBend, ...] = (),
          notes: tuple[Note, ...] = (Note(60, 100, 0.0, 1.0),), program: int = 0) -> Track:  # fmt: skip
    clip = MidiClip("m1", 0.0, 16.0, notes, controls=controls, pitch_bends=bends)
    return Track("P", kind=TrackKind.MIDI, instrument=Instrument(program), midi_clips=(clip,))


def _rms(x: np.ndarray, t0: float, t1: float, ch: int | None = None) -> float:
    seg = (
        x[:, round(t0 * SR) : round(t1 * SR)]
        if ch is None
        else x[ch, round(t0 * SR) : round(t1 * SR)]
    )
    return float(np.sqrt(np.mean(seg.astype(np.float64) ** 2)))


def _db(a: float, b: float) -> float:
    return 20.0 * float(np.log10(a / b))


def test_sustain_holds_released_notes_until_the_pedal_lifts() -> None:
    plain, _ = render.render_track(SONG, _part())
    pedal = (ControlChange(0.5, 64, 127), ControlChange(4.0, 64, 0))  # lifted at 2.0 s
    held, _ = render.render_track(SONG, _part(pedal))
    # The key is up at 0.5 s; under the pedal the note sounds on until 2.0 s, then releases.
    assert _db(_rms(held, 1.0, 1.8), _rms(plain, 1.0, 1.8)) > 15
    assert _rms(held, 2.6, 2.9) < 0.1 * _rms(held, 1.0, 1.8)
    assert held.shape[1] > plain.shape[1]  # the render runs to the pedal's release + tail


def test_sostenuto_holds_only_the_notes_down_when_pressed() -> None:
    c4 = Note(60, 100, 0.0, 1.0)  # down when the pedal is pressed (beat 0.5), up at 0.5 s
    c5 = Note(72, 100, 1.5, 0.5)  # struck after the press, up at 1.0 s
    sost = (ControlChange(0.5, 66, 127), ControlChange(6.0, 66, 0))  # lifted at 3.0 s
    both, _ = render.render_track(SONG, _part(sost, notes=(c4, c5)))
    c4_held, _ = render.render_track(SONG, _part(sost, notes=(c4,)))
    c4_plain, _ = render.render_track(SONG, _part(notes=(c4,)))
    assert _db(_rms(c4_held, 1.4, 2.4), _rms(c4_plain, 1.4, 2.4)) > 10  # C4 rings on
    assert abs(_db(_rms(both, 1.4, 2.4), _rms(c4_held, 1.4, 2.4))) < 1  # C5 is not held
    assert _rms(c4_held, 3.6, 3.9) < 0.1 * _rms(c4_held, 1.4, 2.4)  # released at the lift


def test_soft_pedal_volume_expression_pan_and_bend() -> None:
    lead = 80  # GM 81 'Lead 1 (square)': steady level and pitch
    base, _ = render.render_track(SONG, _part(program=lead))
    soft, _ = render.render_track(SONG, _part((ControlChange(0.0, 67, 127),), program=lead))
    assert _db(_rms(soft, 0.1, 0.4), _rms(base, 0.1, 0.4)) == pytest.approx(
        20 * np.log10(render.SOFT_PEDAL_VELOCITY), abs=0.5
    )
    # TinySoundFont's volume law: gain = (volume · expression)³ of the 14-bit values, which
    # start at full (16383); a CC sets the upper 7 bits and keeps the lower 127.
    for cc in (7, 11):
        low, _ = render.render_track(SONG, _part((ControlChange(0.0, cc, 64),), program=lead))
        expect = 60 * np.log10((64 * 128 + 127) / 16383)
        assert _db(_rms(low, 0.1, 0.4), _rms(base, 0.1, 0.4)) == pytest.approx(expect, abs=0.5)
    assert _db(_rms(base, 0.1, 0.4, ch=1), _rms(base, 0.1, 0.4, ch=0)) == pytest.approx(0, abs=3)
    left, _ = render.render_track(SONG, _part((ControlChange(0.0, 10, 0),), program=lead))
    assert _db(_rms(left, 0.1, 0.4, ch=1), _rms(left, 0.1, 0.4, ch=0)) < -20  # hard left
    up, _ = render.render_track(SONG, _part(bends=(PitchBend(0.0, 8191),), program=lead))
    f_base = _f0(base[0, SR // 10 : SR // 10 + 8192])
    f_up = _f0(up[0, SR // 10 : SR // 10 + 8192])
    assert 1200 * np.log2(f_up / f_base) == pytest.approx(200, abs=10)  # ±2 semitones range
    # RPN 0 (pitch-bend range) set to 12 semitones: the same wheel bends an octave.
    rpn = (ControlChange(0.0, 101, 0), ControlChange(0.0, 100, 0), ControlChange(0.0, 6, 12))
    octave, _ = render.render_track(SONG, _part(rpn, bends=(PitchBend(0.0, 8191),), program=lead))
    f_oct = _f0(octave[0, SR // 10 : SR // 10 + 8192])
    assert 1200 * np.log2(f_oct / f_base) == pytest.approx(1200, abs=15)


def _f0(x: np.ndarray) -> float:
    x = x.astype(np.float64) - x.mean()
    ac = np.fft.irfft(np.abs(np.fft.rfft(x, 2 * len(x))) ** 2)[: len(x)]
    lo, hi = SR // 2000, SR // 50
    k = lo + int(np.argmax(ac[lo:hi]))
    a, b, c = ac[k - 1], ac[k], ac[k + 1]
    return SR / (k + 0.5 * (a - c) / (a - 2 * b + c))


def test_modulation_wheel_is_a_vibrato() -> None:
    lead = 80
    notes = (Note(69, 100, 0.0, 4.0),)
    still, _ = render.render_track(SONG, _part(notes=notes, program=lead))
    vib, _ = render.render_track(
        SONG, _part((ControlChange(0.0, 1, 127),), notes=notes, program=lead)
    )

    def cents_track(x: np.ndarray) -> np.ndarray:
        win = 2048
        starts = range(SR // 5, SR // 5 + SR, SR // 100)  # 1 s, every 10 ms
        f = np.array([_f0(x[0, s : s + win]) for s in starts])
        return 1200 * np.log2(f / np.median(f))

    assert np.std(cents_track(still)) < 3
    spread = cents_track(vib)
    assert 15 < np.std(spread) < 45 and np.ptp(spread) < 130  # ±50 cents at full wheel


def test_section_edits_carry_the_pedal_state() -> None:
    """Moving a section whose notes sit under a pedal pressed before it: the moved piece
    restates the pedal at its start (as automation gets a point at a piece edge)."""
    song = Song(
        "s", "s", sample_rate=SR, tempo_bpm=120.0,
        sections=(Section("a", 0, 1), Section("b", 1, 1)),
    )  # fmt: skip
    clip = MidiClip(
        "m1",
        0.0,
        8.0,
        (Note(60, 100, 0.0, 1.0), Note(64, 100, 4.0, 1.0)),
        controls=(ControlChange(0.5, 64, 127), ControlChange(7.5, 64, 0)),
        pitch_bends=(PitchBend(2.0, 1000),),
    )
    song = Song(
        **{**song.__dict__, "tracks": (Track("P", kind=TrackKind.MIDI, midi_clips=(clip,)),)}
    )
    moved = arrange.move_section(song, "b", 0)
    clips = sorted(moved.tracks[0].midi_clips, key=lambda c: c.start_beat)
    first = clips[0]  # section b, now at bar 0
    assert first.controls[0] == ControlChange(0.0, 64, 127)  # the pedal was down
    assert first.pitch_bends[0] == PitchBend(0.0, 1000)  # and the wheel bent
    assert ControlChange(3.5, 64, 0) in first.controls  # the lift stays where it was in b
    # Rendering the moved song plays the moved note under the pedal.
    audio, _ = render.render_track(moved, moved.tracks[0])
    assert audio.shape[1] > 0


def _file_with_names(path: Path, name: bytes, lyrics: list[bytes]) -> None:
    """A type 1 file whose track name and lyrics are raw bytes in some encoding."""
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name=name.decode("latin-1")))
    for i, word in enumerate(lyrics):
        track.append(mido.MetaMessage("lyrics", text=word.decode("latin-1")))
        track.append(mido.Message("note_on", note=60 + i % 12, velocity=90, time=0))
        track.append(mido.Message("note_off", note=60 + i % 12, velocity=0, time=240))
    mid.tracks.append(track)
    mid.save(str(path))


def test_legacy_encodings_are_read_or_said_unreadable(testdata: Path, tmp_path: Path) -> None:
    gbk = midi.read_midi(testdata / "midi" / "music21" / "test19.mid")
    assert [t.name for t in gbk.tracks] == ["音轨1"]  # GBK, as test18 has it in UTF-8
    words = [
        "빛",
        "날",
        "세",
        "라",
        "영",
        "웅",
        "열",
        "사",
        "만",
        "세",
        "불",
        "망",
        "하",
        "실",
        "이",
        "옛",
        "적",
        "이",
        "나",
        "지",
        "금",
        "이",
        "나",
        "항",
        "상",
        "앙",
        "모",
    ]
    korean = tmp_path / "korean.mid"
    _file_with_names(korean, "피아노".encode("euc-kr"), [w.encode("euc-kr") for w in words])
    assert [t.name for t in midi.read_midi(korean).tracks] == ["피아노"]
    # Four bytes of GBK alone are as valid in Big5 or EUC-KR: said, not guessed.
    short = tmp_path / "short.mid"
    _file_with_names(short, "音轨1".encode("gbk"), [b"la"])
    data = midi.read_midi(short)
    assert [t.name for t in data.tracks] == ["Track 1"]
    assert any("could not be read" in m and "--encoding" in m for m in data.messages)
    assert [t.name for t in midi.read_midi(short, encoding="gbk").tracks] == ["音轨1"]
    with pytest.raises(ValidationError, match="--encoding"):
        midi.read_midi(short, encoding="klingon-8")


def test_export_writes_any_name_as_utf8(tmp_path: Path) -> None:
    part = Track(
        "音轨1 Bass",
        kind=TrackKind.MIDI,
        midi_clips=(MidiClip("m", 0.0, 4.0, (Note(40, 90, 0.0, 1.0),)),),
    )
    song = Song("Chloé's Song", "c", sample_rate=SR)
    out = tmp_path / "n.mid"
    midi.write_midi(song, part, out)  # latin-1 text could not hold it: mido raised before
    assert [t.name for t in midi.read_midi(out).tracks] == ["音轨1 Bass"]


def test_left_out_events_are_said(testdata: Path) -> None:
    k525 = midi.read_midi(testdata / "midi" / "music21" / "k525short.mid")
    (line,) = k525.messages
    assert line.startswith("left out: ") and "controller 91" in line
