"""Agreement with libebur128 (pyebur128) on real multitrack material and generated programme:
integrated within 0.1 LU, LRA within 0.5 LU, true peak within 0.5 dB (libebur128's 4x
interpolator reads the grid, ours the exact peak): where they differ by more, the FFT
interpolation of the whole signal decides, within 0.05 dB (two near-silent PHENICX trumpet
files hold only LSB-level full-band noise, where libebur128 reads their sample peak, 0.8-1.1 dB
under the band-limited peak)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import scipy.signal
from loudness_signals import fft_true_peak

from producer.analysis import loudness
from producer.audio import read

pyebur128 = pytest.importorskip("pyebur128")

REAL_FOLDERS = (
    "multitrack/musdb18-7-sample/decoded",
    "multitrack/phenicx-anechoic-beethoven-excerpt",
    "multitrack/dagstuhl-choirset-excerpt",
    "multitrack/single-clips",
)


def libebur128(audio: np.ndarray, rate: int) -> tuple[float, float, float]:
    """(I LUFS, LRA LU, true peak dBTP) by libebur128; 5.0 gets its L R C Ls Rs map."""
    channels = audio.shape[0]
    mode = (
        pyebur128.MeasurementMode.MODE_I
        | pyebur128.MeasurementMode.MODE_LRA
        | pyebur128.MeasurementMode.MODE_TRUE_PEAK
    )
    state = pyebur128.R128State(channels, rate, mode)
    if channels == 5:
        kinds = ("LEFT", "RIGHT", "CENTER", "LEFT_SURROUND", "RIGHT_SURROUND")
        for i, kind in enumerate(kinds):
            state.set_channel(i, getattr(pyebur128.ChannelType, kind))
    interleaved = np.ascontiguousarray(audio.T, dtype=np.float64).ravel()
    state.add_frames(interleaved, audio.shape[1])
    peak = max(pyebur128.get_true_peak(state, c) for c in range(channels))
    tp = 20 * math.log10(peak) if peak > 0 else -math.inf
    return pyebur128.get_loudness_global(state), pyebur128.get_loudness_range(state), tp


def _real_files(root: Path) -> list[Path]:
    return sorted(p for folder in REAL_FOLDERS for p in (root / folder).glob("*.wav"))


def _compare(audio: np.ndarray, rate: int, check_lra: bool) -> None:
    """I within 0.1 LU, TP within 0.5 dB; LRA within 0.5 LU when ``check_lra``.

    libebur128 1.2.6 takes its LRA short-term values once a second (below Tech 3342's 10 Hz);
    ours are every 10 ms. Where that coarse sampling decides (short clips, level steps), the
    LRA of *our* short-term series taken at libebur128's instants must equal libebur128's
    within 0.05 LU: same gates, same percentiles.
    """
    ours = loudness.measure(audio, rate)
    i_ref, lra_ref, tp_ref = libebur128(audio, rate)
    if math.isinf(i_ref):
        assert ours.integrated_lufs == -math.inf
    else:
        assert ours.integrated_lufs == pytest.approx(i_ref, abs=0.1)
    if math.isfinite(tp_ref) and abs(ours.true_peak_dbtp - tp_ref) > 0.5:
        pad = np.zeros((audio.shape[0], rate // 2), dtype=np.float32)
        exact = 20 * math.log10(fft_true_peak(np.concatenate([pad, audio, pad], axis=1)))
        assert ours.true_peak_dbtp == pytest.approx(exact, abs=0.05)
    one_hz = ours.short_term_lufs[:: round(1.0 / ours.hop_s)]
    if len(one_hz):
        at_one_hz = loudness.loudness_range_of_short_term(one_hz)
        assert (0.0 if math.isnan(at_one_hz) else at_one_hz) == pytest.approx(lra_ref, abs=0.05)
    if check_lra:
        assert ours.loudness_range_lu == pytest.approx(lra_ref, abs=0.5)


def test_real_multitrack_files(testdata: Path) -> None:
    files = _real_files(testdata)
    assert len(files) >= 40
    for path in files:
        audio, rate = read(path)
        # LRA directly for the 6.8 s musdb stems; the 5.6 s decaying crash gives libebur128
        # three short-term values (27.8 vs 22.3 LU), so it is compared at those instants only.
        _compare(audio, rate, check_lra=audio.shape[1] >= 6 * rate)


def test_real_mix_of_the_stems(testdata: Path) -> None:
    """The musdb stems summed at unity: a real mix, measured at 44.1 kHz."""
    stems = [
        read(testdata / REAL_FOLDERS[0] / f"{s}.wav")[0]
        for s in ("drums", "bass", "other", "vocals")
    ]
    mix = np.sum(stems, axis=0).astype(np.float32) * 0.5
    _compare(mix, 44100, check_lra=True)


def _generated(kind: str, rate: int, seconds: int = 60) -> np.ndarray:
    """Stereo band-limited noise (60 Hz-6 kHz) under a level envelope, seeded."""
    rng = np.random.default_rng(3)
    n = seconds * rate
    noise = rng.standard_normal((2, n))
    b, a = scipy.signal.butter(1, [60, 6000], btype="bandpass", fs=rate)
    noise = scipy.signal.lfilter(b, a, noise, axis=1)
    noise[1] = 0.7 * noise[1] + 0.3 * noise[0]
    t = np.arange(n) / rate
    if kind == "slow-ramps":
        level_db = -28 + 10 * np.sin(2 * np.pi * t / 47.0)
    elif kind == "steps-and-gaps":
        level_db = np.choose((t // 7).astype(int) % 4, [-20.0, -35.0, -120.0, -26.0])
    else:  # "dynamic": loud and quiet passages, then a 15 s fade out
        loud = np.sin(2 * np.pi * t / 31.0) > 0.3
        level_db = -18 - 14 * loud - np.clip(t - seconds + 15, 0, None) * 2
    return (noise / np.std(noise) * 10 ** (level_db / 20)).astype(np.float32)


@pytest.mark.parametrize(
    ("kind", "rate", "direct_lra"),
    [
        ("slow-ramps", 44100, True),
        ("dynamic", 48000, True),
        # Level steps: libebur128's 1 Hz sampling of the transitions reads 0.6-0.8 LU lower;
        # checked at its instants (see _compare).
        ("steps-and-gaps", 48000, False),
    ],
)
def test_generated_programme(kind: str, rate: int, direct_lra: bool) -> None:
    _compare(_generated(kind, rate), rate, check_lra=direct_lra)


def test_generated_five_one_programme() -> None:
    rate = 48000
    rng = np.random.default_rng(51)
    x = rng.standard_normal((6, 10 * rate)) * np.array([0.1, 0.1, 0.05, 0.3, 0.03, 0.03])[:, None]
    _compare(x.astype(np.float32), rate, check_lra=False)
