"""Golden files, one per document type: the exact text producer writes for a model that uses
every type of the model, and the model read back from that text.

A change of the writer (field order, indentation, a new field) shows here as a diff of the
golden file; regenerate deliberately with ``PRODUCER_REGOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
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
    ControlChange,
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
    PitchBend,
    Section,
    Send,
    Song,
    TempoChange,
    TimeSignature,
    Track,
    TrackKind,
    validate_album,
    validate_office,
    validate_song,
)
from producer.model.office import (
    Acceptance,
    Booking,
    BookingStatus,
    Budget,
    BudgetLine,
    Category,
    Contract,
    Contracts,
    Expense,
    Office,
    Participant,
    Person,
    Rate,
    RecoupRule,
    Room,
    Roster,
    ScaleCard,
    ScalePeriod,
    Schedule,
    SessionKind,
    Share,
    Splits,
    SplitSheet,
)
from producer.storage import FORMAT_VERSION
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
        year=2026,
        upc="012345678905",
        currency="EUR",
        timezone="Europe/Berlin",
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
            Lane(
                "take2",
                "Take 2",
                (Clip("c2", MEDIA, 96000, 0, 240000),),
                performer="Ana Díaz",
                instrument="vocals",
                role="Vocalist",
                booking="b1",
            ),
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
        midi_clips=(
            MidiClip(
                "m1",
                0.0,
                8.0,
                (Note(60, 100, 0.0, 1.0), Note(64, 90, 1.0, 0.5)),
                controls=(ControlChange(0.5, 64, 127), ControlChange(3.75, 64, 0)),
                pitch_bends=(PitchBend(2.0, -4096),),
            ),
        ),
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


def golden_office() -> Office:
    """Every type of the office documents, with decimal money, dates and times."""
    people = Roster(
        (
            Person(
                "Ana Díaz",
                ("Vocalist", "ComposerLyricist", "UserDefined:Vocal coach"),
                ("vocals", "piano"),
                email="ana@example.org",
                phone="+49 30 1234567",
                pro="GEMA",
                ipi="00000000297",
                isni="000000012281955X",
                union="AFM",
                rates=(
                    Rate("session", Decimal("425.00")),
                    Rate("session", Decimal("450.00"), date(2027, 2, 1)),
                ),
                note="prefers mornings",
            ),
            Person("Nacht Records", ("UserDefined:Label",), organisation=True),
        )
    )
    start = datetime(2027, 1, 12, 10, 0)
    bookings = Schedule(
        (Room("Studio A", (Rate("hour", Decimal("50.00")),), 48, Decimal("50"), "the big room"),),
        (
            Booking(
                "b1",
                SessionKind.TRACKING,
                "Studio A",
                start,
                start + timedelta(hours=3),
                ("first-song",),
                (Participant("Ana Díaz", "Vocalist", ("vocals",)),),
                BookingStatus.CANCELLED,
                datetime(2027, 1, 11, 9, 30),
                "moved to February",
            ),
        ),
    )
    budget = Budget(
        Decimal("60000.00"),
        (BudgetLine(Category.STUDIO, Decimal("12000.00"), True, "two weeks"),),
        (
            Expense(
                "e1", Category.STUDIO, Decimal("1200.00"), date(2027, 1, 12), "b1", False, "deposit"
            ),
        ),
        (
            ScaleCard(
                "AFM example",
                "AFM",
                "USD",
                (
                    ScalePeriod(
                        date(2025, 2, 3),
                        Decimal("447.24"),
                        Decimal(3),
                        Decimal("111.81"),
                        Decimal(20),
                        Decimal("14.09"),
                        Decimal("6.71"),
                        7,
                    ),
                ),
                "a source",
                "example figures",
            ),
        ),
    )
    contracts = Contracts(
        (
            Contract(
                "Ana deal",
                "Ana Díaz",
                Decimal("0.60"),
                Decimal("0.10"),
                RecoupRule.NET,
                Decimal("10000.00"),
                None,
                ("first-song",),
                date(2026, 12, 1),
                "net of producer",
            ),
        )
    )
    splits = Splits(
        (
            SplitSheet(
                "first-song",
                (Share("Ana Díaz", Decimal("100"), "ComposerLyricist", "GEMA", "00000000297"),),
                (),
                (Share("Nacht Records", Decimal("100"), "OriginalOwner"),),
                (Acceptance("Ana Díaz", datetime(2027, 1, 2, 12, 0, tzinfo=UTC), "ab" * 32),),
            ),
        )
    )
    return Office(people, bookings, budget, contracts, splits)


CASES = [
    ("album.json", golden_album, Album, "album"),
    ("song.json", golden_song, Song, "song"),
    *[
        (
            f"office-{doc}.json",
            lambda doc=doc: getattr(golden_office(), doc),
            type(getattr(Office(), doc)),
            "office",
        )
        for doc in ("people", "bookings", "budget", "contracts", "splits")
    ],
]


def test_golden_models_are_valid() -> None:
    """The golden models are meaningful documents, not just well-typed ones."""
    assert validate_album(golden_album()) == []
    assert validate_song(golden_song()) == []
    assert validate_office(golden_office()) == []


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
