"""The acceptance matrix shared by test_matrix_a/b: every input x every delivery profile.

Each case masters the input, writes the deliverable to disk as the profile says, reads it
back and checks it with independent references (libebur128 loudness, FFT-interpolated true
peak).
Masters are cached per (input, profile settings) for the module, so profiles with identical
settings (streaming/spotify, apple/aes-td1008) are mastered once.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from producer.mastering import chain, export
from producer.mastering.profiles import DeliveryProfile

from .refs import ebu_integrated, true_peak_fft_dbtp

SUBTYPE = {"16": "PCM_16", "24": "PCM_24", "32f": "FLOAT"}

_cache: dict[tuple[object, ...], chain.MasterResult] = {}


def mastered(
    name: str, audio: np.ndarray, rate: int, profile: DeliveryProfile
) -> chain.MasterResult:
    key = (
        name,
        profile.target_lufs,
        profile.ceiling_dbtp,
        profile.ceiling_louder_dbtp,
        profile.sample_rate,
        profile.bit_depth,
    )
    if key not in _cache:
        _cache[key] = chain.master(audio, rate, profile)
    return _cache[key]


def check_case(
    name: str, audio: np.ndarray, rate: int, profile: DeliveryProfile, tmp: Path
) -> None:
    result = mastered(name, audio, rate, profile)
    assert result.passed, f"{name} / {profile.name}: {result.problems}"
    path = export.write_master(
        tmp / f"{name}-{profile.name}.{profile.formats[0]}",
        result.audio,
        result.sample_rate,
        result.bit_depth,
    )
    info = sf.info(str(path))
    assert info.samplerate == profile.sample_rate
    assert info.subtype == SUBTYPE[profile.bit_depth]
    delivered, sr = sf.read(str(path), dtype="float32", always_2d=True)
    delivered = np.ascontiguousarray(delivered.T)
    # The file holds exactly the measured samples (dither happened once, before writing).
    np.testing.assert_array_equal(delivered, result.audio)
    integrated = ebu_integrated(delivered, sr)
    assert abs(integrated - profile.target_lufs) <= 0.1, (name, profile.name, integrated)
    # Our reported figure agrees with libebur128.
    assert abs(result.integrated_lufs - integrated) <= 0.05
    peak = true_peak_fft_dbtp(delivered, sr)
    ceiling = profile.ceiling_for(profile.target_lufs)
    assert peak <= ceiling, (name, profile.name, peak, ceiling)
    assert result.true_peak_dbtp <= ceiling
