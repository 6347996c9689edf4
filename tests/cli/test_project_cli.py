"""The project CLI: flows through CliRunner, malformed input → one line and exit 2, and undo
in a new process (a real subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner, Result

from producer.cli import cli


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test here simulates a power cut; fsync only slows them (see tests/storage)."""
    monkeypatch.setattr(os, "fsync", lambda fd: None)


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), *args], catch_exceptions=False)


def ok(root: Path, *args: str) -> str:
    r = run(root, *args)
    assert r.exit_code == 0, r.stderr
    return r.stdout


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    path = tmp_path / "Lead Vocal.wav"
    t = np.arange(48000) / 48000
    sf.write(str(path), 0.25 * np.sin(2 * np.pi * 220 * t), 48000, subtype="PCM_16")
    return path


@pytest.fixture
def root(tmp_path: Path, wav: Path) -> Path:
    ok(tmp_path, "new", "album", "--title", "Album", "--artist", "Me")
    r = tmp_path / "album"
    assert ok(r, "song", "add", "First Song", "--tempo", "96", "--key", "A minor") == "first-song\n"
    out = ok(r, "import", "first-song", str(wav), "--at", "0.5")
    assert "track 'Lead Vocal' clip c1" in out
    return r


def song_doc(root: Path) -> dict[str, object]:
    return json.loads((root / "songs" / "first-song.json").read_text())


def test_full_flow(root: Path, wav: Path) -> None:
    ok(root, "track", "add", "first-song", "Bass", "--gain-db", "-3", "--pan", "-0.5", "--mute")
    ok(root, "track", "set", "first-song", "Lead Vocal", "--solo", "--polarity-invert")
    ok(root, "clip", "move", "first-song", "Lead Vocal", "c1", "--to", "1.0")
    ok(root, "clip", "trim", "first-song", "Lead Vocal", "c1", "--start", "1.25")
    assert ok(root, "clip", "split", "first-song", "Lead Vocal", "c1", "--at", "1.5") == "c2\n"
    ok(root, "clip", "fade", "first-song", "Lead Vocal", "c2", "--in", "0.01", "--shape", "s_curve")
    ok(root, "clip", "gain", "first-song", "Lead Vocal", "c2", "--gain-db", "-2.5")
    ok(root, "clip", "remove", "first-song", "Lead Vocal", "c1")
    doc = song_doc(root)
    tracks = {t["name"]: t for t in doc["tracks"]}  # type: ignore[attr-defined]
    assert tracks["Bass"]["gain_db"] == -3.0 and tracks["Bass"]["mute"] is True
    assert tracks["Lead Vocal"]["solo"] and tracks["Lead Vocal"]["polarity_inverted"]
    (clip,) = tracks["Lead Vocal"]["lanes"][0]["clips"]
    assert clip["id"] == "c2" and clip["start_frame"] == 72000
    assert clip["source_start_frame"] == 24000 and clip["length_frames"] == 24000
    assert clip["fade_in"] == {"length_frames": 480, "shape": "s_curve"}
    assert clip["gain_db"] == -2.5
    assert ok(root, "song", "list").startswith("first-song\tFirst Song\t96 BPM\t4/4")
    shown = ok(root, "show", "first-song")
    assert "Lead Vocal" in shown and "c2" in shown
    assert "Album" in ok(root, "show")
    assert ok(root, "show", "first-song", "--json") == (root / "songs/first-song.json").read_text()
    assert ok(root, "validate") == "ok\n"
    history = ok(root, "history").splitlines()
    assert len(history) == 10 and history[-1].startswith("*")


def test_undo_gain_in_a_new_process(root: Path) -> None:
    """undo after `track set --gain-db -6` restores the value, in a new process; redo re-applies."""

    def producer(*args: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "producer", "-C", str(root), *args],
            capture_output=True,
            text=True,
            check=True,
        )
        return proc.stdout

    def vocal_gain() -> float:
        return next(t["gain_db"] for t in song_doc(root)["tracks"])  # type: ignore[attr-defined]

    ok(root, "track", "set", "first-song", "Lead Vocal", "--gain-db", "-6")
    assert vocal_gain() == -6.0
    # The undo runs in a new process: the history lives on disk, not in memory. (One
    # subprocess only: the full CLI takes seconds to start on a loaded 2-core machine.)
    assert "undid: set first-song/Lead Vocal gain_db=-6.0" in producer("undo")
    assert vocal_gain() == 0.0
    assert "redid" in ok(root, "redo")
    assert vocal_gain() == -6.0


