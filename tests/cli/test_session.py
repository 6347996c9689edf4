"""Issue 16, "a person's first hour": see the whole session, no setting silently inactive, a
broken document does not take the project down, and what `mix` refuses is refused at the door.

Each test reproduces what the issue saw (through the CLI, as a person types it) and checks the
fix with numbers: null tests of renders, documents byte for byte.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile as sf
from click.testing import CliRunner, Result

from producer.cli import cli
from producer.model import Marker, TempoChange
from producer.storage import Project

RATE = 48000
F = npt.NDArray[np.float64]


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "fsync", lambda fd: None)


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), *args])


def ok(root: Path, *args: str) -> str:
    r = run(root, *args)
    assert r.exit_code == 0, r.output + r.stderr
    return r.stdout


def refused(root: Path, *args: str, words: str) -> str:
    r = run(root, *args)
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("producer: "), r.stderr
    assert words in lines[0], lines[0]
    return lines[0]


def noise(channels: int, seconds: float, seed: int, level: float = 0.2) -> F:
    return np.random.default_rng(seed).uniform(-level, level, (channels, int(seconds * RATE)))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """Project ``p``: song ``s`` (Vox mono 1 s, Gtr stereo 1 s) and song ``t`` (empty)."""
    sf.write(tmp_path / "Vox.wav", noise(1, 1.0, 1).T, RATE, subtype="FLOAT")
    sf.write(tmp_path / "Gtr.wav", noise(2, 1.0, 2).T, RATE, subtype="FLOAT")
    ok(tmp_path, "new", "p", "--title", "Album", "--artist", "Me")
    r = tmp_path / "p"
    ok(r, "song", "add", "S", "--tempo", "96", "--key", "A minor")
    ok(r, "song", "add", "T")
    ok(r, "import", "s", str(tmp_path / "Vox.wav"), str(tmp_path / "Gtr.wav"))
    return r


def mix(root: Path, name: str, *args: str) -> F:
    out = root / f"{name}.wav"
    ok(root, "mix", "s", "-o", str(out), "--bit-depth", "32f", "--tail", "0", *args)
    data, _ = sf.read(out, dtype="float64", always_2d=True)
    return np.asarray(data.T)


def null_db(a: F, b: F) -> float:
    """Residual of a − b relative to b, in dB (−inf: identical)."""
    n = min(a.shape[1], b.shape[1])
    err = float(np.sqrt(np.mean((a[:, :n] - b[:, :n]) ** 2)))
    ref = float(np.sqrt(np.mean(b[:, :n] ** 2)))
    return 20 * np.log10(err / ref) if err > 0 else -np.inf


# ---------------------------------------------------------------- see the whole session


def test_show_prints_the_whole_session(root: Path) -> None:
    ok(root, "section", "add", "s", "verse", "--at", "0", "--bars", "4")
    ok(root, "bus", "add", "s", "Verb")
    ok(root, "fx", "add", "s", "Verb", "reverb", "room_size=0.6")
    ok(root, "send", "add", "s", "Vox", "Verb", "--level-db", "-12")
    ok(root, "fx", "add", "s", "Vox", "compressor", "threshold_db=-20", "ratio=3")
    ok(root, "fx", "add", "s", "master", "limiter", "ceiling_db=-1")
    ok(root, "automate", "s", "Vox.gain_db", "--points", "0:-20,0.5:0")
    ok(root, "automate", "s", "Gtr.pan", "--points", "0:-1,1:0.5")
    ok(root, "automate", "s", "Vox.fx.1.threshold_db", "--points", "0:-30,1:-10")
    project = Project.open(root)
    with project.transaction("tempo and marker") as tx:
        song = tx.song("s")
        tx.put_song(
            replace(song, tempo_changes=(TempoChange(8.0, 120.0),), markers=(Marker("drop", RATE),))
        )
    shown = ok(root, "show", "s")
    for words in [
        "96 BPM 4/4  A minor  48000 Hz",
        "then bar 2 (beat 8): 120 BPM",  # tempo changes
        "verse bars 0–3 (0.000 s – 9.000 s)",  # sections in bars and seconds (2 bars at 120)
        "markers: drop 1.000 s",
        "insert 1 compressor: threshold_db ~ -30 .. -10 dB · ratio 3 · attack_ms 10 ms",
        "send → Verb -12.0 dB post-fader",
        "~ gain_db 2 point(s) 0.000–0.500 s, -20 .. 0 dB, linear",
        "gain +0.0 dB (trims its automation → -20 .. 0 dB)",
        "pan ~ -1 .. 0.5",  # an automated pan shows the lane, not a dead value
        "bus Verb gain +0.0 dB pan +0.00 → master",
        "insert 1 reverb: room_size 0.6 · damping 0.5",
        "insert 1 limiter: ceiling_db -1 dB",
    ]:
        assert words in shown, f"{words!r} not in:\n{shown}"
    assert "problems" not in shown
    # The album view holds every song's whole session too.
    album = ok(root, "show")
    assert "Album — Me (48000 Hz)" in album and "insert 1 reverb" in album
    # --json stays the document.
    assert ok(root, "show", "s", "--json") == (root / "songs/s.json").read_text()


def test_show_and_validate_work_with_media_missing(root: Path) -> None:
    gone = json.loads((root / "songs/s.json").read_text())["tracks"][0]["lanes"][0]["clips"][0]
    (root / gone["media"]["path"]).unlink()
    shown = ok(root, "show", "s")  # was: refused, the whole project unreadable
    assert f"MISSING {gone['media']['path']}" in shown
    assert "mix refuses the song until they are fixed" in shown
    r = run(root, "validate")
    assert r.exit_code == 2 and "missing media file" in r.stdout
    ok(root, "track", "set", "s", "Gtr", "--gain-db", "-3")  # other edits still work
    ok(root, "show", "t")
    refused(root, "mix", "s", words="missing media file")


# ---------------------------------------------------------------- no setting silently inactive


def test_fader_trims_gain_automation(root: Path) -> None:
    """Seen: with gain automation, `--gain-db 500` and `-60` made bit-identical mixes."""
    ok(root, "track", "set", "s", "Gtr", "--mute")
    ok(root, "automate", "s", "Vox.gain_db", "--points", "0:-20,0.5:0")
    at_0 = mix(root, "a")
    out = ok(root, "track", "set", "s", "Vox", "--gain-db", "-60")
    assert "trims its gain automation: -80.0 .. -60.0 dB" in out
    at_minus_60 = mix(root, "b")
    ok(root, "track", "set", "s", "Vox", "--gain-db", "6")
    at_plus_6 = mix(root, "c")
    # A null test: each mix is the unity one scaled by its fader, sample for sample.
    assert null_db(at_minus_60, at_0 * 10 ** (-60 / 20)) < -100
    assert null_db(at_plus_6, at_0 * 10 ** (6 / 20)) < -100
    assert null_db(at_plus_6, at_0) > -20  # and they differ
    assert "gain +6.0 dB (trims its automation → -14 .. 6 dB)" in ok(root, "show", "s")


def test_send_level_trims_send_automation(root: Path) -> None:
    ok(root, "track", "set", "s", "Gtr", "--mute")
    ok(root, "bus", "add", "s", "FX")
    ok(root, "track", "set", "s", "Vox", "--mute")  # only the send reaches the bus
    ok(root, "send", "add", "s", "Vox", "FX", "--pre-fader")
    ok(root, "automate", "s", "Vox.sends.FX.level_db", "--points", "0:-30,1:0")
    # A muted strip's sends are silent: unmute it and take its main output away instead.
    ok(root, "track", "set", "s", "Vox", "--unmute", "--gain-db", "-120")
    first = mix(root, "a")
    ok(root, "send", "add", "s", "Vox", "FX", "--pre-fader", "--level-db", "-6")
    second = mix(root, "b")
    assert null_db(second, first * 10 ** (-6 / 20)) < -60


@pytest.mark.parametrize(
    ("lane", "edit", "words"),
    [
        (("Gtr.pan", "0:-1,1:1"), ("track", "set", "s", "Gtr", "--pan", "0.3"), "Gtr.pan is "),
        (
            ("Vox.fx.1.threshold_db", "0:-30,1:-10"),
            ("fx", "set", "s", "Vox", "1", "threshold_db=-12"),
            "Vox.fx.1.threshold_db is automated",
        ),
    ],
)
def test_setting_an_automated_value_is_refused(
    root: Path, lane: tuple[str, str], edit: tuple[str, ...], words: str
) -> None:
    """A fixed pan or effect parameter under a lane would be dead: refused, and says how."""
    ok(root, "fx", "add", "s", "Vox", "compressor")
    ok(root, "automate", "s", lane[0], "--points", lane[1])
    before = (root / "songs/s.json").read_bytes()
    line = refused(root, *edit, words=words)
    assert "--clear" in line
    assert (root / "songs/s.json").read_bytes() == before
    ok(root, "automate", "s", lane[0], "--clear")
    ok(root, *edit)  # without the lane the setting works


def test_automating_says_what_happens_to_the_fixed_value(root: Path) -> None:
    ok(root, "track", "set", "s", "Gtr", "--pan", "0.3")
    out = ok(root, "automate", "s", "Gtr.pan", "--points", "0:-1")
    assert "replaces the fixed pan (+0.30)" in out
    ok(root, "track", "set", "s", "Vox", "--gain-db", "-6")
    out = ok(root, "automate", "s", "Vox.gain_db", "--points", "0:-20,1:0")
    assert "the fader (-6.0 dB) trims it: -26.0 .. -6.0 dB in the mix" in out


def test_version_1_documents_render_as_before(root: Path) -> None:
    """Format 1 ignored a fader under a gain lane; reading one sets that dead value to 0 dB."""
    doc = json.loads((root / "songs/s.json").read_text())
    doc["format_version"] = 1
    vox = doc["tracks"][0]
    vox["gain_db"] = -6.0
    vox["automation"] = [
        {"target": "gain_db", "points": [{"frame": 0, "value": -3.0}], "interpolation": "linear"}
    ]
    (root / "songs/s.json").write_text(json.dumps(doc))
    song = Project.open(root).song("s")
    assert song.tracks[0].gain_db == 0.0  # the lane alone, as format 1 rendered it
    assert song.tracks[1].gain_db == 0.0


# ---------------------------------------------------------------- a broken document


def break_json(path: Path) -> bytes:
    damaged = path.read_bytes()[:40]
    path.write_bytes(damaged)
    return damaged


def test_a_broken_song_does_not_take_the_project_down(root: Path) -> None:
    ok(root, "track", "add", "s", "Bass")
    good = (root / "songs/s.json").read_bytes()
    damaged = break_json(root / "songs/s.json")
    # Seen: every command failed, history and undo included. Now the rest works:
    history = ok(root, "history")
    assert "songs/s.json: not valid JSON" in history and "producer undo" in history
    ok(root, "show", "t")
    ok(root, "track", "add", "t", "Keys")
    ok(root, "song", "add", "U")
    assert "songs/s.json" in ok(root, "show")  # the album view names the damaged song
    line = refused(root, "show", "s", words="songs/s.json: not valid JSON")
    assert "`producer undo` brings back its last good version" in line
    r = run(root, "validate")
    assert r.exit_code == 2 and "songs/s.json: not valid JSON" in r.stdout
    refused(root, "snapshot", "save", "x", words="songs/s.json")  # it would lose the song
    # undo brings back the last good version; the damaged bytes are kept, not lost.
    out = ok(root, "undo")
    assert "restored songs/s.json to its last good version (step" in out
    assert (root / "songs/s.json").read_bytes() == good
    kept = out.split("kept as ")[1].strip()
    assert (root / kept).read_bytes() == damaged
    # ... and the next undo undoes the last real change (adding song U).
    assert "undid: add song u" in ok(root, "undo")
    assert ok(root, "validate") == "ok\n"


def test_a_broken_album_document_keeps_history_and_undo(root: Path) -> None:
    good = (root / "album.json").read_bytes()
    break_json(root / "album.json")
    assert "album.json: not valid JSON" in ok(root, "history")
    refused(root, "song", "list", words="album.json: not valid JSON")
    refused(root, "show", "s", words="album.json: not valid JSON")  # not "no song 's'"
    refused(root, "song", "add", "V", words="`producer undo` brings back")
    assert "restored album.json" in ok(root, "undo")
    assert (root / "album.json").read_bytes() == good
    assert ok(root, "song", "list").count("\n") == 2


def test_a_document_from_a_newer_producer_is_never_restored_over(root: Path) -> None:
    doc = json.loads((root / "songs/t.json").read_text())
    doc["format_version"] = 99
    newer = json.dumps(doc)
    (root / "songs/t.json").write_text(newer)
    line = refused(root, "show", "t", words="is newer than this producer reads")
    assert "undo" not in line and "update producer" in line
    ok(root, "undo")  # undoes the last step (importing into s); leaves t.json alone
    assert (root / "songs/t.json").read_text() == newer


def test_a_damaged_document_the_history_never_wrote_stays(root: Path) -> None:
    """No good version to bring back: the error says to fix it by hand; undo leaves it."""
    album = json.loads((root / "album.json").read_text())
    album["songs"].append("x")
    (root / "album.json").write_text(json.dumps(album))
    (root / "songs/x.json").write_text("{")
    line = refused(root, "show", "x", words="songs/x.json: not valid JSON")
    assert "fix the file by hand" in line
    restored = ok(root, "history")
    assert "songs/x.json" in restored
    assert (root / "songs/x.json").read_text() == "{"


def test_a_damaged_history_state_or_step_does_not_stop_edits(root: Path) -> None:
    ok(root, "track", "add", "s", "Bass")
    ok(root, "track", "add", "s", "Keys")
    ok(root, "undo")  # position 4 of 5: the rebuilt state must find that, not 5 of 5
    (root / ".producer/history/state.json").write_text("{")
    history = ok(root, "history")
    assert "state.json: not valid JSON" in history and "step 4 of 5" in history
    assert "undid: add track Bass to s" in ok(root, "undo")
    ok(root, "track", "add", "s", "Pads")  # edits work, and write a sound state again
    assert "state.json" not in ok(root, "history")
    steps = sorted((root / ".producer/history/steps").glob("*.json"))
    steps[0].write_text("[")
    history = ok(root, "history")
    assert "(damaged: .producer/history/steps/000001.json" in history
    assert "add track Pads to s" in history


# ---------------------------------------------------------------- refused at the door


def write_multichannel(path: Path, channels: int, seed: int) -> F:
    x = noise(channels, 0.5, seed)
    sf.write(path, x.T, RATE, subtype="FLOAT")
    return x


@pytest.mark.parametrize(
    ("channels", "name", "left", "right"),
    [
        # Speaker order (FLAC/WAVE default) and the BS.775 fold-down, written out by hand.
        (3, "3.0", {0: 1.0, 2: 0.5**0.5}, {1: 1.0, 2: 0.5**0.5}),
        (4, "quad", {0: 1.0, 2: 0.5**0.5}, {1: 1.0, 3: 0.5**0.5}),
        (5, "5.0", {0: 1.0, 2: 0.5**0.5, 3: 0.5**0.5}, {1: 1.0, 2: 0.5**0.5, 4: 0.5**0.5}),
        (6, "5.1", {0: 1.0, 2: 0.5**0.5, 4: 0.5**0.5}, {1: 1.0, 2: 0.5**0.5, 5: 0.5**0.5}),
    ],
)
def test_multichannel_media_plays_folded_down(
    root: Path,
    tmp_path: Path,
    channels: int,
    name: str,
    left: dict[int, float],
    right: dict[int, float],
) -> None:
    """Seen: a 3-, 4- or 5-channel import passed validate, then mix refused it."""
    x = write_multichannel(tmp_path / "surround.wav", channels, seed=channels)
    out = ok(root, "import", "t", str(tmp_path / "surround.wav"))
    assert f"{channels} channels, {name} (" in out and "ITU-R BS.775" in out
    assert ok(root, "validate") == "ok\n"
    assert f"{name} (" in ok(root, "show", "t")
    path = root / "t.wav"
    ok(root, "mix", "t", "-o", str(path), "--bit-depth", "32f", "--tail", "0")
    got, _ = sf.read(path, dtype="float64", always_2d=True)
    want = np.vstack(
        [sum(g * x[c] for c, g in left.items()), sum(g * x[c] for c, g in right.items())]
    )
    assert null_db(got.T, want) < -120


def test_a_file_of_declared_51_speakers_folds_by_its_own_positions(
    root: Path, testdata: Path
) -> None:
    src = testdata / "robustness/wavinfo/nuendo/wavinfo Test Project - Audio - 5.1.wav"
    out = ok(root, "import", "t", str(src))
    assert "6 channels, 5.1 (FL FR FC LFE BL BR)" in out
    assert ok(root, "validate") == "ok\n"
    ok(root, "mix", "t", "-o", str(root / "t.wav"))


@pytest.mark.parametrize("channels", [9, 12])
def test_more_channels_than_a_layout_are_refused_at_import(
    root: Path, tmp_path: Path, channels: int
) -> None:
    write_multichannel(tmp_path / "many.wav", channels, seed=1)
    before = sorted(p.name for p in (root / "media").iterdir())
    refused(root, "import", "t", str(tmp_path / "many.wav"), words=f"{channels} channels")
    assert sorted(p.name for p in (root / "media").iterdir()) == before  # nothing copied


def test_an_ambisonic_or_adm_file_is_refused_at_import(root: Path, testdata: Path) -> None:
    src = testdata / "robustness/wavinfo/protools/Test_ADM_ProTools.wav"
    refused(root, "import", "t", str(src), words="14 channels")


def test_convolution_without_its_impulse_response_is_refused_at_the_door(
    root: Path, tmp_path: Path
) -> None:
    """Seen: `fx add ... convolution` with a missing IR was accepted, then `mix` failed."""
    refused(
        root,
        "fx",
        "add",
        "s",
        "Vox",
        "convolution",
        "impulse_response_path=rooms/hall.wav",
        words="rooms/hall.wav is not a file",
    )
    (root / "rooms").mkdir()
    ir = np.zeros((1, 4800))
    ir[0, 0], ir[0, 2400] = 1.0, 0.3
    sf.write(root / "rooms/hall.wav", ir.T, RATE, subtype="FLOAT")
    ok(root, "fx", "add", "s", "Vox", "convolution", "impulse_response_path=rooms/hall.wav")
    mix(root, "with-ir")
    # The file goes away afterwards: validate says so, and mix refuses the same way.
    (root / "rooms/hall.wav").unlink()
    r = run(root, "validate")
    assert r.exit_code == 2 and "rooms/hall.wav is not a file" in r.stdout
    refused(root, "mix", "s", words="hall.wav")


def test_a_frequency_at_nyquist_is_refused_by_fx_add(root: Path) -> None:
    refused(
        root,
        "fx",
        "add",
        "s",
        "Vox",
        "lowpass",
        "cutoff_frequency_hz=24000",
        words="is not below Nyquist (24000 Hz at 48000 Hz)",
    )


def test_removing_an_insert_renumbers_later_lanes(root: Path) -> None:
    """Removing insert 1 used to leave a lane on fx.2 pointing past the chain: mix refused."""
    ok(root, "fx", "add", "s", "Vox", "highpass")
    ok(root, "fx", "add", "s", "Vox", "compressor")
    ok(root, "automate", "s", "Vox.fx.2.threshold_db", "--points", "0:-30,1:-10")
    ok(root, "fx", "remove", "s", "Vox", "1")
    assert "insert 1 compressor: threshold_db ~ -30 .. -10 dB" in ok(root, "show", "s")
    assert ok(root, "validate") == "ok\n"
    mix(root, "after-remove")


def test_a_sidechain_loop_is_refused_by_the_edit_that_makes_it(root: Path) -> None:
    """Vox keyed by bus FX while Vox feeds FX: the engine cannot order that; refused now."""
    ok(root, "bus", "add", "s", "FX")
    ok(root, "fx", "add", "s", "Vox", "compressor", "--sidechain", "FX")
    refused(root, "send", "add", "s", "Vox", "FX", words="routing cycle")
    refused(root, "fx", "add", "s", "Vox", "gate", "--sidechain", "Vox", words="routing cycle")
    refused(root, "track", "set", "s", "Vox", "--output", "FX", words="routing cycle")
    assert ok(root, "validate") == "ok\n"


HandEdit = Callable[[dict], None]  # type: ignore[type-arg]


def _vox(doc: dict) -> dict:  # type: ignore[type-arg]
    return next(t for t in doc["tracks"] if t["name"] == "Vox")  # type: ignore[no-any-return]


def _insert(kind: str, **slot: object) -> HandEdit:
    return lambda d: _vox(d)["inserts"].append({"kind": kind, **slot})


def _lane(target: str, value: float, insert: str = "") -> HandEdit:
    def edit(d: dict) -> None:  # type: ignore[type-arg]
        if insert:
            _vox(d)["inserts"].append({"kind": insert})
        _vox(d)["automation"].append({"target": target, "points": [{"frame": 0, "value": value}]})

    return edit


HAND_EDITS: dict[str, HandEdit] = {
    "unknown effect kind": _insert("flanger"),
    "parameter out of range": _insert("compressor", params={"ratio": 0.5}),
    "frequency at Nyquist": _insert("highpass", params={"cutoff_frequency_hz": 24000}),
    "convolution without a file": _insert("convolution"),
    "convolution with a missing file": _insert(
        "convolution", params={"impulse_response_path": "nope.wav"}
    ),
    "sidechain on an EQ": _insert("eq", sidechain="Gtr"),
    "send to no bus": lambda d: _vox(d)["sends"].append({"bus": "Nowhere"}),
    "output to no bus": lambda d: _vox(d).update(output="Nowhere"),
    "lane on a missing insert": _lane("fx.3.gain_db", 1.0),
    "lane on a fixed parameter": _lane("fx.1.lookahead_ms", 2.0, insert="limiter"),
    "lane value out of range": _lane("fx.1.ratio", 500.0, insert="compressor"),
    "lane of an unknown target": _lane("volume", 1.0),
    "pan lane out of range": _lane("pan", 3.0),
    "a bypassed convolution without a file": _insert("convolution", bypass=True),
    "a good edit": _insert("compressor", params={"ratio": 2}),
}


@pytest.mark.parametrize("edit", list(HAND_EDITS), ids=list(HAND_EDITS))
def test_validate_agrees_with_mix(root: Path, edit: str) -> None:
    """Whatever the document holds: `validate` says ok exactly when `mix` renders it."""
    path = root / "songs/s.json"
    doc = json.loads(path.read_text())
    HAND_EDITS[edit](doc)
    path.write_text(json.dumps(doc))
    valid = run(root, "validate")
    mixed = run(root, "mix", "s", "-o", str(root / "x.wav"), "--tail", "0")
    assert (valid.exit_code == 0) == (mixed.exit_code == 0), (valid.output, mixed.stderr)
    assert valid.exit_code in (0, 2) and mixed.exit_code in (0, 2), mixed.stderr
    if edit in ("a good edit", "a bypassed convolution without a file"):
        assert valid.exit_code == 0
    else:
        assert valid.exit_code == 2
