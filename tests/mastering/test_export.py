"""Export: formats, bit depths, BWF bext (description with ISRC, v2 loudness), mutagen tags,
atomic writes (an interrupted write leaves no file under the final name), delivery reports."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import mutagen.flac
import mutagen.mp3
import mutagen.oggvorbis
import mutagen.wave
import numpy as np
import pytest
import soundfile as sf

from producer.dsp import dither
from producer.errors import UserError
from producer.mastering import export
from producer.mastering.chain import master
from producer.mastering.profiles import get_profile
from producer.mastering.report import ReportContext, write_reports
from producer.mastering.verdict import file_facts, judge, profile_goal

from .refs import pinkish

SR = 44100
TAGS = export.Tags("Song", "Artist", "Album", 3, 10, "GBAYE0601498", "2026")


def _audio(bits: int = 16) -> np.ndarray:
    x = pinkish(SR, 2, 61) * np.float32(0.3)
    return dither.quantize(x, bits, rng=np.random.default_rng(0))


@pytest.mark.parametrize(
    ("bits", "subtype"), [("16", "PCM_16"), ("24", "PCM_24"), ("32f", "FLOAT")]
)
def test_wav_depths_bext_and_tags(tmp_path: Path, bits: str, subtype: str) -> None:
    a = _audio(16 if bits == "16" else 24)
    loud = export.Loudness(-14.0, 5.25, -1.01)
    path = export.write_master(tmp_path / "m.wav", a, SR, bits, TAGS, loud, "master")
    info = sf.info(str(path))
    assert info.subtype == subtype and info.samplerate == SR
    back, _ = sf.read(str(path), dtype="float32", always_2d=True)
    np.testing.assert_array_equal(back.T, a)
    assert export.read_bext_description(path) == "ISRC:GBAYE0601498 master"
    data = path.read_bytes()
    pos = data.index(b"bext") + 8
    # EBU Tech 3285 v2 layout: Version after 256+32+32+10+8+8 bytes, loudness after the UMID.
    (version,) = struct.unpack("<H", data[pos + 346 : pos + 348])
    lufs, lra, tp = struct.unpack("<hhh", data[pos + 412 : pos + 418])
    assert (version, lufs, lra, tp) == (2, -1400, 525, -101)
    tags = mutagen.wave.WAVE(str(path)).tags
    assert str(tags["TSRC"]) == "GBAYE0601498" and str(tags["TRCK"]) == "3/10"
    assert str(tags["TIT2"]) == "Song" and str(tags["TDRC"]) == "2026"


def test_flac_mp3_ogg_with_tags(tmp_path: Path) -> None:
    a = _audio()
    flac = export.write_master(tmp_path / "m.flac", a, SR, "16", TAGS)
    back, _ = sf.read(str(flac), dtype="float32", always_2d=True)
    np.testing.assert_array_equal(back.T, a)
    f = mutagen.flac.FLAC(str(flac))
    assert f["ISRC"] == ["GBAYE0601498"] and f["TRACKNUMBER"] == ["3"]
    mp3 = export.write_master(tmp_path / "m.mp3", a, SR, "16", TAGS)
    assert str(mutagen.mp3.MP3(str(mp3)).tags["TSRC"]) == "GBAYE0601498"
    ogg = export.write_master(tmp_path / "m.ogg", a, SR, "16", TAGS)
    assert mutagen.oggvorbis.OggVorbis(str(ogg))["ISRC"] == ["GBAYE0601498"]
    assert sf.info(str(mp3)).samplerate == SR


def test_unknown_format_and_flac_float_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="unknown output format"):
        export.write_master(tmp_path / "m.aiff2", _audio(), SR, "16")
    with pytest.raises(UserError, match="cannot hold bit depth 32f"):
        export.write_master(tmp_path / "m.flac", _audio(), SR, "32f")


def test_interrupted_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(path: Path, fmt: str, tags: export.Tags) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(export, "write_tags", boom)
    with pytest.raises(KeyboardInterrupt):
        export.write_master(tmp_path / "m.wav", _audio(), SR, "16", TAGS)
    assert list(tmp_path.iterdir()) == []


def test_delivery_report_json_and_html(tmp_path: Path) -> None:
    x = pinkish(int(3.5 * SR), 2, 62) * np.float32(0.2)
    prof = get_profile("cd")
    r = master(x, SR, prof)
    path = tmp_path / "01-song.wav"
    export.write_master(path, r.audio, r.sample_rate, r.bit_depth)
    verdict = judge(r, prof, profile_goal(prof), file_facts(path))
    jpath, hpath = write_reports(r, prof, verdict, path, ReportContext(input_name="song.wav"))
    data = json.loads(jpath.read_text())
    for field in (
        "path", "profile", "integrated_lufs", "true_peak_dbtp", "loudness_range_lu",
        "sample_rate", "bit_depth", "passed", "gain_db", "limiter_max_gain_reduction_db",
    ):  # fmt: skip
        assert field in data
    assert data["passed"] is True and data["sample_rate"] == 44100 and data["bit_depth"] == "16"
    assert [row["key"] for row in data["requirements"]] == [
        "loudness", "true_peak", "sample_rate", "format", "channels",
    ]  # fmt: skip
    assert all(row["passed"] for row in data["requirements"])
    page = hpath.read_text()
    assert page.count("data:image/svg+xml;base64,") >= 3 and "PASSED" in page
