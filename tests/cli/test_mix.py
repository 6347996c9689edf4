"""``producer mix`` and the mixing commands, end to end through click's CliRunner.

The project is built with the project commands; the render is checked against a numpy
reference (float output: residual below −120 dBFS), the files against what the options ask.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile as sf
from click.testing import CliRunner, Result

from producer.cli import cli

RATE = 48000
F = npt.NDArray[np.float64]


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


def mono_pan(x: F, pan: float = 0.0) -> F:
    angle = (pan + 1.0) * np.pi / 4.0
    return np.vstack([x * np.cos(angle), x * np.sin(angle)])


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, dict[str, F]]:
    """A project with song ``s``: Vox (mono, 1.5 s from 0.25 s), Gtr (stereo, 2 s)."""
    rng = np.random.default_rng(7)
    vox = rng.uniform(-0.4, 0.4, (1, int(1.5 * RATE)))
    gtr = rng.uniform(-0.4, 0.4, (2, 2 * RATE))
    sf.write(tmp_path / "Vox.wav", vox.T, RATE, subtype="FLOAT")
    sf.write(tmp_path / "Gtr.wav", gtr.T, RATE, subtype="FLOAT")
    root = tmp_path / "p"
    ok(tmp_path, "new", "p", "--title", "A", "--artist", "B")
    ok(root, "song", "add", "S")
    ok(root, "import", "s", str(tmp_path / "Vox.wav"), "--at", "0.25")
    ok(root, "import", "s", str(tmp_path / "Gtr.wav"))
    src = {
        "Vox": vox.astype(np.float32).astype(np.float64),
        "Gtr": gtr.astype(np.float32).astype(np.float64),
    }
    return root, src


def read(path: Path) -> F:
    data, rate = sf.read(path, dtype="float64", always_2d=True)
    assert rate == RATE
    return np.asarray(data.T)


def assert_null(got: F, expected: F) -> None:
    assert got.shape == expected.shape
    err = float(np.max(np.abs(got - expected)))
    assert err == 0.0 or 20 * np.log10(err) < -120.0, f"residual {20 * np.log10(err):.1f} dBFS"


def dry_mix(src: dict[str, F]) -> F:
    mix = np.zeros((2, 2 * RATE))
    start = RATE // 4
    mix[:, start : start + src["Vox"].shape[1]] += mono_pan(src["Vox"][0])
    return mix + src["Gtr"]


def test_mix_default_output_is_the_sum_in_float(project: tuple[Path, dict[str, F]]) -> None:
    root, src = project
    out = ok(root, "mix", "s", "--bit-depth", "32f")
    path = root / "mixes" / "s.wav"
    assert str(path) in out
    assert_null(read(path), dry_mix(src))
    assert not list((root / "mixes").glob(".*partial"))


def test_bus_send_fx_automation_and_stems(
    project: tuple[Path, dict[str, F]], tmp_path: Path
) -> None:
    root, src = project
    ok(root, "bus", "add", "s", "Verb")
    ok(root, "send", "add", "s", "Vox", "Verb", "--level-db", "-6", "--pre-fader")
    ok(root, "fx", "add", "s", "Vox", "gain", "gain_db=-3")
    ok(root, "fx", "add", "s", "Verb", "polarity")
    ok(root, "automate", "s", "Gtr.gain_db", "--points", "0:-20,1:0")
    ok(root, "automate", "s", "Vox.fx.1.gain_db", "--points", "0:-3")
    stems = tmp_path / "stems"
    ok(
        root,
        "mix",
        "s",
        "-o",
        str(tmp_path / "m.wav"),
        "--stems",
        str(stems),
        "--bit-depth",
        "32f",
        "--tail",
        "0",
    )
    k = np.arange(2 * RATE)
    gtr = src["Gtr"] * 10 ** (np.interp(k, [0, RATE], [-20.0, 0.0]) / 20)
    vox = np.zeros((2, 2 * RATE))
    vox[:, RATE // 4 : RATE // 4 + src["Vox"].shape[1]] = mono_pan(src["Vox"][0]) * 10 ** (-3 / 20)
    verb = -vox * 10 ** (-6 / 20)  # pre-fader send after the insert, into a polarity bus
    assert_null(read(stems / "Vox.wav"), vox)
    assert_null(read(stems / "Gtr.wav"), gtr)
    assert_null(read(stems / "bus-Verb.wav"), verb)
    assert_null(read(tmp_path / "m.wav"), vox + gtr + verb)


def test_window_and_bit_depths(project: tuple[Path, dict[str, F]], tmp_path: Path) -> None:
    root, src = project
    ok(
        root,
        "mix",
        "s",
        "-o",
        str(tmp_path / "f.wav"),
        "--bit-depth",
        "32f",
        "--start",
        "0.5",
        "--end",
        "1.5",
    )
    ok(
        root,
        "mix",
        "s",
        "-o",
        str(tmp_path / "24.flac"),
        "--format",
        "flac",
        "--start",
        "0.5",
        "--end",
        "1.5",
    )
    ok(
        root,
        "mix",
        "s",
        "-o",
        str(tmp_path / "16.wav"),
        "--bit-depth",
        "16",
        "--start",
        "0.5",
        "--end",
        "1.5",
    )
    ref = dry_mix(src)[:, RATE // 2 : 3 * RATE // 2]
    assert_null(read(tmp_path / "f.wav"), ref)
    info24 = sf.info(tmp_path / "24.flac")
    assert (info24.format, info24.subtype) == ("FLAC", "PCM_24")
    rendered = read(tmp_path / "f.wav")  # the float render, exactly
    err24 = np.abs(read(tmp_path / "24.flac") - rendered).max()
    assert err24 <= 0.5 / 2**23 + 1e-12  # 24-bit: the float render rounded, no dither
    pcm16, _ = sf.read(tmp_path / "16.wav", dtype="int16", always_2d=True)
    err16 = pcm16.T / 32768.0 - rendered
    assert np.abs(err16).max() <= 1.5 / 32768 + 1e-9  # TPDF: within 1.5 LSB
    assert abs(err16.mean()) < 0.05 / 32768  # unbiased
    # TPDF: error power 1/12 (rounding) + 2/12 (dither) = 1/4 LSB², i.e. 0.5 LSB rms; plain
    # rounding would give 1/sqrt(12) = 0.29 LSB.
    assert 0.45 / 32768 < err16.std() < 0.55 / 32768


def test_fx_set_bypass_remove_and_kinds(project: tuple[Path, dict[str, F]]) -> None:
    root, _ = project
    ok(root, "fx", "add", "s", "Vox", "compressor", "threshold_db=-18", "ratio=4")
    ok(root, "fx", "add", "s", "master", "limiter")
    ok(root, "fx", "set", "s", "Vox", "compressor", "ratio=2")
    ok(root, "fx", "bypass", "s", "Vox", "1")
    ok(root, "fx", "remove", "s", "master", "limiter")
    doc = (root / "songs" / "s.json").read_text()
    assert '"ratio": 2.0' in doc or '"ratio": 2' in doc
    assert '"bypass": true' in doc
    assert "limiter" not in doc
    kinds = ok(root, "fx", "kinds")
    for word in ("compressor", "threshold_db", "reverb", "room_size"):
        assert word in kinds


def test_bad_input_is_one_line_exit_2_and_leaves_no_file(
    project: tuple[Path, dict[str, F]], tmp_path: Path
) -> None:
    root, _ = project
    refused(root, "fx", "add", "s", "Vox", "fuzzbox", words="fuzzbox")
    refused(root, "fx", "add", "s", "Vox", "compressor", "treshold_db=-3", words="treshold_db")
    refused(root, "fx", "add", "s", "Vox", "compressor", "ratio=0.1", words="ratio")
    refused(root, "fx", "add", "s", "Nobody", "gain", words="Nobody")
    refused(root, "send", "add", "s", "Vox", "Nowhere", words="Nowhere")
    refused(root, "automate", "s", "Vox.fx.4.gain_db", "--points", "0:1", words="fx.4")
    refused(root, "automate", "s", "Vox.pan", "--points", "0:3", words="-1..+1")
    refused(root, "automate", "s", "Vox.pan", "--points", "zero:1", words="seconds:value")
    ok(root, "bus", "add", "s", "X")
    ok(root, "bus", "add", "s", "Y", "--output", "X")
    refused(root, "send", "add", "s", "X", "Y", words="cycle")
    refused(root, "mix", "s", "--end", "-1", words="--end")
    gone = sorted((root / "media").iterdir())[0]
    gone.unlink()
    out = tmp_path / "never.wav"
    r = run(root, "mix", "s", "-o", str(out))
    assert r.exit_code == 2 and gone.name in r.stderr and "Traceback" not in r.output
    assert not out.exists() and not list(tmp_path.glob(".never*"))


def test_clipping_into_an_integer_file_is_a_warning_with_the_count(
    project: tuple[Path, dict[str, F]], tmp_path: Path
) -> None:
    """Issue 16: "peak 3.8 dBFS" for a 24-bit file said nothing about its clipped samples."""
    import json

    root, src = project
    ok(root, "track", "set", "s", "Gtr", "--gain-db", "9")
    gain = 10 ** (9 / 20)
    loud = dry_mix(src) + src["Gtr"] * (gain - 1.0)  # the mix with Gtr 9 dB up (float)
    over_mix = int(np.count_nonzero(np.abs(loud.astype(np.float32)) > 1.0))
    over_gtr = int(np.count_nonzero(np.abs((src["Gtr"] * gain).astype(np.float32)) > 1.0))
    assert over_mix > 100 and over_gtr > 100
    r = run(root, "mix", "s", "--json", "--stems", str(tmp_path / "stems"), "--tail", "0")
    assert r.exit_code == 0, r.stderr
    row = json.loads(r.stdout)
    # The count of an independent numpy sum of the sources (± a few samples at the edge of
    # float rounding), in --json and in a warning with what to do about it.
    assert abs(row["clipped_samples"] - over_mix) <= 4
    by_stem = {c["stem"]: c for c in row["clipping"]}
    assert abs(by_stem["Gtr"]["clipped_samples"] - over_gtr) <= 4 and "Vox" not in by_stem
    warnings = [x for x in r.stderr.splitlines() if "warning" in x]
    assert len(warnings) == 2
    assert f"{row['clipped_samples']} samples" in warnings[0]
    assert "limiter" in warnings[0] and "32f" in warnings[0]
    text = ok(root, "mix", "s", "--tail", "0")
    assert f"{row['clipped_samples']} samples clipped" in text and "replaced" in text
    # Float output keeps every sample: nothing clipped, nothing said.
    r = run(root, "mix", "s", "--bit-depth", "32f", "--json")
    assert json.loads(r.stdout)["clipped_samples"] == 0 and "warning" not in r.stderr


def test_a_mix_never_lands_on_the_project_or_in_the_wrong_format(
    project: tuple[Path, dict[str, F]], tmp_path: Path
) -> None:
    root, _ = project
    media = sorted((root / "media").iterdir())
    before = {p: p.read_bytes() for p in media}
    refused(root, "mix", "s", "-o", str(media[0]), words="media")
    refused(root, "mix", "s", "-o", str(root / "album.json"), words="album.json")
    refused(root, "mix", "s", "--stems", str(root / "songs"), words="songs")
    refused(root, "mix", "s", "-o", str(tmp_path / "x.flac"), "--format", "wav", words="x.flac")
    refused(root, "mix", "s", "-o", str(tmp_path / "x.mp3"), words="wav or flac")
    assert {p: p.read_bytes() for p in media} == before
    ok(root, "mix", "s", "-o", str(tmp_path / "y.flac"))  # the name picks the format
    assert sf.info(tmp_path / "y.flac").format == "FLAC"
