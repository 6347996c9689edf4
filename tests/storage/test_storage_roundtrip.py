"""Round trip: any model saved and loaded is equal (hypothesis over generated sessions)."""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args, get_origin

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from producer.errors import FormatError
from producer.model import (
    Album,
    Clip,
    Fade,
    FadeShape,
    Lane,
    Marker,
    MediaRef,
    Song,
    TimeSignature,
    Track,
    validate_song,
)
from producer.storage import FORMAT_VERSION, Project
from producer.storage.files import atomic_write_text, read_text
from producer.storage.project import decode, encode

TEXT = st.text(max_size=8)
FLOATS = st.floats(allow_nan=False, allow_infinity=False, width=64)


def strategy_for(tp: Any) -> st.SearchStrategy[Any]:
    """A strategy for any model type, from its type hints: every field generated (not only the
    required ones), so the codec is exercised on all of them."""
    origin = get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        return st.one_of(*(strategy_for(a) for a in get_args(tp)))
    if tp is type(None):
        return st.none()
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = typing.get_type_hints(tp)
        return st.builds(
            tp, **{f.name: strategy_for(hints[f.name]) for f in dataclasses.fields(tp)}
        )
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return st.sampled_from(list(tp))
    if origin is tuple:
        (item, _) = get_args(tp)
        return st.lists(strategy_for(item), max_size=2).map(tuple)
    if origin in (dict, Mapping) or origin is typing.Mapping:
        _, vt = get_args(tp)
        return st.dictionaries(TEXT, strategy_for(vt), max_size=3)
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers(min_value=-(2**53), max_value=2**53)
    if tp is float:
        return FLOATS
    if tp is str:
        return TEXT
    raise AssertionError(f"no strategy for {tp}")


SONGS = strategy_for(Song)
ALBUMS = strategy_for(Album)


def same(a: Song | Album, b: Song | Album) -> bool:
    # The text also tells 3 from 3.0 and True from 1, which == does not.
    return a == b and encode(a) == encode(b)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(song=SONGS)
def test_song_document_round_trip(song: Song) -> None:
    text = encode(song)
    back, _ = decode(Song, "song", text, "songs/x.json")
    assert same(back, song)
    assert encode(back) == text  # stable: saving again changes no byte


@settings(max_examples=40, deadline=None)
@given(album=ALBUMS)
def test_album_document_round_trip(album: Album) -> None:
    back, _ = decode(Album, "album", encode(album), "album.json")
    assert same(back, album)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(song=SONGS)
def test_saved_file_round_trip(tmp_path: Path, song: Song) -> None:
    """Through the disk: the atomic writer and the UTF-8 reader keep every character."""
    path = tmp_path / "songs" / "x.json"
    atomic_write_text(path, encode(song))
    back, _ = decode(Song, "song", read_text(path, "songs/x.json"), "songs/x.json")
    assert same(back, song)


def test_writer_rules() -> None:
    """2-space indent, format_version first, every field written, final newline."""
    text = encode(Song(title="Ä", slug="a"))
    assert text.startswith(f'{{\n  "format_version": {FORMAT_VERSION},\n  "title": "Ä",')
    assert text.endswith("}\n")
    for f in dataclasses.fields(Song):
        assert f'"{f.name}"' in text


def test_non_finite_number_is_refused() -> None:
    with pytest.raises(FormatError, match="non-finite"):
        encode(Song(title="a", slug="a", tempo_bpm=float("nan")))


# ---------------------------------------------------------------- through a real project

MEDIA_FRAMES = 48000


@st.composite
def valid_sessions(draw: st.DrawFn, media: MediaRef) -> Song:
    """Songs that pass validate_song, using every kind of strip setting and clip field."""
    names = draw(
        st.lists(
            st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=6),
            unique=True,
            max_size=4,
        )
    )
    clip_n = 0
    tracks = []
    for name in names:
        clips = []
        for _ in range(draw(st.integers(0, 3))):
            clip_n += 1
            src = draw(st.integers(0, MEDIA_FRAMES - 2))
            length = draw(st.integers(1, MEDIA_FRAMES - src))
            fin = draw(st.integers(0, length // 2))
            fout = draw(st.integers(0, length - fin))
            clips.append(
                Clip(
                    id=f"c{clip_n}",
                    media=media,
                    start_frame=draw(st.integers(0, 10**9)),
                    source_start_frame=src,
                    length_frames=length,
                    gain_db=draw(st.floats(-96, 24)),
                    fade_in=Fade(fin, draw(st.sampled_from(list(FadeShape)))),
                    fade_out=Fade(fout, draw(st.sampled_from(list(FadeShape)))),
                    name=draw(TEXT),
                )
            )
        lanes = (Lane("take1", "Take 1", tuple(clips)),) if clips else ()
        tracks.append(
            Track(
                name=name,
                lanes=lanes,
                active="take1" if clips else "",
                gain_db=draw(st.floats(-144, 24)),
                pan=draw(st.floats(-1, 1)),
                mute=draw(st.booleans()),
                solo=draw(st.booleans()),
                polarity_inverted=draw(st.booleans()),
            )
        )
    return Song(
        title=draw(st.text(min_size=1, max_size=10).filter(str.strip)),
        slug="song",
        sample_rate=48000,
        tempo_bpm=draw(st.floats(1, 999)),
        time_signature=TimeSignature(
            draw(st.integers(1, 15)), draw(st.sampled_from([2, 4, 8, 16]))
        ),
        key=draw(TEXT),
        tracks=tuple(tracks),
        markers=tuple(
            Marker(draw(TEXT), draw(st.integers(0, 10**9))) for _ in range(draw(st.integers(0, 2)))
        ),
    )


def test_project_save_load_round_trip(tmp_path: Path) -> None:
    """Generated sessions saved through a transaction and read by a fresh Project.open are
    equal; undo brings back exactly the previous one."""
    wav = tmp_path / "m.wav"
    sf.write(str(wav), np.zeros((MEDIA_FRAMES, 2), np.float32), 48000)
    project = Project.create(tmp_path / "p", "A", "B")
    media = project.import_media(wav)
    saved: list[Song] = []

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(song=valid_sessions(media))
    def check(song: Song) -> None:
        assert validate_song(song) == []
        with project.transaction("put") as tx:
            tx.put_song(song)
        back = Project.open(project.root).song("song")
        assert same(back, song)
        if saved and saved[-1] != song:
            Project.open(project.root).undo()
            assert same(Project.open(project.root).song("song"), saved[-1])
            Project.open(project.root).redo()
        saved.append(song)

    check()
