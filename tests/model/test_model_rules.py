"""The model: validate() reports every problem; edit functions return new objects."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from producer.errors import NotFoundError, ValidationError
from producer.model import (
    Album,
    Bus,
    Clip,
    MediaRef,
    Send,
    Song,
    Track,
    validate_album,
    validate_song,
)
from producer.model import edit as ed

MEDIA = MediaRef("media/x.wav", "0" * 64, 48000, 2, 1000)


def song_with_clip() -> Song:
    s = ed.add_track(Song(title="S", slug="s"), Track(name="Vox"))
    return ed.add_clip(s, "Vox", Clip("c1", MEDIA, 100, 0, 1000))


def test_every_problem_is_reported() -> None:
    s = song_with_clip()
    s = ed.update_track(s, "Vox", pan=3.0, gain_db=float("inf"), output="nowhere")
    s = ed.update_clip(s, "c1", source_start_frame=500)
    s = dataclasses.replace(s, tempo_bpm=0.0, buses=(Bus("a", output="b"), Bus("b", output="a")))
    problems = validate_song(s)
    expected = [
        "tempo_bpm: 0.0 is outside 1..999",
        "tracks[Vox].gain_db: inf is not a finite number",
        "tracks[Vox].pan: 3.0 is outside -1..+1",
        "tracks[Vox].output: bus 'nowhere' does not exist",
        "(clip outside its source)",
        "buses: routing cycle a -> b -> a",
    ]
    for e in expected:
        assert any(e in p for p in problems), (e, problems)
    assert validate_song(song_with_clip()) == []


def test_album_problems() -> None:
    problems = validate_album(Album(title=" ", artist="A", sample_rate=0, songs=("a", "a")))
    assert problems == [
        "title: is empty",
        "sample_rate: 0 is not a positive whole number of Hz",
        "songs: 'a' is listed twice",
    ]


def test_edits_return_new_objects() -> None:
    s = song_with_clip()
    moved = ed.move_clip(s, "c1", 200)
    assert s.tracks[0].all_clips()[0].start_frame == 100
    assert moved.tracks[0].all_clips()[0].start_frame == 200


def test_split_then_trim_keeps_audio_in_place() -> None:
    s, right = ed.split_clip(song_with_clip(), "c1", 400)
    left_clip = ed.find_clip(s, "c1")[2]
    right_clip = ed.find_clip(s, right)[2]
    assert (left_clip.length_frames, right_clip.start_frame) == (300, 400)
    assert right_clip.source_start_frame == 300 and right_clip.length_frames == 700
    trimmed = ed.find_clip(ed.trim_clip(s, right, start_frame=500), right)[2]
    assert (trimmed.start_frame, trimmed.source_start_frame, trimmed.length_frames) == (
        500,
        400,
        600,
    )
    with pytest.raises(ValidationError, match="outside its source"):
        ed.trim_clip(s, right, end_frame=5000)
    with pytest.raises(ValidationError, match="not inside"):
        ed.split_clip(s, "c1", 400)


def test_names_that_are_not_there() -> None:
    s = song_with_clip()
    with pytest.raises(NotFoundError, match=r"no track 'X' \(tracks: Vox\)"):
        ed.get_track(s, "X")
    with pytest.raises(NotFoundError, match="no clip 'c9'"):
        ed.remove_clip(s, "c9")
    with pytest.raises(NotFoundError, match="no bus 'fx'"):
        ed.add_send(s, "Vox", Send("fx"))


@pytest.mark.parametrize(
    ("title", "slug"),
    [("First Song", "first-song"), ("  Ça va?  ", "ca-va"), ("Track #2 (live)", "track-2-live")],
)
def test_slugify(title: str, slug: str) -> None:
    assert ed.slugify(title) == slug


def test_slugify_refuses_empty() -> None:
    with pytest.raises(ValidationError):
        ed.slugify("!!!")


def test_new_ids_never_recur_while_larger_exist() -> None:
    assert ed.new_id(["c1", "c7", "x3"], "c") == "c8"
    assert ed.new_id([], "take") == "take1"


@settings(max_examples=100, deadline=None)
@given(
    start=st.integers(0, 10**6),
    src=st.integers(0, 500),
    length=st.integers(2, 500),
    cut=st.floats(0.001, 0.999),
    shift=st.integers(-300, 300),
)
def test_split_and_trim_properties(
    start: int, src: int, length: int, cut: float, shift: int
) -> None:
    """Splitting keeps every frame exactly once, in place; trims never reach outside the
    source; the result stays valid."""
    s = ed.add_track(Song(title="S", slug="s"), Track(name="T"))
    s = ed.add_clip(s, "T", Clip("c1", MEDIA, start, src, length))
    at = start + max(1, min(length - 1, round(length * cut)))
    s2, right = ed.split_clip(s, "c1", at)
    a, b = ed.find_clip(s2, "c1")[2], ed.find_clip(s2, right)[2]
    assert a.end_frame == b.start_frame == at
    assert a.length_frames + b.length_frames == length
    assert b.source_start_frame - a.source_start_frame == a.length_frames
    assert validate_song(s2) == []
    try:
        s3 = ed.trim_clip(s2, right, start_frame=b.start_frame + shift)
    except ValidationError:
        ok = b.source_start_frame + shift >= 0 and b.start_frame + shift >= 0
        assert not (ok and shift < b.length_frames)
    else:
        c = ed.find_clip(s3, right)[2]
        assert c.end_frame == b.end_frame  # the right edge and the audio under it stay
        assert c.source_start_frame - c.start_frame == b.source_start_frame - b.start_frame
        assert validate_song(s3) == []
