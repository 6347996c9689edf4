"""Import: sources untouched, stored once, converted with soxr VHQ, odd real files read."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from producer.errors import FormatError, NotFoundError
from producer.storage import Project
from producer.workflows import project as wf


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_source_byte_identical_and_stored_once(project: Project, sine: Path) -> None:
    before = sine.read_bytes()
    mtime = sine.stat().st_mtime_ns
    a = project.import_media(sine)
    b = project.import_media(sine)
    assert sine.read_bytes() == before and sine.stat().st_mtime_ns == mtime
    assert a == b
    media = [p for p in (project.root / "media").iterdir()]
    assert len(media) == 1
    # Same rate and lossless: the stored file is the source's bytes, named by their hash.
    assert media[0].read_bytes() == before
    assert a.sha256 == a.source_sha256 == sha(sine)
    assert a.path == f"media/{sha(sine)}.wav"
    assert (a.sample_rate, a.channels, a.frames) == (48000, 2, 24000)


def test_same_file_twice_through_cli_workflow(project: Project, sine: Path) -> None:
    placed = wf.import_audio(project.root, "first-song", [sine, sine], track="Gtr", at_seconds=1)
    assert [p.clip_id for p in placed] == ["c1", "c2"]
    assert len(list((project.root / "media").iterdir())) == 1
    song = Project.open(project.root).song("first-song")
    clips = song.tracks[0].all_clips()
    assert [c.start_frame for c in clips] == [48000, 48000 + 24000]  # one after another


def test_resampled_import_matches_analytic_sine(
    project: Project, tmp_path: Path, make_wav: Any
) -> None:
    """44.1 kHz → 48 kHz: the stored file is the same sine at 48 kHz (null test in the
    middle, away from the edges where the filter rings) and its hash is of the new file."""
    src = make_wav(
        tmp_path / "s44.wav", rate=44100, seconds=1.0, channels=1, freq_hz=1000.0, subtype="FLOAT"
    )
    ref = project.import_media(src)
    stored = project.root / ref.path
    assert ref.path.endswith("-48000hz.wav")
    assert ref.source_sha256 == sha(src) and ref.sha256 == sha(stored) != ref.source_sha256
    assert (ref.sample_rate, ref.frames) == (48000, 48000)
    y, rate = sf.read(str(stored), dtype="float64")
    assert rate == 48000 and sf.info(str(stored)).subtype == "FLOAT"
    t = np.arange(48000) / 48000
    expected = 0.5 * np.sin(2 * np.pi * 1000.0 * t)
    mid = slice(4800, 43200)
    err_db = 20 * np.log10(np.max(np.abs(y[mid] - expected[mid])) + 1e-30)
    assert err_db < -100, err_db


def test_not_audio_is_refused(project: Project, tmp_path: Path) -> None:
    bogus = tmp_path / "notes.wav"
    bogus.write_text("this is not audio")
    with pytest.raises(FormatError, match=r"notes\.wav: not a readable audio file"):
        project.import_media(bogus)
    with pytest.raises(NotFoundError, match="no such file"):
        project.import_media(tmp_path / "missing.wav")
    assert list((project.root / "media").iterdir()) == []


ROBUST_OK = [
    "libbw64/rect_24bit_rf64.wav",  # RF64
    "libbw64/rect_24bit_bext.wav",  # BWF bext
    "libbw64/rect_16bit.wav",
    "libbw64/rect_32bit.wav",
    "libbw64/noise_24bit_uneven_data_chunk_size.wav",
    "hound/pro_tools_bext.wav",
    "hound/reaper_bext.wav",
    "hound/pcmwaveformat-8bit-44100Hz-mono.wav",  # 8-bit unsigned
    "hound/waveformatex-ieeefloat-44100Hz-mono.wav",  # float
    "hound/waveformatextensible-24bit-192kHz-mono.wav",  # extensible
    "hound/waveformatextensible-32bit-48kHz-stereo.wav",
    "scipy/test-44100Hz-le-1ch-4bytes-rf64.wav",
    "scipy/test-48000Hz-2ch-64bit-float-le-wavex.wav",
    "scipy/test-8000Hz-be-3ch-5S-24bit.wav",
    "wavinfo/nuendo/wavinfo Test Project - Audio - 5.1.wav",  # iXML, 6 channels
    "wavinfo/protools/umid.wav",
    "cpython-audiodata/pluck-pcm24.aiff",
    "cpython-audiodata/pluck-ulaw.au",
    "flac-foreign-metadata/BWF-WaveFmtEx.wav",
]

ROBUST_BROKEN = [
    "hound/fuzz/crash-24728523ef4be15c838293b676f6853e73723bf4.wav",
    "hound/fuzz/crash-b8447179832529c48f9c6bf17feab6337bbc78ea.wav",
    "hound/fuzz/crash-cbd757427cea12bd8a21f86cd8cf74d98ce56bee.wav",
    "hound/fuzz/crash-e5471f5b58397287b509db7d026e95f1724454f5.wav",
    "hound/fuzz/crash-e879de4eb4d206c59e21f0e01def16457af80fdc.wav",
    "hound/fuzz/oom-48ae4cd061ff8578ad3f23dc87624bd365cf5216.wav",
    "libbw64/rect_24bit_noriff.wav",
    "libbw64/rect_24bit_nowave.wav",
    "libbw64/rect_24bit_wrong_fmt_size.wav",
    "scipy/test-44100Hz-le-1ch-4bytes-early-eof-no-data.wav",
    "scipy/test-8000Hz-le-3ch-5S-64bit.wav",
]


@pytest.mark.parametrize("name", ROBUST_OK)
def test_odd_real_files_import(project: Project, testdata: Path, name: str) -> None:
    src = testdata / "robustness" / name
    before = sha(src)
    ref = project.import_media(src)
    assert sha(src) == before
    info = sf.info(str(src))
    assert ref.channels == info.channels and ref.sample_rate == 48000
    assert ref.frames == round(info.frames * 48000 / info.samplerate)
    data, _ = sf.read(str(project.root / ref.path), dtype="float32", always_2d=True)
    assert data.shape == (ref.frames, ref.channels) and np.isfinite(data).all()


@pytest.mark.parametrize("name", ROBUST_BROKEN)
def test_broken_real_files_refused(project: Project, testdata: Path, name: str) -> None:
    src = testdata / "robustness" / name
    with pytest.raises(FormatError, match=str(src.name).replace(".", r"\.")):
        project.import_media(src)
    assert list((project.root / "media").iterdir()) == []


@pytest.mark.parametrize(
    ("fmt", "subtype", "verbatim"),
    [
        ("FLAC", "PCM_16", True),
        ("AIFF", "PCM_24", True),
        ("OGG", "VORBIS", False),
        ("MP3", "MPEG_LAYER_III", False),
    ],
)
def test_formats(project: Project, tmp_path: Path, fmt: str, subtype: str, verbatim: bool) -> None:
    """Lossless files at the project rate are kept as they are; lossy ones are decoded to WAV
    (their frame count is only exact once decoded)."""
    if fmt not in sf.available_formats():
        pytest.skip(f"libsndfile here cannot write {fmt}")
    src = tmp_path / f"x.{fmt.lower()}"
    t = np.arange(24000) / 48000
    sf.write(str(src), 0.3 * np.sin(2 * np.pi * 440 * t), 48000, format=fmt, subtype=subtype)
    ref = project.import_media(src)
    stored = project.root / ref.path
    if verbatim:
        assert stored.read_bytes() == src.read_bytes() and stored.suffix == f".{fmt.lower()}"
    else:
        assert ref.path.endswith("-48000hz.wav") and sf.info(str(stored)).subtype == "FLOAT"
    data, _ = sf.read(str(stored), always_2d=True)
    assert data.shape == (ref.frames, 1) and abs(ref.frames - 24000) < 2400


def test_container_libsndfile_cannot_read(project: Project, testdata: Path) -> None:
    src = testdata / "multitrack" / "musdb18-7-sample" / "Music Delta - 80s Rock.stem.mp4"
    with pytest.raises(FormatError, match="not a readable audio file"):
        project.import_media(src)


def test_float_file_with_nan_is_refused(project: Project, tmp_path: Path) -> None:
    src = tmp_path / "nan.wav"
    x = np.zeros((1000, 1), np.float32)
    x[500] = np.nan
    sf.write(str(src), x, 48000, subtype="FLOAT")
    with pytest.raises(FormatError, match=r"nan\.wav: contains NaN or Inf samples"):
        project.import_media(src)
    assert list((project.root / "media").iterdir()) == []
