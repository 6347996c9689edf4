"""``producer analyze`` end to end: the real MUSDB stems, a project's song rendered in one
pass (with a snapshot as the other version), and the refusals of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner, Result

from producer.cli import cli

RATE = 48000
FIELDS = {
    "check",
    "severity",
    "metric",
    "value",
    "threshold",
    "source",
    "stems",
    "band_hz",
    "times_s",
    "action",
}


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), *args])


def ok(root: Path, *args: str) -> str:
    r = run(root, *args)
    assert r.exit_code == 0, r.output + r.stderr
    return r.stdout


def refused(root: Path, *args: str, words: str) -> None:
    r = run(root, *args)
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("producer: "), r.stderr
    assert words in lines[0], lines[0]


def test_the_real_musdb_stems(testdata: Path, tmp_path: Path) -> None:
    folder = testdata / "multitrack" / "musdb18-7-sample" / "decoded"
    out = tmp_path / "report.html"
    data = json.loads(
        ok(
            tmp_path,
            "analyze",
            str(folder / "mixture.wav"),
            "--stems",
            str(folder),
            "--json",
            "--html",
            str(out),
        )
    )
    assert set(data["stems"]) == {"bass", "drums", "other", "vocals"}  # the mix is not its own stem
    assert data["vocal"] == "vocals"
    assert data["findings"], "a real mix always has something to say"
    for f in data["findings"]:
        assert set(f) >= FIELDS and f["action"] and f["source"]
    checks = {f["check"] for f in data["findings"]}
    assert {"masking", "tempo", "key"} <= checks
    mix = data["mix"]
    assert -20 < mix["integrated_lufs"] < -8 and mix["masking_matrix_db"]["vocals"]
    page = out.read_text()
    assert page.index("What to do") < page.index("<img")  # findings first, then the plots
    assert page.count("data:image/png;base64,") >= 4


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Song ``s`` with Lead Vox, Keys and Bass tracks and two sections (120 BPM, 4/4)."""
    n = 8 * RATE
    t = np.arange(n) / RATE
    rng = np.random.default_rng(5)
    vox = 0.1 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))
    keys = 0.05 * rng.standard_normal((n, 2))
    bass = 0.2 * np.sin(2 * np.pi * 55 * t)
    sf.write(tmp_path / "Lead Vox.wav", vox, RATE, subtype="FLOAT")
    sf.write(tmp_path / "Keys.wav", keys, RATE, subtype="FLOAT")
    sf.write(tmp_path / "Bass.wav", bass, RATE, subtype="FLOAT")
    root = tmp_path / "p"
    ok(tmp_path, "new", "p", "--title", "A", "--artist", "B")
    ok(root, "song", "add", "S")
    for name in ("Lead Vox", "Keys", "Bass"):
        ok(root, "import", "s", str(tmp_path / f"{name}.wav"))
    ok(root, "section", "add", "s", "verse", "--at", "0", "--bars", "2")
    ok(root, "section", "add", "s", "chorus", "--at", "2", "--bars", "2")
    return root


def test_a_song_is_rendered_and_analysed_in_one_pass(project: Path) -> None:
    data = json.loads(ok(project, "analyze", "s", "--json"))
    assert set(data["stems"]) == {"Lead Vox", "Keys", "Bass"}
    assert data["vocal"] == "Lead Vox"
    assert [s["name"] for s in data["sections"]] == ["verse", "chorus"]
    assert data["sections"][1]["start_s"] == pytest.approx(4.0)
    sections = data["mix"]["vocal_balance"]["sections"]
    assert [s["section"] for s in sections] == ["verse", "chorus"]
    assert not [f for f in data["findings"] if f["severity"] == "error"]
    # Another version: the song as it was at a snapshot, rendered now.
    ok(project, "snapshot", "save", "v1")
    ok(project, "track", "set", "s", "Keys", "--gain-db", "6")
    diff = json.loads(ok(project, "analyze", "s", "--against", "v1", "--json"))["mix"][
        "version_diff"
    ]
    assert diff["against"] == "snapshot v1"
    assert abs(diff["offset_ms"]) < 1.0 and diff["loudness_change_lu"] > 1.0
    # The human form: the figures line, the findings, the count.
    text = ok(project, "analyze", "s")
    assert "LUFS" in text and "tempo" in text and "error(s)" in text


def test_bad_input_is_refused_in_one_line(project: Path, tmp_path: Path) -> None:
    refused(project, "analyze", "nope", words="nope")
    refused(project, "analyze", "missing.wav", words="missing.wav")
    refused(project, "analyze", "s", "--vocal", "Tuba", words="--vocal 'Tuba'")
    refused(project, "analyze", "s", "--against", "v9", words="--against v9")
    refused(project, "analyze", "s", "--stems", str(tmp_path / "Keys.wav"), words="--stems")
    refused(project, "analyze", "s", "--profile", "vinyl", words="vinyl")
    mix = tmp_path / "Keys.wav"
    sf.write(tmp_path / "low.wav", np.zeros((RATE, 2)), 44100)
    refused(project, "analyze", str(mix), "--stems", str(tmp_path / "low.wav"), words="44100 Hz")
    refused(project, "analyze", str(mix), str(tmp_path / "Bass.wav"), words="unexpected argument")
    refused(tmp_path, "analyze", str(mix), "--html", str(mix), words="is an input")
    refused(project, "analyze", "s", "--html", "songs/s.html", words="inside the project's songs")
    sf.write(tmp_path / "six.wav", np.zeros((RATE, 6)), RATE)
    refused(project, "analyze", str(tmp_path / "six.wav"), words="6 channels")


def test_a_rendered_version_gets_its_json_and_html(tmp_path: Path) -> None:
    """What a review page calls for one version: files in, report files out."""
    from producer.workflows.analyze import analyze_version

    n = 6 * RATE
    rng = np.random.default_rng(9)
    vox = 0.1 * rng.standard_normal((n, 2))
    keys = 0.05 * rng.standard_normal((n, 2))
    sf.write(tmp_path / "vox.wav", vox, RATE, subtype="FLOAT")
    sf.write(tmp_path / "keys.wav", keys, RATE, subtype="FLOAT")
    sf.write(tmp_path / "mix.wav", vox + keys, RATE, subtype="FLOAT")
    analysis = analyze_version(
        tmp_path / "mix.wav",
        {"vox": tmp_path / "vox.wav", "keys": tmp_path / "keys.wav"},
        json_out=tmp_path / "v1.analysis.json",
        html_out=tmp_path / "v1.analysis.html",
        tempo_key=False,
    )
    data = json.loads((tmp_path / "v1.analysis.json").read_text())
    assert data["vocal"] == "vox" == analysis.context.vocal
    assert set(data["stems"]) == {"vox", "keys"}
    assert "Extra ear: mix.wav" in (tmp_path / "v1.analysis.html").read_text()
