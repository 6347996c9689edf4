"""TPDF dither: a −85 dBFS 1 kHz sine at 16 bits keeps no harmonic above the noise floor, the
error is TPDF-like (mean 0, power 1/4 LSB², no noise modulation), values sit on the PCM grid.

The same measurement on plain rounding (what libsndfile does) shows the harmonics, so the test
can tell the difference (STANDARDS.md §3.7).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.signal

from producer.dsp import dither

SR = 44100
LSB16 = 2.0**-15


def _sine(level_dbfs: float, seconds: float = 4.0, freq: float = 1000.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (10 ** (level_dbfs / 20) * np.sin(2 * np.pi * freq * t))[np.newaxis, :]


def _harmonic_excess_db(y: np.ndarray) -> float:
    """Largest level of harmonics 2..7 of 1 kHz over the median noise floor around them (dB)."""
    f, p = scipy.signal.welch(
        y[0].astype(np.float64), fs=SR, nperseg=16384, window="blackmanharris"
    )
    worst = -np.inf
    for h in range(2, 8):
        k = int(np.argmin(np.abs(f - 1000.0 * h)))
        peak = np.max(p[k - 2 : k + 3])
        floor = np.median(np.r_[p[k - 60 : k - 10], p[k + 10 : k + 60]])
        worst = max(worst, 10 * np.log10(peak / floor))
    return float(worst)


def test_no_harmonics_with_tpdf_dither() -> None:
    x = _sine(-85.0).astype(np.float32)
    q = dither.quantize(x, 16, rng=np.random.default_rng(7))
    # A 5-bin window on a smooth floor: up to ~6 dB is the noise's own spread.
    assert _harmonic_excess_db(q) < 6.0


def test_plain_rounding_shows_the_harmonics_the_test_looks_for() -> None:
    x = _sine(-85.0)
    rounded = np.round(x / LSB16) * LSB16  # libsndfile's PCM_16 behaviour: no dither
    assert _harmonic_excess_db(rounded) > 20.0


def test_values_on_the_16_and_24_bit_grid() -> None:
    x = (np.random.default_rng(1).standard_normal((2, 10000)) * 0.3).astype(np.float32)
    for bits in (16, 24):
        q = dither.quantize(x, bits, rng=np.random.default_rng(2))
        ints = q.astype(np.float64) * 2.0 ** (bits - 1)
        np.testing.assert_array_equal(ints, np.round(ints))
        assert q.dtype == np.float32 and q.shape == x.shape


def test_full_scale_is_clipped_to_the_pcm_range() -> None:
    x = np.array([[1.0, -1.0, 0.99999]], dtype=np.float32)
    q = dither.quantize(x, 16, rng=np.random.default_rng(0))
    assert q.max() <= 1.0 - LSB16 and q.min() >= -1.0


def test_error_is_tpdf_like() -> None:
    rng = np.random.default_rng(3)
    n = 200_000
    # A slow ramp through many LSBs plus a loud and a quiet half: the error statistics must
    # not depend on the signal (no noise modulation).
    x = np.concatenate([np.linspace(-0.001, 0.001, n), 0.5 * np.sin(np.arange(n) * 0.01)])
    q = dither.quantize(x[np.newaxis, :].astype(np.float32), 16, rng=rng)[0].astype(np.float64)
    err = (q - x.astype(np.float32).astype(np.float64)) / LSB16
    for part in (err[:n], err[n:]):
        assert abs(part.mean()) < 0.01
        # TPDF (variance 1/6) + rounding (1/12) = 1/4 LSB² total (Wannamaker et al. 2000).
        assert part.var() == pytest.approx(0.25, rel=0.03)
        assert np.max(np.abs(part)) <= 1.5 + 1e-9  # support of TPDF + rounding: ±1.5 LSB
    assert dither.noise_floor_dbfs(16) == pytest.approx(-96.33, abs=0.01)
    # Uncorrelated with the signal.
    assert abs(np.corrcoef(err[n:], x[n:])[0, 1]) < 0.01


def test_dither_noise_itself_is_triangular() -> None:
    d = dither.tpdf_noise((1, 400_000), 16, np.random.default_rng(4))[0] / LSB16
    hist, edges = np.histogram(d, bins=20, range=(-1, 1), density=True)
    centres = (edges[1:] + edges[:-1]) / 2
    np.testing.assert_allclose(hist, 1 - np.abs(centres), atol=0.03)


def test_noise_shaping_moves_noise_up() -> None:
    x = np.zeros((1, 60000), dtype=np.float32) + np.float32(0.3 * LSB16)
    q = dither.quantize(x, 16, rng=np.random.default_rng(5), noise_shaping=True, sample_rate=SR)
    f, p = scipy.signal.welch((q[0] - x[0]).astype(np.float64), fs=SR, nperseg=4096)
    low = p[(f > 1000) & (f < 4000)].mean()
    high = p[(f > 16000) & (f < 20000)].mean()
    assert 10 * np.log10(high / low) > 20.0
    ints = q.astype(np.float64) * 2.0**15
    np.testing.assert_array_equal(ints, np.round(ints))


def test_unsupported_depth_is_a_user_error() -> None:
    from producer.errors import UserError

    with pytest.raises(UserError, match="bit depth 8"):
        dither.quantize(np.zeros((1, 4), dtype=np.float32), 8)


def test_delivered_16_bit_file_keeps_the_sine_clean_and_the_floor_tpdf(tmp_path: Path) -> None:
    """Through the delivery path: dither, write PCM_16 with soundfile, read the file back."""
    import soundfile as sf

    from producer.mastering.export import write_master

    x = _sine(-85.0)
    q = dither.quantize(x.astype(np.float32), 16, rng=np.random.default_rng(9))
    path = write_master(tmp_path / "sine.wav", q, SR, "16")
    assert sf.info(str(path)).subtype == "PCM_16"
    back, _ = sf.read(str(path), dtype="float64", always_2d=True)
    assert _harmonic_excess_db(back.T) < 6.0
    err = (back[:, 0] - x[0].astype(np.float32)) / LSB16
    assert err.var() == pytest.approx(0.25, rel=0.03) and abs(err.mean()) < 0.01
    # Flat (white) floor: no band of the error spectrum stands out (no tones, no shaping).
    f, p = scipy.signal.welch(err, fs=SR, nperseg=4096)
    bands = [p[(f > lo) & (f < lo * 2)].mean() for lo in (200, 1000, 5000, 10000)]
    assert max(bands) / min(bands) < 1.3


def test_compiled_noise_shaper_is_the_reference_loop() -> None:
    """The numba kernel runs exactly the plain-Python error-feedback loop (same integers)."""
    rng = np.random.default_rng(11)
    scale = 2.0**15
    audio = (rng.standard_normal((3, 5000)) * 0.01).astype(np.float32)  # odd: a pair + a single
    noise = rng.uniform(-1, 1, (3, 5000)).astype(np.float32)
    taps = np.asarray(dither._F_WEIGHTED_44K)
    history = np.zeros((3, len(taps)))
    got = dither._shaping_kernel()(audio, noise, scale, taps, history)
    for c in range(3):
        h = np.zeros(len(taps))
        want = dither.shape_reference(audio[c].astype(np.float64) * scale, noise[c], taps, h)
        np.testing.assert_array_equal(
            got[c].astype(np.float64) * scale, np.clip(want, -scale, scale - 1)
        )
        np.testing.assert_array_equal(history[c], h)


@pytest.mark.parametrize("shaping", [False, True])
@pytest.mark.parametrize("bits", [16, 24])
def test_quantizing_block_by_block_equals_the_whole(bits: int, shaping: bool) -> None:
    """The streaming quantiser keeps the generator and the error history across blocks."""
    x = (np.random.default_rng(12).standard_normal((2, 30000)) * 0.2).astype(np.float32)
    whole = dither.quantize(x, bits, np.random.default_rng(13), shaping, 44100)
    q = dither.Quantizer(bits, 2, np.random.default_rng(13), shaping, 44100)
    # The generator draws per block, so the blocks must be drawn in the same sizes to match:
    # one draw per block is what makes streaming cheap; compare the whole with one block.
    np.testing.assert_array_equal(q.process(x), whole)
    if shaping:
        # The error history carries over: the second half quantised after the first differs
        # from the second half quantised alone (same noise), and equals the reference loop.
        q2 = dither.Quantizer(bits, 2, np.random.default_rng(14), True, 44100)
        first, second = q2.process(x[:, :15000]), q2.process(x[:, 15000:])
        r = np.random.default_rng(14)
        noise = [dither._tpdf_lsb((2, 15000), r), dither._tpdf_lsb((2, 15000), r)]
        taps = np.asarray(dither._F_WEIGHTED_44K)
        scale = 2.0 ** (bits - 1)
        for c in range(2):
            hist = np.zeros(len(taps))
            ref = np.concatenate(
                [
                    dither.shape_reference(x[c, :15000] * scale, noise[0][c], taps, hist),
                    dither.shape_reference(x[c, 15000:] * scale, noise[1][c], taps, hist),
                ]
            )
            got = np.concatenate([first[c], second[c]]).astype(np.float64) * scale
            np.testing.assert_array_equal(got, np.clip(ref, -scale, scale - 1))
