"""The real sessions of ../shared/testdata/project import; bad input is refused in one line."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner, Result

from producer.cli.app import cli
from producer.storage import Project
from producer.workflows import project as pw

REAL = {
    "dawproject": [
        "audio-regions.dawproject",
        "automation.dawproject",
        "eq.dawproject",
        "note-regions.dawproject",
        "virtualcx.dawproject",
        "bitwig.example.xml",
    ],
    "reaper": ["empty.RPP", "vst.RPP"],
    "aaf": [
        "multitrack.aaf",
        "nested_audio_dissolve.aaf",
        "one_audio_clip.aaf",
        "simple.aaf",
        "transitions.aaf",
        "utf8.aaf",
    ],
    "otio": [
        "effects.otio",
        "gaps.otio",
        "multitrack.otio",
        "nested_example.otio",
        "premiere_example.otio",
        "simple_cut.otio",
        "transition.otio",
    ],
    "ardour": [
        "TestSession.ardour",
        "1region/1region.ardour",
        "32tracks/32tracks.ardour",
        "rec_enabled/rec_enabled.ardour",
        "2 Track-template/2 Track-template.template",
    ],
}


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), *args])


@pytest.fixture
def root(tmp_path: Path) -> Path:
    pw.new_project(tmp_path / "p", "Album", "Artist")
    return tmp_path / "p"


@pytest.mark.parametrize("folder,name", [(k, v) for k, vs in REAL.items() for v in vs])
def test_every_real_session_imports(root: Path, testdata: Path, folder: str, name: str) -> None:
    path = testdata / "project" / folder / name
    r = run(root, "session", "import", str(path), "--title", "imported", "--json")
    assert r.exit_code == 0, r.output
    report = json.loads(r.output)
    assert report["direction"] == "import" and report["song"] == "imported"
    song = Project.open(root).song("imported")
    for entry in report["lost"]:
        assert set(entry) == {"what", "where", "why"} and entry["why"]
    offline = [c for t in song.tracks for c in t.all_clips() if c.media.offline]
    # Every absent file is in the report, and its clips are offline.
    assert {c.media.source_name for c in offline} == set(report["offline"])
    for name_ in report["offline"]:
        assert any(e["what"] == f"audio {name_!r}" for e in report["lost"])


def test_audio_regions_lands_at_its_position_and_renders(root: Path, testdata: Path) -> None:
    path = testdata / "project" / "dawproject" / "audio-regions.dawproject"
    assert run(root, "session", "import", str(path)).exit_code == 0
    song = Project.open(root).song("audio-regions")
    clips = song.tracks[0].all_clips()
    # One second of chirp looped over 8 beats at 110 BPM (4.364 s): unrolled, from 0 s.
    assert clips[0].start_frame == 0 and clips[0].length_frames == 48000
    assert sum(c.length_frames for c in clips) == round(8 * 60 / 110 * 48000)
    assert song.tracks[0].gain_db == pytest.approx(-10.0, abs=0.01)  # linear 0.316228
    out = root / "ar.wav"
    assert run(root, "mix", "audio-regions", "-o", str(out)).exit_code == 0
    data, rate = sf.read(out)
    assert rate == 48000 and np.max(np.abs(data[: rate // 2])) > 0.05


def test_note_clips_become_rendered_parts_and_lanes_become_automation(
    root: Path, testdata: Path
) -> None:
    folder = testdata / "project" / "dawproject"
    assert run(root, "session", "import", str(folder / "note-regions.dawproject")).exit_code == 0
    song = Project.open(root).song("note-regions")
    inst3 = song.track("Inst 3")
    assert inst3 is not None and inst3.kind == "midi"
    # Clip at beat 1 for 3 beats showing content from 0.5, looping [0, 1): 3 passes.
    assert inst3.midi_clips[0].start_beat == pytest.approx(1.0)
    assert any(lane.name == "rendered" and lane.clips for lane in inst3.lanes)
    assert run(root, "session", "import", str(folder / "automation.dawproject")).exit_code == 0
    auto = Project.open(root).song("automation").track("Inst 1")
    assert auto is not None
    lanes = {lane.target: lane for lane in auto.automation}
    assert set(lanes) == {"gain_db", "pan", "mute"}
    assert [p.value for p in lanes["pan"].points] == pytest.approx([0.0, -1.0, 1.0])
    assert lanes["gain_db"].points[0].value == pytest.approx(0.0)
    assert (
        max(abs(p.value - -9.0) for p in lanes["gain_db"].points)
        < 1e-3 + min(abs(p.value - -9.0) for p in lanes["gain_db"].points) + 9.0
    )


def test_eq_device_becomes_our_eq(root: Path, testdata: Path) -> None:
    path = testdata / "project" / "dawproject" / "eq.dawproject"
    assert run(root, "session", "import", str(path)).exit_code == 0
    bus = Project.open(root).song("eq").bus("EQ+")
    assert bus is not None
    kinds = [s.kind for s in bus.inserts]
    assert kinds == ["eq", "eq"]  # six bands → two four-band EQs
    p = bus.inserts[0].params
    assert p["band1_type"] == "highpass" and p["band2_type"] == "peak"
    assert p["band2_gain_db"] == -9.0
    assert p["band2_frequency_hz"] == pytest.approx(440 * 2 ** ((81.389058 - 69) / 12))


def test_offline_clips_play_silence_and_validate_lists_them(root: Path, testdata: Path) -> None:
    path = testdata / "project" / "otio" / "effects.otio"
    r = run(root, "session", "import", str(path), "--title", "fx")
    assert r.exit_code == 0, r.output
    assert "offline" in r.output
    v = run(root, "validate")
    assert v.exit_code == 2 and "offline" in v.output and "plays silence" in v.output
    out = root / "fx.wav"
    assert run(root, "mix", "fx", "-o", str(out), "--end", "2").exit_code == 0
    data, _ = sf.read(out)
    assert np.max(np.abs(data)) == 0.0


def test_the_rpp_package_round_trips_the_real_projects(testdata: Path) -> None:
    import rpp

    for name in REAL["reaper"]:
        text = (testdata / "project" / "reaper" / name).read_text(encoding="utf-8")
        tree = rpp.loads(text)
        assert rpp.loads(rpp.dumps(tree)) == tree  # the same tokens, every line


# ---------------------------------------------------------------- bad input


def _songs(root: Path) -> tuple[str, ...]:
    return Project.open(root).album.songs


def _refused(root: Path, path: Path, *needles: str) -> None:
    before = _songs(root)
    r = run(root, "session", "import", str(path))
    assert r.exit_code == 2, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("producer: ") and str(path) in lines[0], r.output
    for n in needles:
        assert n in lines[0], lines[0]
    assert "Traceback" not in r.output
    assert _songs(root) == before


def test_bad_input_is_one_line_exit_2_and_no_song(
    root: Path, tmp_path: Path, testdata: Path
) -> None:
    real = (testdata / "project" / "dawproject" / "audio-regions.dawproject").read_bytes()
    truncated = tmp_path / "cut.dawproject"
    truncated.write_bytes(real[: len(real) // 2])
    _refused(root, truncated, "ZIP")

    not_dp = tmp_path / "other.dawproject"
    with zipfile.ZipFile(not_dp, "w") as z:
        z.writestr("project.xml", "<html><body>hello</body></html>")
    _refused(root, not_dp, "project.xml", "<html>")

    bare = tmp_path / "x.xml"
    bare.write_text("<Project version='1.0'><Application name='x' version='1'/><Structure><Track")
    _refused(root, bare, "not well-formed")

    rpp = tmp_path / "bad.rpp"
    rpp.write_text('<REAPER_PROJECT 0.1 "6.0" 0\n  <TRACK\n    NAME x\n>\n')
    _refused(root, rpp, "<TRACK", "line 2", "unbalanced")

    aaf = tmp_path / "bad.aaf"
    aaf.write_bytes(b"this is not an AAF file at all")
    _refused(root, aaf, "not an AAF")

    # A clip reaching past the end of its (present) media.
    wav = tmp_path / "one.wav"
    sf.write(wav, np.zeros((48000, 1), np.float32), 48000)
    outside = tmp_path / "outside.rpp"
    outside.write_text(
        '<REAPER_PROJECT 0.1 "6.0" 0\n  <TRACK\n    NAME Vox\n    <ITEM\n      POSITION 0\n'
        f'      LENGTH 2\n      SOFFS 0.5\n      <SOURCE WAVE\n        FILE "{wav}"\n      >\n'
        "    >\n  >\n>\n"
    )
    _refused(root, outside, "ITEM", "one.wav", "outside its media")
    assert not list((root / "media").iterdir())  # nothing copied for a refused import
