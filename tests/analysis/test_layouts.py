"""Immersive layouts (issue 10): BS.1770-4 channel weights for 7.1 and 7.1.4 (ITU-R BS.2051,
the LFE excluded), from the file's WAVE_FORMAT_EXTENSIBLE channel mask or ``--layout``.

The reference is BS.1770-4 eq. 2 written out: -0.691 + 10 log10(sum G_i z_i) of a steady tone
(gating passes every block), with G_i = 1.41 for M+-090/M+-110 and 1.0 for every other
position, 0 for the LFE (libebur128's ``ebur128_set_channel`` table agrees).
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from loudness_signals import tone_segments

from producer.analysis import layouts, loudness
from producer.audio import speaker_positions
from producer.cli import cli

RATE = 48000
WAVE_71 = 0x63F  # FL FR FC LFE BL BR SL SR
WAVE_714 = 0x2D63F  # + TFL TFR TBL TBR


def _tone(level_dbfs: float = -20.0) -> np.ndarray:
    return tone_segments(RATE, [(3.0, level_dbfs)])[0]


def _expected(weights: tuple[float, ...], levels: list[float]) -> float:
    """BS.1770-4 eq. 2 for 1 kHz tones of peak ``levels`` dBFS, reading -3.01 at 0 dBFS mono."""
    one = loudness.integrated_loudness(_tone(0.0)[np.newaxis, :], RATE)  # K-gain at 1 kHz
    power = sum(w * 10 ** ((lv + 0.0) / 10) for w, lv in zip(weights, levels, strict=True))
    return one + 10 * math.log10(power) if power > 0 else -math.inf


def test_weights_of_the_bs2051_systems() -> None:
    assert layouts.parse("0+7+0", 8).weights == (1, 1, 1, 0, 1.41, 1.41, 1, 1)
    assert layouts.parse("4+7+0", 12).weights == (1, 1, 1, 0, 1.41, 1.41, 1, 1, 1, 1, 1, 1)
    # The names follow the files' channel order: the rear pair before the side pair.
    assert layouts.parse("7.1", 8).weights == (1, 1, 1, 0, 1, 1, 1.41, 1.41)
    assert layouts.parse("7.1.4", 12).weights == (1, 1, 1, 0, 1, 1, 1.41, 1.41, 1, 1, 1, 1)
    assert (
        layouts.parse("L,R,C,LFE,Lss,Rss,Lrs,Rrs", 8).weights == layouts.parse("0+7+0", 8).weights
    )
    assert layouts.weight("M+060") == layouts.weight("M-120") == 1.41
    assert layouts.weight("M+135") == layouts.weight("U+090") == layouts.weight("M+030") == 1.0


@pytest.mark.parametrize(
    ("mask", "channels", "weights"),
    [
        (0x3F, 6, (1, 1, 1, 0, 1.41, 1.41)),  # 5.1 with back speakers: they are the surrounds
        (0x60F, 6, (1, 1, 1, 0, 1.41, 1.41)),  # 5.1 with side speakers
        (WAVE_71, 8, (1, 1, 1, 0, 1, 1, 1.41, 1.41)),
        (WAVE_714, 12, (1, 1, 1, 0, 1, 1, 1.41, 1.41, 1, 1, 1, 1)),
    ],
)
def test_channel_masks(mask: int, channels: int, weights: tuple[float, ...]) -> None:
    found = layouts.from_channel_mask(mask, channels)
    assert found is not None and found.weights == weights
    assert layouts.from_channel_mask(mask, channels + 1) is None  # a mask that does not fit


def _write_extensible(path: Path, audio: np.ndarray, mask: int) -> Path:
    """A 32-bit float WAVE_FORMAT_EXTENSIBLE file with ``mask``, written field by field (the
    layout a DAW's multichannel export declares; libsndfile reads it)."""
    channels, frames = audio.shape
    data = np.ascontiguousarray(audio.T, dtype="<f4").tobytes()
    ieee_float = bytes.fromhex("0300000000001000800000aa00389b71")
    fmt = struct.pack(
        "<HHIIHHHHI16s", 0xFFFE, channels, RATE, RATE * 4 * channels, 4 * channels, 32, 22, 32,
        mask, ieee_float,
    )  # fmt: skip
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    assert speaker_positions(path) == tuple(
        n for i, n in enumerate(layouts.SPEAKER_BITS) if mask & (1 << i)
    )
    assert sf.info(str(path)).frames == frames
    return path


@pytest.mark.parametrize("channels", [8, 12])
def test_immersive_tone_per_channel_reads_eq2(channels: int, tmp_path: Path) -> None:
    """One tone per channel, each at its own level: I = eq. 2 with the layout's weights."""
    levels = [-20.0 - 1.5 * i for i in range(channels)]
    audio = np.stack([_tone(lv) for lv in levels]).astype(np.float32)
    mask = WAVE_71 if channels == 8 else WAVE_714
    path = _write_extensible(tmp_path / "immersive.wav", audio, mask)
    weights = layouts.from_channel_mask(mask, channels).weights  # type: ignore[union-attr]
    report = loudness.measure_file(path)
    assert report.integrated_lufs == pytest.approx(_expected(weights, levels), abs=0.01)
    assert report.layout_source == "channel mask"
    # The LFE (channel 3) is not measured: silencing it changes nothing.
    no_lfe = audio.copy()
    no_lfe[3] = 0
    assert loudness.measure(no_lfe, RATE, layout=report.layout).integrated_lufs == pytest.approx(
        report.integrated_lufs, abs=1e-6
    )


def test_layout_option_names_the_layout_of_a_file_without_mask(tmp_path: Path) -> None:
    """An 8-channel WAV without extensible header: by count it is 7.1 in file order; the
    BS.2051 order (sides at channels 5-6) is named with --layout and changes the reading."""
    levels = [-40.0] * 8
    levels[4] = levels[5] = -20.0  # loud on channels 5-6: rear pair in file order, sides in BS.2051
    audio = np.stack([_tone(lv) for lv in levels]).astype(np.float32)
    path = tmp_path / "eight.wav"
    sf.write(path, audio.T, RATE, subtype="PCM_24", format="WAV")
    runner = CliRunner()
    plain = json.loads(runner.invoke(cli, ["meter", "--json", str(path)]).output)
    named = json.loads(
        runner.invoke(cli, ["meter", "--json", "--layout", "0+7+0", str(path)]).output
    )
    assert plain["layout"] == "7.1" and plain["layout_source"] == "channel count"
    assert named["layout"] == "0+7+0" and named["layout_source"] == "--layout"
    assert named["channel_weights"] == [1, 1, 1, 0, 1.41, 1.41, 1, 1]
    want_plain = _expected(layouts.parse("7.1", 8).weights, levels)
    want_named = _expected(layouts.parse("0+7+0", 8).weights, levels)
    assert plain["integrated_lufs"] == pytest.approx(want_plain, abs=0.01)
    assert named["integrated_lufs"] == pytest.approx(want_named, abs=0.01)
    assert named["integrated_lufs"] - plain["integrated_lufs"] > 1.0


def test_bad_layouts_are_one_line_errors(tmp_path: Path) -> None:
    path = tmp_path / "stereo.wav"
    sf.write(path, np.zeros((4800, 2)), RATE)
    runner = CliRunner()
    wrong = runner.invoke(cli, ["meter", "--layout", "7.1.4", str(path)])
    assert wrong.exit_code == 2
    assert "7.1.4" in wrong.output and "12 channel(s) but the audio has 2" in wrong.output
    unknown = runner.invoke(cli, ["meter", "--layout", "L,R,Q", str(path)])
    assert unknown.exit_code == 2 and "'Q' is not a BS.2051 position" in unknown.output
    assert "Traceback" not in wrong.output + unknown.output


def test_a_real_nuendo_71_export_declares_its_layout(testdata: Path) -> None:
    """A 7.1 WAV written by Nuendo: its channel mask (FL FR FC LFE BL BR SL SR) gives the 7.1
    weights, the side pair at +1.5 dB, the LFE unmeasured."""
    path = testdata / "robustness/wavinfo/nuendo/wavinfo Test Project - Audio - 7.1.wav"
    report = loudness.measure_file(path)
    assert (report.layout, report.layout_source) == ("7.1", "channel mask")
    assert report.channel_weights == (1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.41, 1.41)
    named = loudness.measure_file(path, layout="0+7+0")
    assert named.layout_source.startswith("--layout (overrides the file's FL FR FC LFE")
