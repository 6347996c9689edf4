"""The main job: `producer demo DIR` makes an album whose masters meet their profiles, measured
here by an independent meter (libebur128 via pyebur128, and an 8x-oversampled peak check)."""

from __future__ import annotations

import json
import math
import os
import subprocess
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
    root.mkdir()  # an empty folder is fine
    result = CliRunner().invoke(cli, ["demo", str(root)])
    assert result.exit_code == 0, (result.output, result.exception)
    assert result.stderr == ""  # not a terminal: no progress, nothing to say
    assert not list(tmp_path.glob(".demo-album*"))  # built beside, renamed into place
    _check_streaming(root)
    _check_cd(root)
    _check_summary_and_show(root, result.stdout)
    _check_reports(root)
    _check_office(root)
    _check_studio(root)


def _check_studio(root: Path) -> None:
    """The demo's review studio: version 1 of every song, its render file, a couple of comments
    each (one thread answered and resolved), the first song approved by the artist."""
    from producer.workflows.studio import command_line_principal, open_studio, review

    studio = open_studio(root)
    me = command_line_principal()
    try:
        rows = review.board(studio, me)
        assert [r.slug for r in rows] == ["slow-light", "iron-road", "neon-run"]
        for r in rows:
            assert r.latest is not None and r.latest.number == 1
            assert (root / "renders" / f"{r.latest.render_id}.wav").is_file()
            top = [c for c in review.comments(studio, me, r.latest.id) if c.parent_id is None]
            assert len(top) == 2
        assert rows[0].approved and [a.role for a in rows[0].latest.approvals] == ["artist"]
        assert sum(r.open_comments for r in rows) == 4  # six notes, two answered and resolved
    finally:
        studio.close()


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


def _check_reports(root: Path) -> None:
    """Every verdict of the demo's reports follows from its rows; the CD says album-normalised."""
    reports = sorted((root / "masters").glob("*/*.report.json"))
    assert len(reports) == 6
    for report in reports:
        data = json.loads(report.read_text())
        assert data["passed"] is True
        assert data["passed"] == all(row["passed"] for row in data["requirements"])
        assert data["title"] and data["artist"] == "The Producers"
        if "/cd/" in str(report):
            assert data["requirements"][0]["required"].startswith("album-normalised")


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


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_demo_never_replaces_a_project(tmp_path: Path) -> None:
    """Issue 16: `producer demo DIR` on an existing project replaced the whole folder (songs,
    media, history, snapshots and the user's own files)."""
    root = tmp_path / "demo-album"
    runner = CliRunner()
    assert (
        runner.invoke(cli, ["new", str(root), "--title", "Mine", "--artist", "Me"]).exit_code == 0
    )
    assert runner.invoke(cli, ["-C", str(root), "song", "add", "My Song"]).exit_code == 0
    wav = tmp_path / "take.wav"
    sf.write(str(wav), np.full((4800, 1), 0.1, dtype=np.float32), 48000)
    assert runner.invoke(cli, ["-C", str(root), "import", "my-song", str(wav)]).exit_code == 0
    assert runner.invoke(cli, ["-C", str(root), "snapshot", "save", "v1"]).exit_code == 0
    (root / "notes.txt").write_text("lyrics, second verse")
    before = _tree(root)
    result = runner.invoke(cli, ["demo", str(root)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "is a producer project already" in lines[0]
    assert f"rm -rf {root}" in lines[0]  # says how to start over
    assert _tree(root) == before
    assert not list(tmp_path.glob(".demo-album*"))


def test_an_interrupted_demo_leaves_nothing_under_the_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from producer.workflows import demo

    root = tmp_path / "demo-album"

    def half_built(building: Path, *_args: object) -> None:
        (building / "songs").mkdir(parents=True)
        (building / "album.json").write_text("{}")
        raise KeyboardInterrupt

    monkeypatch.setattr(demo, "_build", half_built)
    with pytest.raises(KeyboardInterrupt):
        demo.run_demo(root)
    assert not root.exists() and not list(tmp_path.iterdir())
    # A run killed outright leaves its partial folder: the next run sweeps it (its pid is gone).
    dead = 2**22 + 12345
    while True:
        try:
            os.kill(dead, 0)
            dead += 1
        except ProcessLookupError:
            break
        except PermissionError:
            dead += 1
    stale = tmp_path / f".demo-album.{dead}.partial"
    (stale / "media").mkdir(parents=True)
    mine = tmp_path / ".demo-album.notes.partial"  # not a demo's: left alone
    mine.mkdir()

    def built(building: Path, final: Path, *_args: object) -> demo.DemoResult:
        building.mkdir()
        (building / "album.json").write_text("{}")
        return demo.DemoResult(final, (), (), None, 0.0)

    monkeypatch.setattr(demo, "_build", built)
    demo.run_demo(root)
    assert (root / "album.json").is_file() and not stale.exists() and mine.is_dir()


def test_make_demo_keeps_an_edited_demo_album(tmp_path: Path) -> None:
    """Issue 16: `make demo` run again threw away the edits the README invites."""
    makefile = Path(__file__).resolve().parents[1] / "Makefile"
    work = tmp_path / "clone"
    venv = work / ".venv"
    (venv / "bin").mkdir(parents=True)
    (work / "pyproject.toml").write_text("")
    (venv / ".installed").write_text("")
    os.utime(work / "pyproject.toml", (1, 1))  # the install is up to date: make skips it
    calls = work / "calls.txt"
    fake = venv / "bin" / "producer"  # stands in for the real command: records its arguments
    fake.write_text(
        f'#!/bin/sh\necho "$@" >> {calls}\nmkdir -p demo-album && echo {{}} > demo-album/album.json\n'
    )
    fake.chmod(0o755)

    def make_demo() -> str:
        done = subprocess.run(
            ["make", "-s", "-f", str(makefile), "demo"],
            cwd=work, capture_output=True, text=True, check=False, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    make_demo()
    assert calls.read_text() == "demo demo-album\n"
    (work / "demo-album" / "songs").mkdir()
    (work / "demo-album" / "songs" / "edited.json").write_text("my edit")
    out = make_demo()
    assert calls.read_text() == "demo demo-album\n"  # not run again
    assert (work / "demo-album" / "songs" / "edited.json").read_text() == "my edit"
    assert "kept" in out and "rm -rf demo-album && make demo" in out