def corrupt(path: Path, fn: Callable[[dict], dict]) -> None:  # type: ignore[type-arg]
    path.write_text(json.dumps(fn(json.loads(path.read_text())), indent=2))


def set_in_track(key: str, value: object) -> Callable[[dict], dict]:  # type: ignore[type-arg]
    def fn(d: dict) -> dict:  # type: ignore[type-arg]
        d["tracks"][0][key] = value
        return d

    return fn


def clip_too_long(d: dict) -> dict:  # type: ignore[type-arg]
    d["tracks"][0]["lanes"][0]["clips"][0]["length_frames"] = 10**6
    return d


def newer(d: dict) -> dict:  # type: ignore[type-arg]
    d["format_version"] = 99
    return d


def break_invalid_json(root: Path) -> None:
    (root / "songs/first-song.json").write_text('{"format_version": 1, "title": ')


def break_missing_media(root: Path) -> None:
    for p in (root / "media").iterdir():
        p.unlink()


HOLDER = (
    "import fcntl, os, sys, time\n"
    "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
    "fcntl.flock(fd, fcntl.LOCK_EX)\n"
    "os.write(fd, str(os.getpid()).encode())\n"
    "print('locked', flush=True)\n"
    "time.sleep(60)\n"
)
HELD: list[subprocess.Popen[str]] = []


