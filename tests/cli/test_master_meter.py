"""``producer master --json`` prints the figures ``producer meter`` reads from the delivered
files (issue 10), for every format of the profile; a 7.1 master's loudness uses the layout's
weights (``--layout``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from producer.cli import cli


def _hot_mix(path: Path, rate: int = 48000, channels: int = 2, seconds: float = 5.0) -> Path:
    rng = np.random.default_rng(4)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    beat = np.exp(-((t * 2.0) % 1.0) * 10.0)
    x = rng.standard_normal((channels, n)) * 0.2 * (0.3 + beat)
    x += 0.4 * np.sin(2 * np.pi * 11000 * t + np.pi / 4)  # inter-sample peaks
    sf.write(path, (0.9 * x / np.max(np.abs(x))).T, rate, subtype="PCM_24")
    return path


@pytest.mark.parametrize("profile", ["streaming", "cd"])
def test_master_json_is_what_meter_reads_from_the_files(tmp_path: Path, profile: str) -> None:
    src = _hot_mix(tmp_path / "mix.wav")
    runner = CliRunner()
    mastered = runner.invoke(cli, ["master", str(src), "--profile", profile, "--json"])
    assert mastered.exit_code == 0, mastered.output
    rows = json.loads(mastered.output)
    assert len(rows) >= 1
    for row in rows:
        metered = runner.invoke(cli, ["meter", "--json", row["path"]])
        assert metered.exit_code == 0, metered.output
        data = json.loads(metered.output)
        assert row["true_peak_dbtp"] == round(data["true_peak_dbtp"], 2)
        assert row["integrated_lufs"] == round(data["integrated_lufs"], 2)
        assert data["true_peak_dbtp"] <= {"streaming": -1.0, "cd": -0.3}[profile]


def test_master_layout_sets_the_loudness_weights(tmp_path: Path) -> None:
    """An 8-channel file without a channel mask: --layout 0+7+0 (sides at channels 5-6, +1.5 dB)
    against the default 7.1 order (rear pair there, 0 dB): the side channels are loud, so the
    same target needs less gain with the BS.2051 order."""
    n = 4 * 48000
    t = np.arange(n) / 48000
    x = np.zeros((8, n))
    x[4] = x[5] = 0.5 * np.sin(2 * np.pi * 440 * t)
    x[0] = x[1] = 0.05 * np.sin(2 * np.pi * 220 * t)
    src = tmp_path / "eight.wav"
    sf.write(src, x.T, 48000, subtype="FLOAT")
    runner = CliRunner()
    gains = {}
    for layout in (None, "0+7+0"):
        out = tmp_path / f"{layout or 'default'}.wav"
        args = ["master", str(src), "--profile", "ebu-r128", "-o", str(out), "--json"]
        result = runner.invoke(cli, [*args, *(["--layout", layout] if layout else [])])
        assert result.exit_code == 0, result.output
        gains[layout] = json.loads(result.output)[0]["gain_db"]
        metered = runner.invoke(
            cli, ["meter", "--json", *(["--layout", layout] if layout else []), str(out)]
        )
        assert json.loads(metered.output)["integrated_lufs"] == pytest.approx(-23.0, abs=0.1)
    assert gains[None] - gains["0+7+0"] == pytest.approx(10 * np.log10(1.41), abs=0.05)
    bad = runner.invoke(cli, ["master", str(src), "--layout", "5.1", "--json"])
    assert bad.exit_code == 2 and "6 channel(s) but the audio has 8" in bad.output
