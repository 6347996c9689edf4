"""The main job: `producer demo DIR` makes an album whose masters meet their profiles, measured
here by an independent meter (libebur128 via pyebur128, and an 8x-oversampled peak check)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyebur128 as ebu
import pytest
import scipy.signal
import soundfile as sf
from click.testing import CliRunner

from producer.cli import cli


def _integrated_lufs(audio: np.ndarray, sr: int) -> float:
    """audio: (frames, channels) as soundfile reads it."""
    a = np.ascontiguousarray(audio, dtype=np.float64)
    st = ebu.R128State(a.shape[1], sr, ebu.MeasurementMode.MODE_I)
    st.add_frames(a.ravel(), a.shape[0])
    return float(ebu.get_loudness_global(st))


def _true_peak_dbtp(audio: np.ndarray) -> float:
    up = scipy.signal.resample_poly(np.asarray(audio, dtype=np.float64), 8, 1, axis=0)
    return 20.0 * math.log10(max(float(np.abs(up).max()), float(np.abs(audio).max())))


def test_demo_album(tmp_path: Path) -> None:
    """One run of the demo (it takes a while), every check on its output."""
    root = tmp_path / "demo-album"
    (root / "old-run").mkdir(parents=True)
    (root / "album.json").write_text("{}")  # an earlier demo's project is replaced
    result = CliRunner().invoke(cli, ["demo", str(root)])
    assert result.exit_code == 0, (result.output, result.exception)
    assert not (root / "old-run").exists()
    _check_streaming(root)
    _check_cd(root)
    _check_summary_and_show(root, result.stdout)
    _check_office(root)


def _check_streaming(root: Path) -> None:
    files = sorted((root / "masters" / "streaming").glob("*.wav"))
    assert [f.name for f in files] == ["01-slow-light.wav", "02-iron-road.wav", "03-neon-run.wav"]
    for f in files:
        info = sf.info(str(f))
        audio, sr = sf.read(str(f), always_2d=True)
        assert 30.0 <= info.duration <= 60.0, f.name
        assert _integrated_lufs(audio, sr) == pytest.approx(-14.0, abs=0.1), f.name
        assert _true_peak_dbtp(audio) <= -1.0 + 0.05, f.name


def _check_cd(root: Path) -> None:
    cd = root / "masters" / "cd"
    info = sf.info(str(cd / "album.wav"))
    assert (info.samplerate, info.subtype, info.channels) == (44100, "PCM_16", 2)
    cue = (cd / "album.cue").read_text()
    assert cue.count("TRACK ") == 3 and 'FILE "album.wav" WAVE' in cue
    levels = []
    for f in sorted(cd.glob("0*.wav")):
        audio, sr = sf.read(str(f), always_2d=True)
        assert sr == 44100
        assert _true_peak_dbtp(audio) <= -0.3 + 0.05, f.name
        levels.append(_integrated_lufs(audio, sr))
    # Album normalisation: the loudest song on the CD target, the others keep their distance.
    assert max(levels) == pytest.approx(-11.0, abs=0.1)


def _check_summary_and_show(root: Path, out: str) -> None:
    for title in ("Slow Light", "Iron Road", "Neon Run"):
        assert title in out
    assert "streaming" in out and "album.cue" in out
    shown = CliRunner().invoke(cli, ["-C", str(root), "show"])
    assert shown.exit_code == 0, shown.output
    assert "Neon Run" in shown.stdout or "neon-run" in shown.stdout
    song = CliRunner().invoke(cli, ["-C", str(root), "show", "iron-road"])
    assert song.exit_code == 0 and "Drums" in song.stdout


def test_demo_refuses_a_folder_that_is_no_project(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = CliRunner().invoke(cli, ["demo", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a producer project" in result.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine"


def _check_office(root: Path) -> None:
    """The demo album's office shows real content: status, budget, credits."""
    import json

    def run(*args: str) -> str:
        r = CliRunner().invoke(cli, ["-C", str(root), *args])
        assert r.exit_code == 0, (args, r.output)
        return r.stdout

    board = json.loads(run("status", "--json"))
    assert [s["stage"] for s in board["songs"]] == ["delivered"] * 3
    assert all(s["blocks"] == [] for s in board["songs"]), board["songs"]
    assert board["next_booking"] is not None and "rehearsal" in board["next_booking"]
    budget = json.loads(run("budget", "--json"))
    assert budget["currency"] == "USD" and float(budget["total"]["actual"]) > 0
    assert {line["category"] for line in budget["lines"]} >= {"studio", "musicians", "mixing"}
    rin = json.loads(run("credits", "--json"))
    assert rin["Missing"] == []
    roles = {c["Role"] for rec in rin["SoundRecordingList"] for c in rec["Contributor"]}
    assert {"StudioProducer", "MixingEngineer", "MasteringEngineer", "StudioMusician"} <= roles
    text = run("credits")
    assert "Written by Ada Lindqvist" in text and "Sam Rivera: bass" in text
    for slug in ("slow-light", "iron-road", "neon-run"):
        assert json.loads(run("split", "show", slug, "--json"))["final"] is True
