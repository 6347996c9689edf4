"""The chain beyond the matrix: honest failure past the limiting budget, reference matching,
silent input, Spotify's stricter ceiling for loud masters, custom targets, EQ and compressor."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from producer.errors import NotFoundError, UserError
from producer.mastering.chain import (
    ChainSettings,
    CompressorSettings,
    EqBand,
    long_term_spectrum_db,
    master,
)
from producer.mastering.profiles import get_profile, load_profiles

from .refs import ebu_integrated, pinkish, true_peak_fft_dbtp

SR = 44100


def _hits(seconds: float = 3.5) -> np.ndarray:
    """Isolated decaying hits over near-silence: a very dynamic, very quiet input."""
    n = int(seconds * SR)
    env = np.zeros(n)
    for start in np.arange(0.1, seconds, 1.0):
        k = int(start * SR)
        env[k:] += np.exp(-(np.arange(n - k)) / (0.01 * SR))
    return (pinkish(n, 2, 21) * env * 0.05).astype(np.float32)


def test_unreachable_target_is_reported_not_missed_silently() -> None:
    prof = get_profile("cd", target_lufs=-6.0)
    settings = ChainSettings(max_limiting_db=6.0)
    r = master(_hits(), SR, prof, settings)
    assert not r.passed
    assert "limiting" in r.problems[0] and "-6.0 LUFS" in r.problems[0]
    measured = ebu_integrated(r.audio, r.sample_rate)
    # What is reported is what was achieved, and the ceiling still holds.
    assert r.integrated_lufs == pytest.approx(measured, abs=0.05)
    assert measured < -6.0 - 0.1
    assert true_peak_fft_dbtp(r.audio, r.sample_rate) <= prof.ceiling_dbtp
    assert r.max_gain_reduction_db <= 6.0 + 1e-9


def test_reference_matching_hits_reference_loudness_and_moves_the_balance() -> None:
    n = int(3.5 * SR)
    dull = pinkish(n, 2, 31)
    import pedalboard

    bright = pedalboard.HighShelfFilter(cutoff_frequency_hz=3000, gain_db=6)(dull, SR) * 0.5
    bright = np.asarray(bright, dtype=np.float32)
    ref_lufs = ebu_integrated(bright, SR)
    prof = get_profile("streaming")
    r = master(dull, SR, prof, reference=(bright, SR), target_lufs=ref_lufs)
    assert ebu_integrated(r.audio, r.sample_rate) == pytest.approx(ref_lufs, abs=0.1)
    f, before = long_term_spectrum_db(dull, SR)
    _, after = long_term_spectrum_db(r.audio, SR)
    _, want = long_term_spectrum_db(bright, SR)
    band = (f > 200) & (f < 12000)

    def tilt(db: np.ndarray) -> float:
        hi = db[(f > 6000) & (f < 12000)].mean()
        lo = db[(f > 200) & (f < 1000)].mean()
        return float(hi - lo)

    assert abs(tilt(after) - tilt(want)) < 1.5 < abs(tilt(before) - tilt(want))
    assert band.any()


def test_silent_input_is_a_user_error() -> None:
    with pytest.raises(UserError, match="silent"):
        master(np.zeros((2, SR), dtype=np.float32), SR, get_profile("streaming"))
    with pytest.raises(UserError, match="silent"):
        master(np.full((2, SR), 1e-6, dtype=np.float32), SR, get_profile("streaming"))


def test_unknown_profile() -> None:
    with pytest.raises(NotFoundError, match="unknown delivery profile 'nope'"):
        get_profile("nope")


def test_custom_target_and_spotify_louder_ceiling() -> None:
    x = pinkish(int(3.5 * SR), 2, 41) * np.float32(0.5)
    spotify = get_profile("spotify", target_lufs=-10.0)
    r = master(x, SR, spotify)
    assert r.ceiling_dbtp == -2.0  # louder than -14 LUFS: Spotify asks for -2 dBTP
    assert true_peak_fft_dbtp(r.audio, r.sample_rate) <= -2.0
    assert ebu_integrated(r.audio, r.sample_rate) == pytest.approx(-10.0, abs=0.1)
    custom = get_profile("streaming", target_lufs=-18.0, ceiling_dbtp=-3.0)
    r2 = master(x, SR, custom)
    assert ebu_integrated(r2.audio, r2.sample_rate) == pytest.approx(-18.0, abs=0.1)
    assert true_peak_fft_dbtp(r2.audio, r2.sample_rate) <= -3.0


def test_bad_custom_values_are_user_errors() -> None:
    with pytest.raises(UserError, match="ceiling_dbtp"):
        get_profile("streaming", ceiling_dbtp=3.0)
    with pytest.raises(UserError, match="target_lufs"):
        get_profile("streaming", target_lufs=5.0)


def test_eq_and_compressor_settings_still_land_on_target() -> None:
    x = pinkish(int(3.5 * SR), 2, 51) * np.float32(0.3)
    settings = ChainSettings(
        eq=(EqBand("low_shelf", 120.0, 2.0), EqBand("peak", 2500.0, -1.5, 1.0)),
        tilt_db=1.0,
        compressor=CompressorSettings(),
    )
    prof = get_profile("deezer")
    r = master(x, SR, prof, settings)
    assert ebu_integrated(r.audio, r.sample_rate) == pytest.approx(-15.0, abs=0.1)
    with pytest.raises(UserError, match="EQ band kind"):
        master(x, SR, prof, replace(settings, eq=(EqBand("notch", 1.0, 1.0),)))


def test_every_profile_is_editable_data() -> None:
    profiles = load_profiles()
    assert set(profiles) >= {
        "streaming", "spotify", "apple", "youtube", "amazon", "deezer", "aes-td1008",
        "ebu-r128", "ebu-r128-codec", "atsc-a85", "cd",
    }  # fmt: skip
    cd = profiles["cd"]
    assert (cd.target_lufs, cd.ceiling_dbtp, cd.sample_rate, cd.bit_depth) == (
        -11.0, -0.3, 44100, "16",
    )  # fmt: skip
    assert profiles["ebu-r128"].tolerance_lu == 0.2


def test_noise_shaped_cd_master_is_on_target_and_on_the_grid() -> None:
    x = pinkish(int(3.5 * SR), 2, 71) * np.float32(0.2)
    prof = get_profile("cd")
    r = master(x, SR, prof, ChainSettings(noise_shaping=True))
    assert ebu_integrated(r.audio, SR) == pytest.approx(-11.0, abs=0.1)
    assert true_peak_fft_dbtp(r.audio, SR) <= prof.ceiling_dbtp
    ints = r.audio.astype(np.float64) * 32768
    np.testing.assert_array_equal(ints, np.round(ints))
