"""``producer batch`` as a user meets it: mistakes refused in one line, ``batch meter`` against
``producer meter``, ``batch mix`` against ``producer mix``, reruns that skip what is done."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from batch_support import parse, run
from click.testing import CliRunner

from producer.cli import cli

RATE = 48000


def refused(cwd: Path, *args: str | Path, words: str) -> None:
    r = run(*args, cwd=cwd, timeout=120)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("producer: "), r.stderr
    assert words in lines[0], lines[0]


def test_mistakes_are_one_line_exit_2(tmp_path: Path) -> None:
    a = tmp_path / "a.wav"
    sf.write(a, np.zeros((100, 2)), RATE)
    master = ("batch", "master", a, "-o", tmp_path / "out")
    refused(tmp_path, *master, "--profile", "spotifi", words="unknown delivery profile 'spotifi'")
    refused(tmp_path, "batch", "master", a, "--profile", "cd", words="Missing option '-o'")
    (tmp_path / "file").write_text("x")
    refused(tmp_path, "batch", "master", a, "--profile", "cd", "-o", "file", words="is a file")
    refused(tmp_path, *master, "--profile", "cd", "--workers", "0", words="--workers 0")
    refused(tmp_path, *master, "--profile", "cd", "--retries", "11", words="--retries 11")
    refused(
        tmp_path,
        *master,
        "--profile",
        "cd",
        "--workers",
        "2",
        "--scheduler",
        "tcp://127.0.0.1:9",
        words="--workers is for the local pool",
    )
    bad = tmp_path / "list.csv"
    bad.write_text("file,profile\na.wav,cd\n")
    refused(tmp_path, "batch", "meter", bad, words="list.csv: line 1: a manifest starts with")
    assert not (tmp_path / "out").exists()  # nothing was started


def test_an_unreachable_scheduler_is_named(tmp_path: Path) -> None:
    a = tmp_path / "a.wav"
    sf.write(a, np.zeros((100, 2)), RATE)
    refused(
        tmp_path,
        "batch",
        "meter",
        a,
        "--scheduler",
        "tcp://127.0.0.1:9",
        words="--scheduler tcp://127.0.0.1:9: cannot reach a Dask scheduler",
    )


def test_batch_meter_measures_what_producer_meter_measures(testdata: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    source = testdata / "robustness" / "cpython-audiodata"
    names = ["pluck-pcm16.aiff", "pluck-pcm24.au", "pluck-pcm32.wav"]
    for name in names:
        (folder / name).write_bytes((source / name).read_bytes())
    sf.write(folder / "silence.wav", np.zeros((RATE, 2)), RATE)
    (folder / "broken.wav").write_text("this is not a WAV file")
    (folder / "readme.txt").write_text("not audio by its extension")
    report = tmp_path / "loudness.csv"
    r = run("batch", "meter", "in", "--csv", report, "--workers", "2", "--json", cwd=tmp_path)
    assert r.returncode == 1, r.stderr  # broken.wav
    data = parse(r)
    assert data["ignored"] == [str(Path("in") / "readme.txt")]
    rows = {Path(i["input"]).name: i for i in data["inputs"]}
    assert rows["broken.wav"]["status"] == "failed"
    assert "not a readable audio file" in rows["broken.wav"]["error"]
    # Silence is measured (no loudness exists), and says why: not a failure of the meter.
    silence = rows["silence.wav"]
    assert silence["status"] == "done" and silence["figures"]["integrated_lufs"] is None
    assert any("silence" in n for n in silence["notes"])
    # The same figures as `producer meter --json`, for every file.
    single = run("meter", "--json", *[Path("in") / n for n in names], cwd=tmp_path)
    for expected in json.loads(single.stdout):
        got = rows[Path(expected.pop("path")).name]
        assert got["status"] == "done"
        assert got["figures"] == expected
    with open(report, newline="") as f:
        table = {Path(row["input"]).name: row for row in csv.DictReader(f)}
    assert set(table) == {*names, "silence.wav", "broken.wav"}
    assert float(table["pluck-pcm32.wav"]["true_peak_dbtp"]) == pytest.approx(
        rows["pluck-pcm32.wav"]["figures"]["true_peak_dbtp"]
    )
    assert table["silence.wav"]["integrated_lufs"] == ""
    assert table["broken.wav"]["status"] == "failed" and table["broken.wav"]["error"]
    # The journal went beside the CSV; a rerun measures nothing again.
    again = parse(run("batch", "meter", "in", "--csv", report, "--json", cwd=tmp_path))
    assert again["totals"]["skipped"] == 4 and again["totals"]["done"] == 0


def _ok(root: Path, *args: str) -> None:
    r = CliRunner().invoke(cli, ["-C", str(root), *args])
    assert r.exit_code == 0, r.output


def test_batch_mix_renders_what_producer_mix_renders(testdata: Path, tmp_path: Path) -> None:
    clip = testdata / "multitrack" / "musdb18-7-sample" / "decoded" / "bass.wav"
    data, rate = sf.read(clip, dtype="float32", always_2d=True)
    sf.write(tmp_path / "bass.wav", data[: 2 * rate], rate)
    sf.write(tmp_path / "drums.wav", data[rate : 3 * rate] * 0.5, rate)
    projects = []
    for name, songs in (("first", ("One", "Two")), ("second", ("Three",))):
        _ok(tmp_path, "new", name, "--title", name, "--artist", "B", "--sample-rate", str(rate))
        root = tmp_path / name
        for n, title in enumerate(songs):
            _ok(root, "song", "add", title)
            slug = title.lower()
            _ok(root, "import", slug, str(tmp_path / ("bass.wav" if n == 0 else "drums.wav")))
        projects.append(root)
    r = run("batch", "mix", "first", "second", "--workers", "2", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    data_json = parse(r)
    assert [i["input"] for i in data_json["inputs"]] == ["first:one", "first:two", "second:three"]
    for item, (root, slug) in zip(
        data_json["inputs"],
        [(projects[0], "one"), (projects[0], "two"), (projects[1], "three")],
        strict=True,
    ):
        assert item["outputs"] == [str(root / "mixes" / f"{slug}.wav")]
        # Null test against the single-song command rendering the same song.
        single = tmp_path / f"{root.name}-{slug}.wav"
        _ok(root, "mix", slug, "-o", str(single))
        got, _ = sf.read(item["outputs"][0], dtype="float64")
        want, _ = sf.read(single, dtype="float64")
        assert np.array_equal(got, want)
        assert item["figures"]["integrated_lufs"] is not None
    # A fader move on one song redoes that song only.
    _ok(projects[0], "track", "set", "two", "drums", "--gain-db", "-3")
    again = parse(run("batch", "mix", "first", "second", "--json", cwd=tmp_path))
    assert [i["status"] for i in again["inputs"]] == ["skipped", "done", "skipped"]


def test_an_output_folder_with_a_dot_in_its_name_is_a_folder(tmp_path: Path) -> None:
    """`-o deliveries.v2` is the folder the batch delivers into, not one file that every
    input would be written to (a name with an extension is a file only in a manifest)."""
    t = np.arange(2 * RATE) / RATE
    for n, freq in enumerate((220.0, 330.0)):
        wave = 0.2 * np.sin(2 * np.pi * freq * t)
        sf.write(tmp_path / f"song{n}.wav", np.stack([wave, wave], axis=1), RATE)
    args = ("batch", "master", "song0.wav", "song1.wav", "--profile", "spotify")
    r = run(*args, "-o", "deliveries.v2", "--workers", "1", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "deliveries.v2"
    assert out.is_dir() and (out / "batch.jsonl").is_file()
    for n in range(2):
        assert (out / f"song{n}-spotify.wav").is_file()
    # The one-file command agrees: an existing folder is a folder, whatever its name.
    single = CliRunner().invoke(
        cli, ["master", str(tmp_path / "song0.wav"), "--profile", "youtube", "-o", str(out)]
    )
    assert single.exit_code == 0, single.output
    assert (out / "song0-youtube.wav").is_file()
