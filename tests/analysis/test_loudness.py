"""producer.analysis.loudness: coefficients, an independent float64 reference, streaming,
channel weights, silence and bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import scipy.signal
from loudness_signals import tone_segments

from producer.analysis import loudness
from producer.errors import ValidationError

# BS.1770-4 Tables 1 and 2 (48 kHz), then STANDARDS.md §1.3 for the other rates:
# (b0, b1, b2, a1, a2) of stage 1, (a1, a2) of stage 2.
K_TABLE = {
    44100: ((1.53084123005035, -2.65097999515473, 1.16907907992159, -1.66365511325602, 0.71259542807323), (-1.98916967362980, 0.98919903578704)),
    48000: ((1.53512485958697, -2.69169618940638, 1.19839281085285, -1.69065929318241, 0.73248077421585), (-1.99004745483398, 0.99007225036621)),
    88200: ((1.55751537557965, -2.90562707992635, 1.36133397747221, -1.83091998796233, 0.84414226108785), (-1.99457751545034, 0.99458487587805)),
    96000: ((1.55971422897580, -2.92674157825108, 1.37826120231582, -1.84460946989011, 0.85584332293064), (-1.99501754472472, 0.99502375904092)),
    192000: ((1.57222721509128, -3.04728305156155, 1.47797134097961, -1.92220223060749, 0.92511773511683), (-1.99750722284070, 0.99750877835551)),
}  # fmt: skip


@pytest.mark.parametrize("rate", sorted(K_TABLE))
def test_k_weighting_coefficients(rate: int) -> None:
    (b0, b1, b2, a1, a2), (c1, c2) = K_TABLE[rate]
    sos = loudness.k_weighting_sos(rate)
    np.testing.assert_allclose(sos[0], [b0, b1, b2, 1.0, a1, a2], rtol=0, atol=5e-14)
    np.testing.assert_allclose(sos[1], [1.0, -2.0, 1.0, 1.0, c1, c2], rtol=0, atol=5e-14)


def test_k_weighting_response_at_997_hz_cancels_the_offset() -> None:
    """BS.1770-4 Note: a 0 dBFS 997 Hz sine on one channel reads -3.01 LKFS (48 kHz)."""
    _, h = scipy.signal.sosfreqz(loudness.k_weighting_sos(48000), worN=[997.0], fs=48000)
    gain_db = 20 * math.log10(abs(h[0]))
    assert gain_db + loudness.LOUDNESS_OFFSET_DB == pytest.approx(0.0, abs=0.001)


def reference_integrated(audio: np.ndarray, rate: int, weights: list[float]) -> float:
    """BS.1770-4 Annex 1 written out in float64, block by block (independent of the meter)."""
    y = scipy.signal.sosfilt(loudness.k_weighting_sos(rate), audio.astype(np.float64), axis=1)
    block = round(0.4 * rate)
    step = block // 4
    z = np.array(
        [np.mean(y[:, s : s + block] ** 2, axis=1) for s in range(0, y.shape[1] - block + 1, step)]
    )
    power = z @ np.asarray(weights)
    with np.errstate(divide="ignore"):
        level = -0.691 + 10 * np.log10(power)
    above = level > -70
    gate = -0.691 + 10 * np.log10(np.mean(power[above])) - 10
    return float(-0.691 + 10 * np.log10(np.mean(power[above & (level > gate)])))


@pytest.fixture(scope="module")
def programme() -> np.ndarray:
    """12 s of stereo noise with a slow level ramp and a quiet gap (seeded)."""
    rng = np.random.default_rng(7)
    rate = 48000
    n = 12 * rate
    envelope = 10 ** ((-30 + 25 * np.sin(np.linspace(0, 3 * np.pi, n)) ** 2) / 20)
    envelope[4 * rate : 5 * rate] *= 1e-3
    x = rng.standard_normal((2, n)) * envelope
    x[1] = 0.6 * x[1] + 0.4 * x[0]
    return x.astype(np.float32)


def test_integrated_matches_float64_reference(programme: np.ndarray) -> None:
    got = loudness.integrated_loudness(programme, 48000)
    assert got == pytest.approx(reference_integrated(programme, 48000, [1.0, 1.0]), abs=0.001)


@pytest.mark.parametrize("block_frames", [1, 997, 4800, 65537])
def test_streaming_equals_whole_array(programme: np.ndarray, block_frames: int) -> None:
    audio = programme[:, : 5 * 48000 + 123] if block_frames == 1 else programme
    whole = loudness.measure(audio, 48000)
    with loudness.Meter(48000, 2) as meter:
        for start in range(0, audio.shape[1], block_frames if block_frames > 1 else 4096):
            step = block_frames if block_frames > 1 else 4096
            chunk = audio[:, start : start + step]
            if block_frames == 1:  # single frames for the first few hundred, then 4096
                for i in range(min(300, chunk.shape[1]) if start == 0 else 0):
                    meter.add(chunk[:, i : i + 1])
                chunk = chunk[:, 300:] if start == 0 else chunk
            meter.add(chunk)
        streamed = meter.result()
    for name in (
        "integrated_lufs",
        "loudness_range_lu",
        "true_peak_dbtp",
        "sample_peak_dbfs",
        "momentary_max_lufs",
        "short_term_max_lufs",
        "duration_s",
    ):
        assert getattr(streamed, name) == pytest.approx(getattr(whole, name), abs=1e-9), name
    np.testing.assert_allclose(streamed.momentary_lufs, whole.momentary_lufs, atol=1e-9)
    np.testing.assert_allclose(streamed.short_term_lufs, whole.short_term_lufs, atol=1e-9)
    np.testing.assert_array_equal(streamed.true_peak_events_s, whole.true_peak_events_s)


def test_result_does_not_change_the_meter(programme: np.ndarray) -> None:
    with loudness.Meter(48000, 2) as meter:
        meter.add(programme[:, :96000])
        first = meter.result()
        again = meter.result()
        meter.add(programme[:, 96000:])
        full = meter.result()
    assert first.integrated_lufs == again.integrated_lufs
    assert full.integrated_lufs == pytest.approx(loudness.integrated_loudness(programme, 48000))


def test_series_times_and_hop() -> None:
    audio = tone_segments(48000, [(4.0, -20.0)])
    report = loudness.measure(audio, 48000)
    assert report.hop_s == pytest.approx(0.01)
    assert report.momentary_times_s[0] == pytest.approx(0.4)
    assert report.short_term_times_s[0] == pytest.approx(3.0)
    assert report.momentary_times_s[-1] == pytest.approx(4.0)
    assert len(report.short_term_lufs) == 101


@pytest.mark.parametrize("rate", [8000, 11025, 22050, 32000, 44100, 48000, 88200, 96000, 192000])
def test_hop_divides_the_windows(rate: int) -> None:
    hop = loudness.hop_frames(rate)
    assert hop <= 0.01 * rate
    assert round(0.4 * rate) % hop == 0
    assert round(3.0 * rate) % hop == 0


def test_mono_is_one_channel_of_weight_one() -> None:
    stereo = tone_segments(48000, [(5.0, -20.0)])
    mono = stereo[:1]
    diff = loudness.integrated_loudness(stereo, 48000) - loudness.integrated_loudness(mono, 48000)
    assert diff == pytest.approx(10 * math.log10(2), abs=1e-6)  # 3.01 LU
    assert loudness.integrated_loudness(mono[0], 48000) == loudness.integrated_loudness(mono, 48000)


def test_five_one_excludes_lfe_and_weights_surrounds() -> None:
    tone = tone_segments(48000, [(5.0, -20.0)])[0]
    silent = np.zeros_like(tone)
    lfe_only = np.stack([silent, silent, silent, tone, silent, silent])
    assert loudness.integrated_loudness(lfe_only, 48000) == -math.inf
    left = loudness.integrated_loudness(
        np.stack([tone, silent, silent, silent, silent, silent]), 48000
    )
    surround = loudness.integrated_loudness(
        np.stack([silent, silent, silent, silent, tone, silent]), 48000
    )
    assert surround - left == pytest.approx(10 * math.log10(1.41), abs=1e-6)
    assert loudness.default_channel_weights(6) == (1.0, 1.0, 1.0, 0.0, 1.41, 1.41)


def test_explicit_channel_weights() -> None:
    audio = tone_segments(48000, [(5.0, -20.0)])
    base = loudness.measure(audio, 48000).integrated_lufs
    doubled = loudness.measure(audio, 48000, channel_weights=[2.0, 2.0]).integrated_lufs
    assert doubled - base == pytest.approx(10 * math.log10(2), abs=1e-6)
    with pytest.raises(ValidationError, match="channel_weights has 3 values for 2"):
        loudness.measure(audio, 48000, channel_weights=[1.0, 1.0, 1.0])


def test_silence_gives_minus_inf_and_null_json_with_reasons() -> None:
    report = loudness.measure(np.zeros((2, 5 * 48000), np.float32), 48000)
    assert report.integrated_lufs == -math.inf
    assert report.true_peak_dbtp == -math.inf
    assert report.sample_peak_dbfs == -math.inf
    assert math.isnan(report.loudness_range_lu)
    data = report.to_json()
    assert data["integrated_lufs"] is None
    assert data["loudness_range_lu"] is None
    assert json.loads(json.dumps(data)) == data  # strict JSON: no NaN/Infinity tokens
    reasons = report.reasons()
    assert "silence" in reasons["integrated_lufs"]
    assert "silence" in reasons["true_peak_dbtp"]


def test_short_programme_has_no_short_term_value() -> None:
    report = loudness.measure(tone_segments(48000, [(1.0, -20.0)]), 48000)
    assert math.isfinite(report.integrated_lufs)
    assert report.short_term_max_lufs == -math.inf
    assert "shorter than the 3 s" in report.reasons()["short_term_max_lufs"]
    assert set(report.to_json()) == {
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


def test_below_absolute_gate_is_minus_inf() -> None:
    report = loudness.measure(tone_segments(48000, [(2.0, -75.0)]), 48000)
    assert report.integrated_lufs == -math.inf
    assert report.momentary_max_lufs == pytest.approx(-75.0, abs=0.1)


def test_sample_peak_and_true_peak_event() -> None:
    audio = tone_segments(48000, [(1.0, -30.0), (0.05, -0.5), (1.0, -30.0)])
    assert loudness.sample_peak(audio) == pytest.approx(-0.5, abs=0.01)
    report = loudness.measure(audio, 48000)
    assert report.true_peak_dbtp == pytest.approx(-0.5, abs=0.05)
    assert len(report.true_peak_events_s) >= 4
    assert np.all((report.true_peak_events_s >= 0.99) & (report.true_peak_events_s <= 1.06))
    assert 1.0 <= report.true_peak_time_s <= 1.05


@pytest.mark.parametrize(
    ("audio", "message"),
    [
        (np.array([[0.0, np.nan, 0.0]] * 2, np.float32), "NaN or Inf"),
        (np.array([[0.0, np.inf, 0.0]], np.float32), "NaN or Inf"),
        (np.zeros((2, 0), np.float32), "no frames"),
        (np.zeros((2, 2, 2), np.float32), "channels, frames"),
    ],
)
def test_bad_arrays_raise_validation_error(audio: np.ndarray, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        loudness.measure(audio, 48000)


def test_true_peak_filter_passband() -> None:
    """Every branch reproduces a tone up to 0.45 fs within ±0.03 dB (the design promise)."""
    branches = loudness.true_peak_filter(4).astype(np.float64)
    taps = branches.shape[0]
    m = np.arange(taps)
    for f in np.linspace(0.01, 0.45, 45):
        response = np.abs(np.exp(-2j * np.pi * f * m) @ branches)
        assert np.all(np.abs(20 * np.log10(response)) < 0.03), f


@pytest.mark.parametrize("seed", [1, 2])
def test_true_peak_pruning_is_exact(seed: int) -> None:
    """Skipping chunks that cannot hold the peak gives the same true peak and events as
    interpolating everything (a meter whose bound never prunes)."""
    rng = np.random.default_rng(seed)
    rate = 44100
    x = rng.standard_normal((2, 3 * rate)) * np.repeat(
        10 ** (rng.uniform(-40, 0, 30) / 20), rate // 10
    )
    x = np.clip(x * 0.3, -1, 1).astype(np.float32)
    pruned = loudness.Meter(rate, 2, threads=1)
    full = loudness.Meter(rate, 2, threads=1)
    for state in full._state:  # a chunk bound that never prunes
        state.peak._candidates._gain = math.inf
    for start in range(0, x.shape[1], 10000):
        pruned.add(x[:, start : start + 10000])
        full.add(x[:, start : start + 10000])
    a, b = pruned.result(), full.result()
    assert a.true_peak_per_channel_dbtp == b.true_peak_per_channel_dbtp
    assert a.true_peak_time_s == b.true_peak_time_s
    np.testing.assert_array_equal(a.true_peak_events_s, b.true_peak_events_s)


def test_shorter_than_one_block_has_only_peaks() -> None:
    report = loudness.measure(tone_segments(48000, [(0.2, -20.0)]), 48000)
    data = report.to_json()
    for field in (
        "integrated_lufs",
        "loudness_range_lu",
        "momentary_max_lufs",
        "short_term_max_lufs",
    ):
        assert data[field] is None
    assert "shorter than one 400 ms" in report.reasons()["integrated_lufs"]
    assert data["sample_peak_dbfs"] == pytest.approx(-20.0, abs=0.01)


@pytest.mark.parametrize("rate", [44100, 48000])
def test_true_peak_of_tones_within_the_4x_bound(rate: int) -> None:
    """Steady tones, random frequency up to 0.45 fs and phase: the reading lies between the
    amplitude minus the 4x grid's worst under-read (BS.1770-4 Annex 2 Attachment 1:
    20·log10(cos(π·f/(4·fs)))) less the branch ripple, and the amplitude plus the ripple."""
    rng = np.random.default_rng(rate)
    n = np.arange(rate // 10)
    for f_norm in rng.uniform(0.01, 0.45, 25):
        amplitude_db = -3.0
        phase = rng.uniform(0, 2 * np.pi)
        x = 10 ** (amplitude_db / 20) * np.sin(2 * np.pi * f_norm * n + phase)
        x *= np.minimum(1.0, np.minimum(n, n[::-1]) / 480.0)  # 10 ms ramps
        got = loudness.true_peak(x.astype(np.float32), rate)
        grid_db = 20 * math.log10(math.cos(math.pi * f_norm / 4))
        assert amplitude_db + grid_db - 0.03 <= got <= amplitude_db + 0.03, (f_norm, got)


@pytest.mark.parametrize("gain_db", [-20.0, 6.0])
def test_readings_scale_with_gain(programme: np.ndarray, gain_db: float) -> None:
    """Every reading moves by exactly the gain (a linear meter; the relative gates move with
    it). The quiet gap is made digital silence so that no block sits at the absolute gate."""
    x = programme.copy()
    x[:, 4 * 48000 : 5 * 48000] = 0.0
    base = loudness.measure(x, 48000)
    louder = loudness.measure(x * np.float32(10 ** (gain_db / 20)), 48000)
    for name in (
        "integrated_lufs",
        "true_peak_dbtp",
        "sample_peak_dbfs",
        "momentary_max_lufs",
        "short_term_max_lufs",
    ):
        assert getattr(louder, name) - getattr(base, name) == pytest.approx(gain_db, abs=1e-3), name
    assert louder.loudness_range_lu == pytest.approx(base.loudness_range_lu, abs=1e-3)
