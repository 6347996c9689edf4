"""Errors speak the user's units, and values outside sane ranges are refused (issue 16).

Every edit's error is one line, exit 2, in seconds / dB / bars as the user typed them, with
no frame counts or list indices; a mistyped value (a fader at +500 dB, the key of "Purple",
a sample rate of 12345 Hz) is refused at the door and nothing changes.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from producer.cli import cli

RATE = 48000


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def ok(*args: str) -> str:
    code, out, err = run(*args)
    assert code == 0, (args, out, err)
    return out


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Song ``s`` (120 BPM, sections verse/chorus) with a 6.8 s clip c1 on Vox, a bus, a send,
    two takes on Gtr."""
    base = tmp_path_factory.mktemp("units")
    r = base / "p"
    ok("new", str(r), "--title", "A", "--artist", "B")
    ok("-C", str(r), "song", "add", "S", "--tempo", "120", "--key", "A minor")
    wav = base / "vox.wav"
    sf.write(wav, 0.1 * np.ones((int(6.8 * RATE), 1)), RATE, subtype="PCM_16")
    ok("-C", str(r), "import", "s", str(wav), "--track", "Vox")
    ok("-C", str(r), "take", "import", "s", "Gtr", str(wav), str(wav))
    ok("-C", str(r), "bus", "add", "s", "Verb")
    ok("-C", str(r), "send", "add", "s", "Vox", "Verb", "--level-db", "-12")
    ok("-C", str(r), "section", "add", "s", "verse", "--at", "0", "--bars", "2")
    return r


def refused(root: Path, *args: str) -> str:
    before = (root / "songs" / "s.json").read_text()
    code, _out, err = run("-C", str(root), *args)
    assert code == 2, (args, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("producer: "), err
    assert "Traceback" not in err
    assert (root / "songs" / "s.json").read_text() == before  # nothing changed
    return lines[0]


def test_split_outside_the_clip_is_said_in_seconds(root: Path) -> None:
    line = refused(root, "clip", "split", "s", "Vox", "c1", "--at", "20")
    assert line == ("producer: clip 'c1': split point 20.00 s is not inside the clip (0.00–6.80 s)")


def test_a_missing_clip_lists_the_clip_ids(root: Path) -> None:
    line = refused(root, "clip", "move", "s", "Vox", "c99", "--to", "1")
    assert "no clip 'c99'" in line and "(clips: c1, " in line


# Every edit that can be refused, refused: the line must carry no frames and no indices.
BAD_EDITS = [
    ["clip", "split", "s", "Vox", "c1", "--at", "0"],
    ["clip", "trim", "s", "Vox", "c1", "--start", "5", "--end", "2"],
    ["clip", "trim", "s", "Vox", "c1", "--end", "9"],
    ["clip", "fade", "s", "Vox", "c1", "--in", "5", "--out", "5"],
    ["clip", "move", "s", "Vox", "c1", "--to", "-1"],
    ["clip", "gain", "s", "Gtr", "c1", "--gain-db", "1"],
    ["clip", "remove", "s", "Vox", "c42"],
    ["take", "select", "s", "Gtr", "7"],
    ["take", "rename", "s", "Gtr", "9", "x"],
    ["take", "remove", "s", "Gtr", "0"],
    ["take", "comp", "s", "Gtr", "--use", "1:0-2,2:3-4"],
    ["take", "comp", "s", "Gtr", "--use", "1:0-0.001"],
    ["section", "add", "s", "chorus", "--at", "1", "--bars", "2"],
    ["section", "move", "s", "verse", "--to", "-3"],
    ["automate", "s", "Vox.gain_db", "--points", "2:0,1:0"],
    ["automate", "s", "Vox.pan", "--points", "0:3"],
    ["fx", "set", "s", "Vox", "3", "gain_db=1"],
    ["record", "s", "--track", "Vox", "--punch-in", "5", "--punch-out", "2"],
    ["record", "s", "--track", "Vox", "--punch-in", "5", "--punch-out", "60"],
    ["mix", "s", "--start", "5", "--end", "2"],
]


@pytest.mark.parametrize("args", BAD_EDITS, ids=[" ".join(a) for a in BAD_EDITS])
def test_edit_errors_show_no_frames_or_indices(root: Path, args: list[str]) -> None:
    line = refused(root, *args)
    assert not re.search(r"\bframes?\b", line), line
    assert not re.search(r"\[\d+\]", line), line


SANE = [
    (["track", "set", "s", "Vox", "--gain-db", "500"], "--gain-db: +500 dB is above +24 dB"),
    (["track", "set", "s", "Vox", "--gain-db", "24.5"], "above +24 dB"),
    (["track", "set", "s", "Vox", "--gain-db", "-300"], "below -144 dB"),
    (["track", "set", "s", "Vox", "--pan", "2"], "--pan: 2 is outside -1 (left) .. +1 (right)"),
    (["track", "add", "s", "Loud", "--gain-db", "90"], "above +24 dB"),
    (["clip", "gain", "s", "Vox", "c1", "--gain-db", "40"], "above +24 dB"),
    (["send", "add", "s", "Vox", "Verb", "--level-db", "30"], "--level-db: +30 dB"),
    (["automate", "s", "Vox.gain_db", "--points", "0:-6,1:60"], "+60 dB is above +24 dB"),
    (["song", "set", "s", "--key", "Purple"], "--key: 'Purple' is not a key"),
    (["song", "set", "s", "--tempo", "0"], "--tempo: 0 BPM is outside 20..999 BPM"),
    (["song", "set", "s", "--tempo", "5000"], "outside 20..999 BPM"),
    (["song", "set", "s", "--time-signature", "4/5"], "4/5 is not a time signature"),
    (["song", "add", "Other", "--key", "Purple"], "'Purple' is not a key"),
    (["song", "add", "Other", "--tempo", "1e9"], "outside 20..999 BPM"),
    (["latency", "measure", "--rate", "12345"], "--rate: 12345 Hz is not a sample rate"),
]


@pytest.mark.parametrize(("args", "words"), SANE, ids=[" ".join(a) for a, _ in SANE])
def test_values_outside_sane_ranges_are_refused(root: Path, args: list[str], words: str) -> None:
    line = refused(root, *args)
    assert words in line, line


def test_sample_rate_of_a_new_project(tmp_path: Path) -> None:
    code, _out, err = run("new", str(tmp_path / "x"), "--title", "A", "--artist", "B",
                          "--sample-rate", "12345")  # fmt: skip
    assert code == 2 and "--sample-rate: 12345 Hz is not a sample rate" in err
    assert not (tmp_path / "x").exists()
    ok("new", str(tmp_path / "y"), "--title", "A", "--artist", "B", "--sample-rate", "44100")


def test_keys_are_written_as_people_write_them(root: Path) -> None:
    out = ok("-C", str(root), "song", "set", "s", "--key", "f# min")
    assert "F# minor" in out
    out = ok("-C", str(root), "song", "set", "s", "--key", "Bb", "--tempo", "96")
    assert out.strip() == "s: 96 BPM 4/4 Bb major"
    ok("-C", str(root), "undo")
    ok("-C", str(root), "undo")
