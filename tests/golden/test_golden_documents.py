"""Golden files, one per document type: the exact text producer writes for a model that uses
every type of the model, and the model read back from that text.

A change of the writer (field order, indentation, a new field) shows here as a diff of the
golden file; regenerate deliberately with ``PRODUCER_REGOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from producer.model import (
    COMP,
    Album,
    AutomationLane,
    AutomationPoint,
    Bus,
    Clip,
    Comp,
    CompSegment,
    EffectSlot,
    Fade,
    FadeShape,
    Instrument,
    Interpolation,
    Lane,
    Marker,
    MediaRef,
    MidiClip,
    Note,
    Person,
    Section,
    Send,
    Song,
    TempoChange,
    TimeSignature,
    Track,
    TrackKind,
    validate_album,
    validate_song,
)
from producer.storage.migrations import FORMAT_VERSION
from producer.storage.project import decode, encode

HERE = Path(__file__).parent

MEDIA = MediaRef(
    path="media/" + "ab" * 32 + ".wav",
    sha256="ab" * 32,
    sample_rate=48000,
    channels=2,
    frames=480000,
    source_sha256="ab" * 32,
    source_name="Vocal take 3.wav",
)


def golden_album() -> Album:
    return Album(
        title="Nächte",
        artist="The Examples",
        sample_rate=48000,
        songs=("first-song",),
        people=(Person("Ana Díaz", ("vocals", "producer"), "ana@example.org"),),
        year=2026,
        upc="012345678905",
    )


def golden_song() -> Song:
    vox = Track(
        name="Vox",
        lanes=(
            Lane(
                "take1",
                "Take 1",
                (
                    Clip(
                        "c1",
                        MEDIA,
                        start_frame=96000,
                        source_start_frame=0,
                        length_frames=240000,
                        gain_db=-1.5,
                        fade_in=Fade(480, FadeShape.EQUAL_POWER),
                        fade_out=Fade(4800, FadeShape.S_CURVE),
                        name="verse",
                    ),
                ),
            ),
            Lane("take2", "Take 2", (Clip("c2", MEDIA, 96000, 0, 240000),)),
        ),
        active=COMP,
        comp=Comp((CompSegment("take1", 96000, 200000), CompSegment("take2", 200000, 336000)), 240),
        gain_db=-3.0,
        pan=-0.25,
        polarity_inverted=True,
        output="vocals",
        sends=(Send("reverb", -12.0, pre_fader=False),),
        inserts=(
            EffectSlot(
                "compressor",
                {"threshold_db": -18.0, "ratio": 4, "mode": "rms", "auto": True},
                sidechain="Keys",
            ),
        ),
        automation=(
            AutomationLane("gain_db", (AutomationPoint(0, -3.0), AutomationPoint(48000, 0.0))),
        ),
    )
    keys = Track(
        name="Keys",
        kind=TrackKind.MIDI,
        instrument=Instrument(program=4, bank=0, soundfont="soundfont/gm.sf2"),
        midi_clips=(MidiClip("m1", 0.0, 8.0, (Note(60, 100, 0.0, 1.0), Note(64, 90, 1.0, 0.5))),),
        mute=True,
        solo=True,
    )
    return Song(
        title="First Song",
        slug="first-song",
        sample_rate=48000,
        tempo_bpm=96.0,
        time_signature=TimeSignature(6, 8),
        key="A minor",
        tuning_hz=442.0,
        tempo_changes=(TempoChange(32.0, 100.0),),
        sections=(Section("Intro", 0, 4), Section("Verse", 4, 8)),
        markers=(Marker("drop", 480000),),
        tracks=(vox, keys),
        buses=(
            Bus("vocals", gain_db=-1.0, inserts=(EffectSlot("eq", {}, bypass=True),)),
            Bus(
                "reverb",
                automation=(
                    AutomationLane(
                        "pan", (AutomationPoint(0, 0.5),), interpolation=Interpolation.STEP
                    ),
                ),
            ),
        ),
        master=Bus("master", gain_db=-0.5, output=""),
        isrc="GBAYE0601498",
        songwriter="Ann Writer",
        gap_before_s=1.5,
        crossfade_s=2.0,
    )


CASES = [
    ("album.json", golden_album, Album, "album"),
    ("song.json", golden_song, Song, "song"),
]


def test_golden_models_are_valid() -> None:
    """The golden models are meaningful documents, not just well-typed ones."""
    assert validate_album(golden_album()) == []
    assert validate_song(golden_song()) == []


@pytest.mark.parametrize(("name", "make", "cls", "kind"), CASES)
def test_writer_matches_golden(name: str, make: object, cls: type, kind: str) -> None:
    assert callable(make)
    text = encode(make())
    golden = HERE / name
    if os.environ.get("PRODUCER_REGOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), (
        f"the writer's output differs from tests/golden/{name}: if the change is meant (a new "
        "model field), regenerate with PRODUCER_REGOLDEN=1 and review the diff"
    )


@pytest.mark.parametrize(("name", "make", "cls", "kind"), CASES)
def test_golden_reads_back(name: str, make: object, cls: type, kind: str) -> None:
    assert callable(make)
    model, version = decode(cls, kind, (HERE / name).read_text(encoding="utf-8"), name)
    assert version == FORMAT_VERSION
    assert model == make()
