"""The extra ear's acceptance points (issue 13), on synthetic signals built here (fixed seeds).

Every expected value is known by construction: the bell the keys carry, the delay and polarity
given to a microphone, the channel copy's delay, the DC added, the hum's frequency, the clip
positions, the vocal's gain (set with pyloudnorm, a second BS.1770 implementation), the
shelf and gain of the second version.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pyloudnorm
import pytest
from scipy import signal

from producer.analysis import ear
from producer.analysis.ear import levels
from producer.analysis.ear.findings import CHECKS
from producer.analysis.ear.stream import SignalAccumulator
from producer.dsp.biquad import rbj_coefficients

RATE = 48000
F = npt.NDArray[np.float64]


def pink(n: int, seed: int, channels: int = 1) -> F:
    """Pink noise (1/f power) by spectral shaping, unit RMS per channel."""
    rng = np.random.default_rng(seed)
    spec = np.fft.rfft(rng.standard_normal((channels, n)), axis=1)
    f = np.fft.rfftfreq(n, 1 / RATE)
    spec[:, 1:] /= np.sqrt(f[1:] / 1000.0)
    spec[:, 0] = 0
    x = np.fft.irfft(spec, n, axis=1)
    return x / np.sqrt(np.mean(x**2, axis=1, keepdims=True))


def delayed(x: F, seconds: float) -> F:
    """``x`` delayed by a fraction of a sample (FFT phase shift on a zero-padded copy)."""
    n = x.shape[-1]
    m = 1 << math.ceil(math.log2(2 * n))
    spec = np.fft.rfft(x, m)
    f = np.fft.rfftfreq(m, 1 / RATE)
    return np.fft.irfft(spec * np.exp(-2j * np.pi * f * seconds), m)[..., :n]


def rbj(x: F, kind: str, freq: float, gain_db: float, q: float) -> F:
    b, a = rbj_coefficients(kind, freq, gain_db, q, RATE)
    return signal.lfilter(b, a, x)


def find(analysis: ear.Analysis, check: str) -> list[ear.Finding]:
    return [f for f in analysis.findings if f.check == check]


# ------------------------------------------------------------------ masking


def masking_stems(seed: int = 1) -> dict[str, F]:
    n = 12 * RATE
    t = np.arange(n) / RATE
    f0 = 200.0 * 2 ** (t / t[-1])  # 200 -> 400 Hz
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    vocal = sum((1.0 / k) * np.sin(k * phase) for k in range(1, 21))
    vocal = 0.025 * vocal / np.sqrt(np.mean(vocal**2))
    # Three backing stems of equal level, each 12 dB over the vocal (so they do mask it).
    keys, guitar, pad = (0.1 * pink(n, seed + i)[0] for i in range(3))
    keys = rbj(keys, "peak", 250.0, 3.0, 1.0)
    return {"vocal": vocal, "keys": keys, "guitar": guitar, "pad": pad}


def masking_of(stems: dict[str, F], vocal: str) -> list[ear.Finding]:
    mix = sum(stems.values())
    heard = ear.listen_arrays(mix, stems, RATE)
    analysis = ear.analyse(heard, ear.Context(vocal=vocal), tempo_key=False)
    return [f for f in find(analysis, "masking") if f.data["target"] == vocal]


def around(findings: list[ear.Finding], hz: float) -> ear.Finding:
    hits = [f for f in findings if f.band_hz and f.band_hz[0] <= hz <= f.band_hz[1]]
    assert hits, [(f.band_hz, f.stems) for f in findings]
    return hits[0]


def test_keys_with_a_bell_at_250_hz_are_the_top_masker_of_the_vocal() -> None:
    stems = masking_stems()
    found = around(masking_of(stems, "vocal"), 250.0)
    assert found.stems[0] == "keys"
    assert "on keys" in found.action and "dB at" in found.action
    assert 180 <= found.data["frequency_hz"] <= 350  # the cut goes where the keys mask most
    # Renamed and reordered: the same band, the same culprit under its new name.
    renamed = {
        "zz lead": stems["vocal"],
        "a-pad": stems["pad"],
        "m-gtr": stems["guitar"],
        "b-keys": stems["keys"],
    }
    again = around(masking_of(dict(reversed(list(renamed.items()))), "zz lead"), 250.0)
    assert again.stems[0] == "b-keys"
    assert again.band_hz == found.band_hz
    assert again.value == pytest.approx(found.value, abs=1e-6)


# ------------------------------------------------------------------ microphones


def snare(n: int, seed: int) -> F:
    rng = np.random.default_rng(seed)
    x = np.zeros(n)
    env = np.exp(-np.arange(int(0.2 * RATE)) / (0.03 * RATE))
    for start in range(int(0.1 * RATE), n - len(env), int(0.5 * RATE)):
        x[start : start + len(env)] += rng.standard_normal(len(env)) * env
    b, a = signal.butter(2, 3000 / (RATE / 2))
    return 0.3 * signal.filtfilt(b, a, x)  # zero-phase colour: no group delay of its own


def test_polarity_delay_and_ambiguous_tones() -> None:
    n = 10 * RATE
    rng = np.random.default_rng(3)
    top = snare(n, 3)
    noise = np.sqrt(np.mean(top**2)) / 10  # 20 dB SNR
    bottom = -0.7 * delayed(top, 0.35e-3) + noise * rng.standard_normal(n)
    room = delayed(top, 2.0104e-3) + noise * rng.standard_normal(n)
    t = np.arange(n) / RATE
    tone_a = 0.2 * np.sin(2 * np.pi * 200 * t)
    tone_b = 0.2 * np.sin(2 * np.pi * 200 * (t - 0.002))
    stems = {
        "snare top": top,
        "snare bottom": bottom,
        "room": room,
        "tone a": tone_a,
        "tone b": tone_b,
    }
    analysis = ear.analyse(
        ear.listen_arrays(sum(stems.values()), stems, RATE), ear.Context(), tempo_key=False
    )
    polarity = find(analysis, "polarity")
    # The bottom mic is inverted against the top (and so against the room mic too).
    pair = [f for f in polarity if set(f.stems) == {"snare top", "snare bottom"}]
    assert pair and all("snare bottom" in f.stems for f in polarity)
    assert pair[0].value is not None and pair[0].value < -0.5
    assert "flip the polarity of snare bottom" in pair[0].action
    align = {frozenset(f.stems): f for f in find(analysis, "mic-alignment")}
    room_delay = align[frozenset({"snare top", "room"})]
    assert room_delay.value == pytest.approx(2.0104, abs=0.1)
    bottom_delay = align[frozenset({"snare top", "snare bottom"})]
    assert bottom_delay.value == pytest.approx(0.35, abs=0.1)
    tones = align[frozenset({"tone a", "tone b"})]
    assert (
        tones.value is None and tones.data["ambiguous"] is True and tones.data["delay_ms"] is None
    )
    # The same pair with +0.7: no polarity finding.
    stems["snare bottom"] = 0.7 * delayed(top, 0.35e-3) + noise * rng.standard_normal(n)
    del stems["tone a"], stems["tone b"], stems["room"]
    again = ear.analyse(
        ear.listen_arrays(sum(stems.values()), stems, RATE), ear.Context(), tempo_key=False
    )
    assert not find(again, "polarity")


# ------------------------------------------------------------------ stereo


def stereo_analysis(x: F) -> ear.Analysis:
    return ear.analyse(ear.listen_arrays(x, {}, RATE), ear.Context(), tempo_key=False)


def test_anti_phase_is_a_mono_error() -> None:
    left = 0.2 * pink(8 * RATE, 5)[0]
    a = stereo_analysis(np.vstack([left, -left]))
    assert a.mix["correlation"] == pytest.approx(-1.0, abs=0.01)
    mono = find(a, "mono-compatibility")
    assert (
        mono and mono[0].severity == "error" and mono[0].value is not None and mono[0].value >= 40
    )


def test_a_1_ms_copy_between_channels_notches_500_and_1500_hz() -> None:
    left = 0.2 * np.random.default_rng(6).standard_normal(8 * RATE)
    a = stereo_analysis(np.vstack([left, delayed(left, 1e-3)]))
    notches = a.mix["comb_notches_hz"]
    assert any(abs(f - 500) <= 25 for f in notches) and any(abs(f - 1500) <= 75 for f in notches)
    mono = find(a, "mono-compatibility")
    assert mono and mono[0].metric == "comb_notches"
    assert a.mix["channel_delay_ms"] == pytest.approx(1.0, abs=0.05)


def test_a_decorrelated_reverb_under_a_mono_source_is_no_error() -> None:
    n = 8 * RATE
    dry = 0.2 * pink(n, 7)[0]
    verb = 0.02 * pink(n, 8, channels=2)
    a = stereo_analysis(np.vstack([dry, dry]) + verb)
    assert not [f for f in a.findings if f.severity == "error"]
    assert not find(a, "mono-compatibility")


def test_wide_bass_is_named_and_mono_bass_is_not() -> None:
    n = 6 * RATE
    t = np.arange(n) / RATE
    bass = 0.3 * np.sin(2 * np.pi * 50 * t)
    keys = 0.05 * pink(n, 9, channels=2)
    wide = {"bass": np.vstack([bass, -bass]), "keys": keys}
    a = ear.analyse(
        ear.listen_arrays(sum(wide.values()), wide, RATE), ear.Context(), tempo_key=False
    )
    assert any(f.stems == ("bass",) for f in find(a, "low-end-mono"))
    mono = {"bass": np.vstack([bass, bass]), "keys": keys}
    b = ear.analyse(
        ear.listen_arrays(sum(mono.values()), mono, RATE), ear.Context(), tempo_key=False
    )
    assert not any("bass" in f.stems for f in find(b, "low-end-mono"))


# ------------------------------------------------------------------ faults and peaks


def test_dc_hum_and_clipped_runs() -> None:
    n = 12 * RATE
    t = np.arange(n) / RATE
    rng = np.random.default_rng(11)
    # A "vocal" that sings 1 s phrases with 1 s gaps; mains hum at 50 Hz and three harmonics,
    # each at -60 dBFS, all the way through.
    gate = (np.floor(t) % 2 == 0).astype(float)
    voice = 0.3 * gate * np.sin(2 * np.pi * 330 * t) * (1 + 0.3 * np.sin(2 * np.pi * 5 * t))
    hum = sum(10 ** (-60 / 20) * np.sin(2 * np.pi * 50 * k * t + k) for k in range(1, 5))
    vocal = voice + hum
    bass = 0.2 * pink(n, 12)[0] + 0.01  # DC 0.01 -> -40 dBFS
    drums = 0.1 * rng.standard_normal(n)
    clip_at = (2.0, 5.5, 9.25)
    for c in clip_at:  # three bursts of a 100 Hz sine clipped at full scale
        i = int(c * RATE)
        burst = np.clip(1.5 * np.sin(2 * np.pi * 100 * np.arange(int(0.02 * RATE)) / RATE), -1, 1)
        drums[i : i + len(burst)] = burst
    stems = {"vocal": vocal, "bass": bass, "drums": drums}
    a = ear.analyse(
        ear.listen_arrays(sum(stems.values()) * 0.5, stems, RATE), ear.Context(), tempo_key=False
    )
    dc = find(a, "dc-offset")
    assert [f.stems for f in dc] == [("bass",)]
    assert dc[0].value == pytest.approx(-40.0, abs=0.5)
    hums = find(a, "hum")
    assert [f.stems for f in hums] == [("vocal",)]
    assert hums[0].value == pytest.approx(50.0, abs=1.0)
    assert [round(h["hz"]) for h in hums[0].data["harmonics"]][:4] == [50, 100, 150, 200]
    clips = [f for f in find(a, "clipping") if f.stems == ("drums",)]
    assert clips and clips[0].severity == "error"
    starts = [s for s, _ in clips[0].times_s]
    for c in clip_at:  # each burst's first run within 10 ms of where it was put
        assert min(abs(s - c) for s in starts) <= 0.010
    assert all(min(abs(s - c) for c in clip_at) <= 0.021 for s in starts)


def test_noise_floor_in_the_gaps() -> None:
    n = 10 * RATE
    t = np.arange(n) / RATE
    rng = np.random.default_rng(13)
    gate = (np.floor(t) % 2 == 0).astype(float)
    x = 0.3 * gate * np.sin(2 * np.pi * 440 * t) + 10 ** (-70 / 20) * rng.standard_normal(n)
    a = ear.analyse(ear.listen_arrays(x, {"vocal": x}, RATE), ear.Context(), tempo_key=False)
    assert a.stems["vocal"]["noise_floor_dbfs"] == pytest.approx(-70.0, abs=1.0)


def test_true_peak_over_zero_is_an_inter_sample_peak() -> None:
    n = 4 * RATE
    k = np.arange(n)
    x = (
        np.sin(2 * np.pi * k / 4 + np.pi / 4) / np.sin(np.pi / 4) * 10 ** (-0.01 / 20)
    )  # fs/4 at 45°
    a = stereo_analysis(np.vstack([x, x]))
    isp = find(a, "inter-sample-peaks")
    assert isp and isp[0].value == pytest.approx(3.0, abs=0.3)


# ------------------------------------------------------------------ balance and dynamics


def test_vocal_six_lu_under_the_rest() -> None:
    n = 12 * RATE
    meter = pyloudnorm.Meter(RATE)
    bass = 0.1 * pink(n, 21, channels=2)
    guitar = 0.1 * pink(n, 22, channels=2)
    rest = bass + guitar
    vocal = 0.1 * pink(n, 23, channels=2)
    gap = meter.integrated_loudness(vocal.T) - meter.integrated_loudness(rest.T)
    vocal *= 10 ** ((-6.0 - gap) / 20)
    stems = {"lead vox": vocal, "bass": bass, "guitar": guitar}
    heard = ear.listen_arrays(rest + vocal, stems, RATE, rest=["bass", "guitar"])
    a = ear.analyse(heard, ear.Context(vocal="lead vox"), tempo_key=False)
    vb = find(a, "vocal-balance")
    assert vb and vb[0].value == pytest.approx(-6.0, abs=0.5)
    assert "raise lead vox by 6" in vb[0].action
    assert "Pestana" in vb[0].source


def dr_of(x: F) -> float | None:
    acc = SignalAccumulator("x", RATE, x.shape[0])
    for i in range(0, x.shape[1], 65536):
        acc.add(x[:, i : i + 65536].astype(np.float32))
    features, _ = acc.finish()
    return levels.level_metrics(features)["dr"]


def test_dr_of_a_full_scale_sine_is_0_and_of_a_square_minus_3() -> None:
    t = np.arange(15 * RATE) / RATE
    sine = np.sin(2 * np.pi * 1000 * t)
    assert dr_of(np.vstack([sine, sine])) == pytest.approx(0.0, abs=0.05)
    square = np.sign(np.sin(2 * np.pi * 1000 * t + 0.1))
    dr = dr_of(np.vstack([square, square]))
    assert dr is not None and round(dr) == -3 and dr == pytest.approx(-3.01, abs=0.05)


# ------------------------------------------------------------------ versions


def test_version_diff_aligns_and_lists_only_the_gain_and_the_shelf() -> None:
    n = 20 * RATE
    rng = np.random.default_rng(31)
    base = pink(n, 31, channels=2)
    b, a = signal.butter(2, 6000 / (RATE / 2))
    v1 = 0.1 * (signal.lfilter(b, a, base) + 0.05 * base)  # music-like: a little air
    env = 1 + 0.5 * np.sin(2 * np.pi * 0.25 * np.arange(n) / RATE)
    v1 = v1 * env + 0.001 * rng.standard_normal((2, n))
    v2 = rbj(v1 * 10 ** (1.5 / 20), "highshelf", 8000.0, 2.0, 1 / math.sqrt(2))
    v2 = np.concatenate([np.zeros((2, int(0.25 * RATE))), v2], axis=1)
    one = ear.listen_arrays(v1, {}, RATE).mix
    two = ear.listen_arrays(v2, {}, RATE)
    analysis = ear.analyse(two, ear.Context(), against=("v1", one), tempo_key=False)
    vd = analysis.mix["version_diff"]
    assert vd["offset_ms"] == pytest.approx(250.0, abs=1.0)
    assert vd["loudness_change_lu"] == pytest.approx(1.5, abs=0.1)
    diffs = [
        f
        for f in find(analysis, "version-diff")
        if f.metric not in ("offset_ms", "loudness_change_lu")
    ]
    assert len(diffs) == 1, [f.message for f in diffs]
    shelf = diffs[0]
    assert shelf.metric == "band_change_db" and shelf.band_hz is not None
    assert shelf.band_hz[0] >= 4000 and shelf.band_hz[1] >= 16000
    assert shelf.value == pytest.approx(2.0, abs=0.5)


# ------------------------------------------------------------------ the report's shape


def test_every_finding_has_the_issue_fields_and_a_clean_mix_has_no_error() -> None:
    n = 8 * RATE
    stems = {f"s{i}": 0.05 * pink(n, 40 + i, channels=2) for i in range(3)}
    a = ear.analyse(
        ear.listen_arrays(sum(stems.values()), stems, RATE), ear.Context(), tempo_key=False
    )
    assert not [f for f in a.findings if f.severity == "error"]
    data = a.to_json()
    assert set(data) >= {"mix", "stems", "findings"}
    assert set(data["stems"]) == set(stems)
    # And a broken one: every finding is complete.
    left = 0.2 * pink(n, 50)[0]
    bad = {"snare": np.vstack([left, -left]), "keys": stems["s0"] + 0.02}
    b = ear.analyse(ear.listen_arrays(sum(bad.values()), bad, RATE), ear.Context(), tempo_key=False)
    assert b.findings
    for f in b.to_json()["findings"]:
        assert set(f) >= {
            "check",
            "severity",
            "metric",
            "value",
            "threshold",
            "source",
            "stems",
            "band_hz",
            "times_s",
            "action",
        }
        assert f["check"] in CHECKS and f["severity"] in ("error", "warning", "info")
        assert f["source"] and f["action"] and any(ch.isdigit() for ch in f["action"])