def hold_lock(root: Path) -> None:
    """Another process holds the write lock (plain fcntl: starts fast)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(root / ".producer" / "lock")],
        stdout=subprocess.PIPE,
        text=True,
    )
    HELD.append(proc)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"


SONG = "songs/first-song.json"
CASES: list[tuple[str, Callable[[Path], None], list[str], str]] = [
    ("invalid JSON", break_invalid_json, ["show", "first-song"], f"{SONG}: not valid JSON (line 1"),
    (
        "unknown field",
        lambda r: corrupt(r / SONG, set_in_track("colour", "red")),
        ["show", "first-song"],
        f"{SONG}: tracks[0]: unknown field 'colour'",
    ),
    (
        "wrong type",
        lambda r: corrupt(r / SONG, set_in_track("mute", "yes")),
        ["show", "first-song"],
        f"{SONG}: tracks[0].mute: expected true or false",
    ),
    (
        "clip outside its source",
        lambda r: corrupt(r / SONG, clip_too_long),
        ["mix", "first-song"],
        "(clip outside its source)",
    ),
    ("missing media file", break_missing_media, ["mix", "first-song"], "missing media file media/"),
    (
        "pan of 3 in the file",
        lambda r: corrupt(r / SONG, set_in_track("pan", 3)),
        ["mix", "first-song"],
        f"{SONG}: tracks[Lead Vocal].pan: 3.0 is outside -1..+1",
    ),
    (
        "pan of 3 on the command line",
        lambda r: None,
        ["track", "set", "first-song", "Lead Vocal", "--pan", "3"],
        "--pan: 3 is outside -1 (left) .. +1 (right)",
    ),
    (
        "newer format_version",
        lambda r: corrupt(r / "album.json", newer),
        ["show"],
        "album.json: format_version 99 is newer than this producer reads (3); update producer",
    ),
    (
        "sample rate 0",
        lambda r: None,
        ["new", "other", "--title", "T", "--artist", "A", "--sample-rate", "0"],
        "--sample-rate: 0 Hz is not a sample rate audio is made at",
    ),
    (
        "not audio",
        lambda r: None,
        ["import", "first-song", "album.json"],
        "not a readable audio file",
    ),
    (
        "two writers",
        hold_lock,
        ["track", "add", "first-song", "Bass"],
        "is writing this project; try again",
    ),
    ("unknown song", lambda r: None, ["show", "nope"], "no song 'nope' (songs: first-song)"),
    (
        "unknown track",
        lambda r: None,
        ["track", "set", "first-song", "Nope", "--gain-db", "1"],
        "no track 'Nope' (tracks: Lead Vocal)",
    ),
    (
        "clip on another track",
        lambda r: None,
        ["clip", "gain", "first-song", "Lead Vocal", "c9", "--gain-db", "1"],
        "no clip 'c9'",
    ),
    ("not a project", lambda r: None, ["-C", "/", "show"], "not a producer project"),
    ("nothing to redo", lambda r: None, ["redo"], "nothing to redo"),
    (
        "not a number",
        lambda r: None,
        ["track", "set", "first-song", "Lead Vocal", "--pan", "abc"],
        "Invalid value for '--pan': 'abc' is not a valid float. (see ",
    ),
    (
        "missing argument",
        lambda r: None,
        ["clip", "move", "first-song"],
        "Missing argument 'TRACK'",
    ),
    (
        "bad time signature",
        lambda r: None,
        ["song", "add", "X", "--time-signature", "4-4"],
        "time signature '4-4': write it as N/D",
    ),
]


@pytest.mark.parametrize(("what", "damage", "args", "message"), CASES, ids=[c[0] for c in CASES])
def test_malformed_input_one_line_exit_2(
    root: Path, what: str, damage: Callable[[Path], None], args: list[str], message: str
) -> None:
    damage(root)
    try:
        if args[0] == "-C":
            r = CliRunner().invoke(cli, args, catch_exceptions=False)
        elif args[0] == "import":
            r = run(root, *args[:2], str(root / args[2]))
        else:
            r = run(root, *args)
    finally:
        while HELD:
            proc = HELD.pop()
            proc.kill()
            proc.wait()
            if proc.stdout:
                proc.stdout.close()
    assert r.exit_code == 2, (r.stdout, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("producer: "), r.stderr
    assert message in lines[0]
    assert "Traceback" not in r.output


def test_validate_lists_every_problem(root: Path) -> None:
    corrupt(root / SONG, set_in_track("pan", 3))
    corrupt(root / SONG, set_in_track("output", "nowhere"))
    break_missing_media(root)
    r = run(root, "validate")
    assert r.exit_code == 2
    problems = r.stdout.splitlines()
    assert len(problems) == 3
    assert any("pan: 3.0 is outside" in p for p in problems)
    assert any("bus 'nowhere' does not exist" in p for p in problems)
    assert any("missing media file" in p for p in problems)
    assert "(and 2 more problem(s))" in r.stderr


def test_readme_tour(tmp_path: Path, wav: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The project part of README's tour, as written there (default -C: the current folder)."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def producer(*args: str) -> str:
        r = runner.invoke(cli, list(args), catch_exceptions=False)
        assert r.exit_code == 0, r.stderr
        return r.stdout

    producer("new", "my-album", "--title", "First Light", "--artist", "The Examples")
    monkeypatch.chdir(tmp_path / "my-album")
    assert (
        producer("song", "add", "First Song", "--tempo", "96", "--key", "A minor") == "first-song\n"
    )
    producer("import", "first-song", str(wav), "--track", "Vox")
    producer("track", "set", "first-song", "Vox", "--gain-db", "-6", "--pan", "-0.2")
    assert "gain -6.0 dB pan -0.20" in producer("show", "first-song")
    producer("undo")
    assert "gain +0.0 dB pan +0.00" in producer("show", "first-song")


def test_album_set_validates_the_upc_and_is_undoable(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from producer.cli import cli

    runner = CliRunner()
    root = tmp_path / "a"
    assert runner.invoke(cli, ["new", str(root), "--title", "T", "--artist", "A"]).exit_code == 0
    before = (root / "album.json").read_text()
    bad = runner.invoke(cli, ["-C", str(root), "album", "set", "--upc", "4006381333932"])
    assert bad.exit_code == 2
    assert "check digit" in bad.output and bad.output.count("\n") == 1
    assert (root / "album.json").read_text() == before
    ok = runner.invoke(cli, ["-C", str(root), "album", "set", "--upc", "4006381333931"])
    assert ok.exit_code == 0, ok.output
    assert '"upc": "4006381333931"' in (root / "album.json").read_text()
    assert runner.invoke(cli, ["-C", str(root), "undo"]).exit_code == 0
    assert (root / "album.json").read_text() == before


def test_a_snapshot_is_never_overwritten_silently(root: Path) -> None:
    """Issue 16 (the same kind of fault): `snapshot save NAME` replaced an existing snapshot."""
    ok(root, "snapshot", "save", "rough-mix")
    saved = (root / ".producer" / "snapshots" / "rough-mix.json").read_bytes()
    ok(root, "track", "set", "first-song", "Lead Vocal", "--gain-db", "-6")
    r = run(root, "snapshot", "save", "rough-mix")
    assert r.exit_code == 2 and "exists already" in r.stderr and "--replace" in r.stderr
    assert (root / ".producer" / "snapshots" / "rough-mix.json").read_bytes() == saved
    assert "replaced the earlier one" in ok(root, "snapshot", "save", "rough-mix", "--replace")
    assert (root / ".producer" / "snapshots" / "rough-mix.json").read_bytes() != saved
