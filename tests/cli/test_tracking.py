"""The tracking commands through click's CliRunner: record, recover, take *, errors (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from producer.cli import cli
from producer.workflows import project as wp

RATE = 48000


def _wav(path: Path, seconds: float, seed: int, rate: int = RATE) -> Path:
    rng = np.random.default_rng(seed)
    sf.write(str(path), (0.2 * rng.standard_normal(round(seconds * rate))).astype("float32"), rate)
    return path


def _melody(path: Path) -> Path:
    """Four sung-like notes (A3 C4 E4 A4) 10 cents sharp, on beats 2..5 at 120 BPM."""
    t = np.arange(int(0.35 * RATE)) / RATE
    out = np.zeros(3 * RATE)
    for k, midi in enumerate((57, 60, 64, 69)):
        f = 440 * 2 ** ((midi - 69 + 0.1) / 12)
        env = np.minimum(1, t / 0.008) * np.clip((0.35 - t) / 0.04, 0, 1)
        tone = sum(np.sin(2 * np.pi * f * h * t) / h for h in (1, 2, 3))
        i = int((0.5 + 0.5 * k) * RATE)
        out[i : i + len(t)] += 0.3 * tone * env
    sf.write(str(path), out.astype("float32"), RATE, subtype="FLOAT")
    return path


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    wp.new_project(root, "Album", "Artist")
    wp.add_song(root, "S")
    return root


def run(root: Path, *args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, ["-C", str(root), *args])
    return r.exit_code, r.stdout, r.stderr


def _one_clean_error(code: int, err: str, *words: str) -> None:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("producer: "), err
    assert "Traceback" not in err
    for w in words:
        assert w in lines[0]


def test_record_from_a_source_then_manage_takes(proj: Path, tmp_path: Path) -> None:
    src = _wav(tmp_path / "in.wav", 0.6, seed=1)
    code, out, err = run(proj, "record", "s", "--track", "vox", "--source", str(src))
    assert code == 0, err
    assert "vox: take 1 at 0.000 s, 0.600 s" in out
    code, out, _ = run(proj, "take", "import", "s", "vox", str(_wav(tmp_path / "b.wav", 1, 2)))
    assert code == 0 and "vox: take 2" in out
    assert run(proj, "take", "select", "s", "vox", "1")[0] == 0
    assert run(proj, "take", "rename", "s", "vox", "2", "double")[0] == 0
    code, out, _ = run(proj, "take", "list", "s", "vox")
    lines = out.splitlines()
    assert lines[0].startswith("*") and "Take 1" in lines[0]
    assert "double" in lines[1] and not lines[1].startswith("*")
    code, out, err = run(proj, "take", "comp", "s", "vox", "--use", "1:0-0.3,2:0.3-0.6")
    assert code == 0, err
    assert "comp of 2 ranges, 480-frame fades" in out
    assert "the comp plays" in run(proj, "take", "list", "s", "vox")[1]
    assert run(proj, "recover")[1].strip() == "nothing to recover"


@pytest.mark.parametrize(
    ("use", "words"),
    [
        ("1:0-0.4,2:0.3-0.6", ["overlaps"]),
        ("1:0-0.2,2:0.3-0.6", ["gap after 0.2 s"]),
        ("1:0-0.3,7:0.3-0.6", ["no take 7"]),
        ("1-0.3", ["TAKE:START-END"]),
    ],
)
def test_bad_comp_exit_2_and_no_take_lost(
    proj: Path, tmp_path: Path, use: str, words: list[str]
) -> None:
    for seed in (1, 2):
        run(proj, "take", "import", "s", "vox", str(_wav(tmp_path / f"{seed}.wav", 0.6, seed)))
    before = run(proj, "take", "list", "s", "vox")[1]
    code, _, err = run(proj, "take", "comp", "s", "vox", "--use", use)
    _one_clean_error(code, err, *words)
    assert run(proj, "take", "list", "s", "vox")[1] == before


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--punch-in", "1", "--punch-out", "5"], ["outside the song", "ends at 2 s"]),
        (["--input-device", "no-such-device-xyz"], ["no-such-device-xyz"]),
        (["--source", "MISSING"], ["missing.wav"]),  # a 44.1 kHz source is converted now
        (["--loop", "--from", "3"], ["--loop"]),
    ],
)
def test_bad_record_input_exit_2_and_no_take_lost(
    proj: Path, tmp_path: Path, args: list[str], words: list[str]
) -> None:
    run(proj, "take", "import", "s", "vox", str(_wav(tmp_path / "t.wav", 2.0, seed=3)))
    before = run(proj, "take", "list", "s", "vox")[1]
    args = [str(tmp_path / "missing.wav") if a == "MISSING" else a for a in args]
    code, _, err = run(proj, "record", "s", "--track", "vox", "--seconds", "0.2", *args)
    if "--input-device" in args and "PortAudio" in err:
        words = ["PortAudio"]  # no audio library here: also a clear exit 2
    _one_clean_error(code, err, *words)
    assert run(proj, "take", "list", "s", "vox")[1] == before
    assert not list((proj / ".producer" / "recordings").glob("*/*.f32"))


def test_review_json_and_plot(proj: Path, tmp_path: Path) -> None:
    run(proj, "take", "import", "s", "vox", str(_melody(tmp_path / "m.wav")))
    plot = tmp_path / "pitch.png"
    code, out, err = run(proj, "take", "review", "s", "vox", "--json", "--plot", str(plot))
    assert code == 0, err
    data = json.loads(out)
    for key in ("pitch_deviation_cents_median", "timing_offset_ms_median", "clipped_samples"):
        assert key in data
    assert data["clipped_samples"] == 0 and data["peak_dbfs"] < 0
    assert [round(n["start_s"], 2) for n in data["notes"]] == [0.5, 1.0, 1.5, 2.0]
    assert {"start_s", "pitch_hz", "deviation_cents", "offset_ms"} <= set(data["notes"][0])
    assert data["pitch_deviation_cents_median"] == pytest.approx(10.0, abs=5.0)
    assert data["timing_offset_ms_median"] == pytest.approx(0.0, abs=5.0)
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, out, _ = run(proj, "take", "review", "s", "vox", "--take", "1")
    assert code == 0 and "4 notes" in out and "cents" in out
    code, _, err = run(proj, "take", "review", "s", "vox", "--take", "3")
    _one_clean_error(code, err, "no take 3")


def test_recover_outside_a_project_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "nothing-here").mkdir()
    code, _, err = run(tmp_path / "nothing-here", "recover")
    _one_clean_error(code, err, "not a producer project")
    code, _, err = run(tmp_path / "nowhere", "recover")  # -C a folder that is not there
    _one_clean_error(code, err, "no such folder")


def test_devices_lists_portaudio_devices_or_says_why_not(tmp_path: Path) -> None:
    """`producer devices` prints one line per device that matches PortAudio's own list, or,
    with no PortAudio on the machine, one clean error line."""
    code, out, err = run(tmp_path, "devices")
    try:
        import sounddevice as sd
    except OSError:  # no PortAudio library: the command must say so in one line
        _one_clean_error(code, err, "PortAudio")
        return
    assert code == 0, err
    devices = sd.query_devices()
    lines = out.splitlines()
    assert len(lines) == len(devices)
    for line, d in zip(lines, devices, strict=True):
        assert d["name"] in line
        assert f"in {d['max_input_channels']}" in line
        assert f"out {d['max_output_channels']}" in line
