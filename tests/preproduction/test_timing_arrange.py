"""bars:beats ↔ frames with tempo changes, and the ripple edits of sections and parts."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from producer.errors import NotFoundError, ValidationError
from producer.model import (
    AutomationLane,
    AutomationPoint,
    Clip,
    Instrument,
    Lane,
    Marker,
    MediaRef,
    MidiClip,
    Note,
    Section,
    Song,
    TempoChange,
    TimeSignature,
    Track,
    TrackKind,
    validate_song,
)
from producer.model import timing as tm
from producer.preproduction import arrange

SR = 48000


def test_bar_beat_frames_with_tempo_changes() -> None:
    # 120 BPM for 8 beats (4 s), then 60 BPM for 4 beats (4 s), then 90 BPM.
    song = Song(
        "t",
        "t",
        sample_rate=SR,
        tempo_bpm=120.0,
        tempo_changes=(TempoChange(8.0, 60.0), TempoChange(12.0, 90.0)),
    )
    assert tm.beat_to_frame(song, 8) == 4 * SR
    assert tm.beat_to_frame(song, 10) == 6 * SR
    assert tm.beat_to_frame(song, 12) == 8 * SR
    assert tm.beat_to_frame(song, 15) == 10 * SR  # 3 beats at 90 BPM = 2 s
    assert tm.bar_to_frame(song, 3) == 8 * SR  # bar 3 (0-based, 4/4) is beat 12
    assert tm.bar_to_frame(song, 3, 2) == 8 * SR + 2 * SR * 2 // 3  # 2 beats at 90 BPM
    for frame in (0, 1, 4 * SR - 1, 4 * SR, 7 * SR + 3, 8 * SR, 123456, 20 * SR):
        beat = tm.frame_to_beat(song, frame)
        assert tm.beat_to_frame(song, beat) == frame  # exact round trip
    bar, beat_in_bar = tm.frame_to_bar_beat(song, 6 * SR)
    assert (bar, beat_in_bar) == (2, Fraction(2))
    assert tm.tempo_at(song, 9.0) == 60.0
    # 6/8: a bar is 3 quarter notes
    six8 = replace(song, time_signature=TimeSignature(6, 8), tempo_changes=())
    assert tm.bar_to_frame(six8, 2) == tm.beat_to_frame(six8, 6)


def test_long_song_has_no_drift() -> None:
    song = Song("t", "t", sample_rate=44100, tempo_bpm=97.0)
    # 10 000 bars: exact rational arithmetic keeps every bar on its nearest frame.
    bar = 10_000
    exact = Fraction(bar * 4 * 60 * 44100, 97)
    assert tm.bar_to_frame(song, bar) == int(exact + Fraction(1, 2))


def _ref(frames: int = 10 * SR) -> MediaRef:
    return MediaRef("media/x.wav", "0" * 64, SR, 1, frames)


def _song() -> Song:
    """120 BPM 4/4: one bar = 2 s = 96000 frames. Sections A 0-2, B 2-4, C 4-6."""
    bar = 2 * SR
    clips = (
        Clip(
            "c1", _ref(), start_frame=bar // 2, source_start_frame=0, length_frames=bar // 2
        ),  # in A
        Clip(
            "c2", _ref(), start_frame=2 * bar + 100, source_start_frame=500, length_frames=1000
        ),  # in B
        Clip(
            "c3", _ref(), start_frame=4 * bar + 7, source_start_frame=0, length_frames=bar
        ),  # in C
    )
    audio_track = Track(
        "Gtr",
        lanes=(Lane("take1", clips=clips),),
        active="take1",
        automation=(
            AutomationLane(
                "gain_db",
                (
                    AutomationPoint(10, -3.0),
                    AutomationPoint(2 * bar + 50, -6.0),
                    AutomationPoint(4 * bar + 9, -1.0),
                ),
            ),
        ),
    )
    notes = (Note(60, 100, 1.0, 1.0), Note(62, 90, 9.0, 0.5), Note(64, 80, 17.0, 2.0))
    midi_track = Track(
        "Keys",
        kind=TrackKind.MIDI,
        instrument=Instrument(0),
        midi_clips=(MidiClip("m1", 0.0, 24.0, notes),),
    )
    return Song(
        "S",
        "s",
        sample_rate=SR,
        tempo_bpm=120.0,
        sections=(Section("A", 0, 2), Section("B", 2, 2), Section("C", 4, 2)),
        markers=(Marker("hit", 2 * bar + 5),),
        tracks=(audio_track, midi_track),
    )


def _clip(song: Song, cid: str) -> Clip:
    return next(c for t in song.tracks for c in t.all_clips() if c.id == cid)


def _notes_abs(song: Song) -> list[tuple[int, float]]:
    t = song.track("Keys")
    assert t is not None
    return sorted((n.pitch, c.start_beat + n.start_beat) for c in t.midi_clips for n in c.notes)


def _points(song: Song) -> dict[int, float]:
    t = song.track("Gtr")
    assert t is not None
    return {p.frame: p.value for p in t.automation[0].points}


BAR = 2 * SR


def test_move_section_shifts_everything_exactly() -> None:
    song = _song()
    moved = arrange.move_section(song, "C", 0)  # C A B
    assert [(s.name, s.start_bar) for s in moved.sections] == [("C", 0), ("A", 2), ("B", 4)]
    assert _clip(moved, "c3").start_frame == 7
    assert _clip(moved, "c1").start_frame == BAR // 2 + 2 * BAR
    assert _clip(moved, "c2").start_frame == 4 * BAR + 100
    assert _clip(moved, "c2").source_start_frame == 500
    assert _notes_abs(moved) == [(60, 9.0), (62, 17.0), (64, 1.0)] or sorted(
        _notes_abs(moved)
    ) == sorted([(64, 1.0), (60, 9.0), (62, 17.0)])
    pts = _points(moved)
    assert pts[9] == -1.0 and pts[2 * BAR + 10] == -3.0 and pts[4 * BAR + 50] == -6.0
    assert [m.frame for m in moved.markers] == [4 * BAR + 5]
    assert validate_song(moved) == []
    # and back: moving A.. to the end again restores the original positions
    back = arrange.move_section(moved, "C", 4)
    assert _clip(back, "c3").start_frame == _clip(song, "c3").start_frame
    assert _notes_abs(back) == _notes_abs(song)


def test_duplicate_and_remove_section() -> None:
    song = _song()
    dup = arrange.duplicate_section(song, "B")  # A B B2 C
    assert [(s.name, s.start_bar) for s in dup.sections] == [
        ("A", 0),
        ("B", 2),
        ("B 2", 4),
        ("C", 6),
    ]
    starts = sorted(c.start_frame for t in dup.tracks for c in t.all_clips())
    assert starts == [BAR // 2, 2 * BAR + 100, 4 * BAR + 100, 6 * BAR + 7]
    ids = [c.id for t in dup.tracks for c in t.all_clips()]
    assert len(ids) == len(set(ids))
    assert sorted(p for p, _b in _notes_abs(dup)) == [60, 62, 62, 64]
    assert (62, 17.0) in _notes_abs(dup) and (64, 25.0) in _notes_abs(dup)
    assert _points(dup)[4 * BAR + 50] == -6.0 and _points(dup)[6 * BAR + 9] == -1.0
    assert validate_song(dup) == []

    rem = arrange.remove_section(song, "B")  # A C
    assert [(s.name, s.start_bar) for s in rem.sections] == [("A", 0), ("C", 2)]
    assert [c.id for t in rem.tracks for c in t.all_clips()] == ["c1", "c3"]
    assert _clip(rem, "c3").start_frame == 2 * BAR + 7
    assert _notes_abs(rem) == [(60, 1.0), (64, 9.0)]
    assert _points(rem)[2 * BAR + 9] == -1.0
    assert rem.markers == ()
    assert validate_song(rem) == []


def test_insert_bars_and_clip_cut_at_edges() -> None:
    song = _song()
    # A clip spanning the B/C boundary is cut in two by moving C away.
    long_clip = Clip(
        "c9", _ref(20 * SR), start_frame=3 * BAR, source_start_frame=0, length_frames=2 * BAR
    )
    t = song.tracks[0]
    song = replace(
        song,
        tracks=(
            replace(t, lanes=(replace(t.lanes[0], clips=(*t.lanes[0].clips, long_clip)),)),
            song.tracks[1],
        ),
    )
    moved = arrange.move_section(song, "C", 0)
    parts = sorted(
        (
            c
            for c in moved.tracks[0].all_clips()
            if c.source_start_frame in (0, BAR) and c.media.frames == 20 * SR
        ),
        key=lambda c: c.source_start_frame,
    )
    assert [(c.start_frame, c.source_start_frame, c.length_frames) for c in parts] == [
        (5 * BAR, 0, BAR),
        (0, BAR, BAR),
    ]
    ins = arrange.add_section(_song(), "break", 2, 1, insert=True)
    assert [(s.name, s.start_bar) for s in ins.sections] == [
        ("A", 0),
        ("break", 2),
        ("B", 3),
        ("C", 5),
    ]
    assert _clip(ins, "c2").start_frame == 3 * BAR + 100


def test_transpose_moves_every_note() -> None:
    song = _song()
    up = arrange.transpose(song, "Keys", -12)
    assert [p for p, _ in _notes_abs(up)] == [48, 50, 52]
    only_b = arrange.transpose(song, "Keys", 7, section="B")
    assert _notes_abs(only_b) == [(60, 1.0), (64, 17.0), (69, 9.0)]
    with pytest.raises(ValidationError, match="outside MIDI"):
        arrange.transpose(song, "Keys", 100)


def test_tempo_change_keeps_midi_beats_and_audio_frames() -> None:
    song = _song()
    slow = arrange.set_tempo(song, 60.0)
    assert _notes_abs(slow) == _notes_abs(song)
    assert _clip(slow, "c3").start_frame == _clip(song, "c3").start_frame
    moved = arrange.set_tempo(song, 60.0, move_audio=True)
    assert _clip(moved, "c3").start_frame == 2 * (4 * BAR + 7)


@pytest.mark.parametrize(
    ("op", "error"),
    [
        (lambda s: arrange.move_section(s, "nope", 0), NotFoundError),
        (lambda s: arrange.remove_section(s, "nope"), NotFoundError),
        (lambda s: arrange.add_section(s, "X", 1, 2), ValidationError),  # overlaps A and B
        (lambda s: arrange.add_section(s, "A", 8, 2), ValidationError),  # name taken
        (
            lambda s: arrange.move_section(s, "A", 3),
            ValidationError,
        ),  # bar 3 is inside a section... of the result
        (lambda s: arrange.duplicate_section(s, "A", 1), ValidationError),  # inside A
        (lambda s: arrange.rename_section(s, "A", "B"), ValidationError),
        (lambda s: arrange.transpose(s, "Gtr", 2), ValidationError),  # audio track
    ],
)
def test_bad_arrangement_edits_are_refused(op, error) -> None:  # type: ignore[no-untyped-def]
    song = _song()
    with pytest.raises(error):
        op(song)


def test_package_contract() -> None:
    import producer.preproduction as pp

    assert len(pp.__all__) == len(set(pp.__all__))
    for name in pp.__all__:
        assert hasattr(pp, name), name


@given(
    tempo=st.floats(20, 300),
    changes=st.lists(st.tuples(st.integers(1, 400), st.floats(20, 300)), max_size=5),
    frame=st.integers(0, 48000 * 600),
)
@settings(max_examples=200, deadline=None)
def test_frame_beat_round_trip_any_tempo_map(
    tempo: float, changes: list[tuple[int, float]], frame: int
) -> None:
    song = Song(
        "t",
        "t",
        sample_rate=SR,
        tempo_bpm=tempo,
        tempo_changes=tuple(TempoChange(b / 4, bpm) for b, bpm in changes),
    )
    beat = tm.frame_to_beat(song, frame)
    assert tm.beat_to_frame(song, beat) == frame
    # monotonic: a later beat is never an earlier frame
    assert tm.beat_to_frame(song, beat + Fraction(1, 64)) >= frame
