"""CUE sheets: our reader rejects every bad sheet of the xiph/flac corpus with a line naming
the file, accepts the good ones; our writer's output is read back by an independent parser
(libcue through pylibcue); ISRC and UPC/EAN validators."""

from __future__ import annotations

import os
from pathlib import Path

import pylibcue
import pytest

from producer.errors import FormatError
from producer.mastering.cue import (
    CueIndex,
    CueSheet,
    CueTrack,
    isrc_problem,
    msf,
    parse_cue,
    parse_msf,
    upc_problem,
    write_cue,
)

# The same location as the ``testdata`` fixture (tests/conftest.py), read at collection time to
# parametrize over the corpus files; the fixture still skips the tests where it is absent.
CORPUS = (
    Path(
        os.environ.get(
            "PRODUCER_TESTDATA", Path(__file__).resolve().parents[3] / "shared" / "testdata"
        )
    )
    / "project"
    / "cue"
)
BAD = sorted(p.name for p in (CORPUS / "flac-cuesheets").glob("bad.*.cue")) or ["absent"]
GOOD = sorted(p.name for p in (CORPUS / "flac-cuesheets").glob("good.*.cue")) or ["absent"]


@pytest.mark.parametrize("name", BAD)
def test_bad_cue_sheets_are_rejected(testdata: Path, name: str) -> None:
    path = testdata / "project" / "cue" / "flac-cuesheets" / name
    with pytest.raises(FormatError) as exc:
        parse_cue(path.read_text(encoding="latin-1"), path.name)
    message = str(exc.value)
    assert message.startswith(name) and "\n" not in message


@pytest.mark.parametrize("name", GOOD)
def test_good_cue_sheets_are_accepted(testdata: Path, name: str) -> None:
    path = testdata / "project" / "cue" / "flac-cuesheets" / name
    sheet = parse_cue(path.read_text(encoding="latin-1"), path.name)
    assert sheet.tracks and all(t.start_frames >= 0 for t in sheet.tracks)


def test_corpus_details(testdata: Path) -> None:
    sheet = parse_cue((testdata / "project" / "cue" / "input0.cue").read_text(), "input0.cue")
    assert sheet.catalog == "9294969890929" and sheet.file_type == "FLAC"
    assert [t.start_frames for t in sheet.tracks] == [0, 1]
    good1 = testdata / "project" / "cue" / "flac-cuesheets" / "good.001.cue"
    s1 = parse_cue(good1.read_text(), "good.001.cue")
    assert s1.tracks[2].isrc == "ABCD76543210"  # display hyphens normalised, as libFLAC does
    assert s1.tracks[1].indexes[0] == CueIndex(0, parse_msf("02:09:12"))


def _sheet() -> CueSheet:
    return CueSheet(
        file="album.wav",
        catalog="4006381333931",
        title="First Light",
        performer="The Producers",
        tracks=(
            CueTrack(
                1,
                (CueIndex(0, 0), CueIndex(1, 150)),
                title="Opening",
                performer="The Producers",
                songwriter="Ada Lindqvist",
                isrc="GB-AYE-06-01498",
            ),
            CueTrack(2, (CueIndex(0, 900), CueIndex(1, 1050)), title="Second", isrc="USRC17607839"),
            CueTrack(3, (CueIndex(1, 2000),), title="Gapless"),
        ),
    )


def test_writer_output_is_read_by_libcue() -> None:
    text = write_cue(_sheet())
    cd = pylibcue.Cd.from_str(text)
    assert len(cd) == 3
    assert cd.catalog == "4006381333931"
    assert cd.cdtext.title == "First Light" and cd.cdtext.performer == "The Producers"
    t1, t2, t3 = cd[0], cd[1], cd[2]
    assert t1.filename == "album.wav"
    assert t1.start == (0, 2, 0) and t1.zero_pre == (0, 2, 0)  # 150 frames of pre-gap
    assert t1.isrc == "GBAYE0601498" and t1.cdtext.songwriter == "Ada Lindqvist"
    assert t2.start == (0, 14, 0) and t2.zero_pre == (0, 2, 0) and t2.isrc == "USRC17607839"
    assert t3.start == (0, 26, 50) and t3.cdtext.title == "Gapless"


def test_writer_round_trip() -> None:
    sheet = _sheet()
    back = parse_cue(write_cue(sheet))
    assert [t.indexes for t in back.tracks] == [t.indexes for t in sheet.tracks]
    assert back.tracks[0].isrc == "GBAYE0601498"
    assert back.catalog == sheet.catalog and back.title == sheet.title


@pytest.mark.parametrize(
    ("isrc", "ok"),
    [
        ("GBAYE0601498", True),
        ("GB-AYE-06-01498", True),
        ("usrc17607839", True),
        ("GBAYE060149", False),  # 11 characters
        ("GBAYE06014988", False),  # 13
        ("GBAYE06014X8", False),  # letter in the numeric part
        ("12AYE0601498", False),  # country code must be letters
    ],
)
def test_isrc_validation(isrc: str, ok: bool) -> None:
    assert (isrc_problem(isrc) is None) == ok


@pytest.mark.parametrize(
    ("upc", "ok"),
    [
        ("4006381333931", True),  # EAN-13 with a correct check digit
        ("036000291452", True),  # UPC-A (12 digits)
        ("4006381333932", False),  # wrong check digit
        ("1234567890123", False),  # the flac corpus's catalog: syntax ok, check digit wrong
        ("40063813339", False),
        ("400638133393a", False),
    ],
)
def test_upc_validation(upc: str, ok: bool) -> None:
    assert (upc_problem(upc) is None) == ok


def test_msf_round_trip() -> None:
    for frames in (0, 1, 74, 75, 4499, 4500, 359_999):
        assert parse_msf(msf(frames)) == frames
    assert msf(150) == "00:02:00"
    with pytest.raises(ValueError):
        parse_msf("00:60:00")
    with pytest.raises(ValueError):
        parse_msf("00:00:75")
