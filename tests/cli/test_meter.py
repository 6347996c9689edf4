"""``producer meter``: JSON fields, order, nulls with reasons, the table, the plot, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from producer.cli import cli

FIELDS = {
    "integrated_lufs",
    "loudness_range_lu",
    "true_peak_dbtp",
    "sample_peak_dbfs",
    "momentary_max_lufs",
    "short_term_max_lufs",
    "duration_s",
    "sample_rate",
    "channels",
}


def _tone(
    path: Path, peak_dbfs: float, seconds: float, rate: int = 48000, channels: int = 2
) -> Path:
    t = np.arange(round(seconds * rate)) / rate
    x = 10 ** (peak_dbfs / 20) * np.sin(2 * np.pi * 1000 * t)
    sf.write(path, np.stack([x] * channels).T, rate, subtype="FLOAT")
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("meter")
    silent = d / "silence.wav"
    sf.write(silent, np.zeros((48000 * 4, 2)), 48000, subtype="PCM_16")
    nan = d / "nan.wav"
    bad = np.zeros((4800, 1))
    bad[10] = np.nan
    sf.write(nan, bad, 48000, subtype="FLOAT")
    empty = d / "empty.wav"
    sf.write(empty, np.zeros((0, 2)), 48000, subtype="PCM_16")
    text = d / "notes.wav"
    text.write_text("not audio at all\n")
    return {
        "loud": _tone(d / "loud.wav", -18.0, 5.0),
        "quiet": _tone(d / "quiet.wav", -33.0, 5.0, rate=44100, channels=1),
        "silence": silent,
        "nan": nan,
        "empty": empty,
        "text": text,
        "missing": d / "missing.wav",
    }


def test_json_single_file_is_an_object_with_the_fields(files: dict[str, Path]) -> None:
    result = CliRunner().invoke(cli, ["meter", "--json", str(files["loud"])])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= FIELDS
    assert data["integrated_lufs"] == pytest.approx(-18.0, abs=0.1)  # EBU calibration tone
    assert data["true_peak_dbtp"] == pytest.approx(-18.0, abs=0.05)
    assert data["sample_rate"] == 48000
    assert data["channels"] == 2
    assert data["duration_s"] == pytest.approx(5.0)


def test_json_several_files_is_a_list_in_order_with_null_for_silence(
    files: dict[str, Path],
) -> None:
    names = [files["quiet"], files["silence"], files["loud"]]
    result = CliRunner().invoke(cli, ["meter", "--json", *map(str, names)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [Path(d["path"]).name for d in data] == ["quiet.wav", "silence.wav", "loud.wav"]
    assert data[0]["integrated_lufs"] == pytest.approx(-33.0 - 3.01, abs=0.1)  # mono: one channel
    assert data[0]["channels"] == 1
    assert data[1]["integrated_lufs"] is None
    assert data[1]["true_peak_dbtp"] is None
    assert data[1]["loudness_range_lu"] is None
    assert "NaN" not in result.output and "Infinity" not in result.output


def test_table_says_why_a_value_is_missing(files: dict[str, Path]) -> None:
    result = CliRunner().invoke(cli, ["meter", str(files["loud"]), str(files["silence"])])
    assert result.exit_code == 0, result.output
    assert "loud.wav" in result.output
    assert "-18.0" in result.output
    assert "silence.wav: I not measured" in result.output
    assert "-70 LUFS absolute gate" in result.output


def test_plot_writes_a_png(files: dict[str, Path], tmp_path: Path) -> None:
    png = tmp_path / "loudness.png"
    result = CliRunner().invoke(
        cli, ["meter", "--plot", str(png), str(files["loud"]), str(files["silence"])]
    )
    assert result.exit_code == 0, result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing", "no such file"),
        ("text", "not a readable audio file"),
        ("nan", "NaN or Inf"),
        ("empty", "zero frames"),
    ],
)
def test_bad_input_is_one_line_exit_2(files: dict[str, Path], name: str, message: str) -> None:
    result = CliRunner().invoke(cli, ["meter", "--json", str(files["loud"]), str(files[name])])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("producer: ")
    assert str(files[name]) in lines[0]
    assert message in lines[0]
    assert "Traceback" not in result.output


def test_unwritable_plot_is_exit_2(files: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    png = tmp_path / "a-file" / "x.png"  # (a missing folder is made, like for every output)
    result = CliRunner().invoke(cli, ["meter", "--plot", str(png), str(files["loud"])])
    assert result.exit_code == 2
    assert "cannot write the plot" in result.stderr


def test_relative_paths_are_taken_from_the_c_folder(files: dict[str, Path]) -> None:
    folder = files["loud"].parent
    result = CliRunner().invoke(cli, ["-C", str(folder), "meter", "--json", "loud.wav"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["integrated_lufs"] == pytest.approx(-18.0, abs=0.1)
    assert Path(data["path"]) == folder / "loud.wav"
