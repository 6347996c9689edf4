"""Per-stem loudness and dynamics (issue 13): every stem is metered (I, LRA, short-term series,
PLR, PSR, crest, DR), the block meter agrees with the whole meter and pyloudnorm, and the DR
value agrees with drmeter, an independent implementation of the same algorithm."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf
from test_ear import RATE, pink

from producer.analysis import ear
from producer.analysis.ear import levels
from producer.analysis.ear.blockmeter import BlockMeter
from producer.analysis.ear.report import listen_arrays, listen_file
from producer.analysis.loudness import measure


def music_like(seconds: float, seed: int) -> np.ndarray:
    """Stereo pink noise in sections of different levels (quiet verse, loud chorus) with a
    kick-like thump every half second: loudness that moves, peaks over the body."""
    n = int(seconds * RATE)
    x = 0.05 * pink(n, seed, 2)
    t = np.arange(n) / RATE
    sections = np.where((t // 8) % 2 == 0, 0.4, 1.0)  # 8 s verse, 8 s chorus
    thump = np.exp(-((t % 0.5) / 0.03)) * np.sin(2 * np.pi * 55 * t)
    return (x * sections + 0.2 * sections * thump).astype(np.float32)


def test_the_block_meter_is_the_meter_without_its_peaks() -> None:
    x = music_like(40, 1)
    whole = measure(x, RATE)
    block = BlockMeter(RATE, 2)
    for i in range(0, x.shape[1], 30000):  # blocks that do not fall on hops
        block.add(x[:, i : i + 30000])
    ours = block.result()
    assert ours.integrated_lufs == pytest.approx(whole.integrated_lufs, abs=0.01)
    assert ours.loudness_range_lu == pytest.approx(whole.loudness_range_lu, abs=0.01)
    assert ours.hop_s == whole.hop_s
    assert np.allclose(ours.short_term_lufs, whole.short_term_lufs, atol=0.01)
    assert np.allclose(ours.momentary_lufs, whole.momentary_lufs, atol=0.01)
    assert ours.integrated_lufs == pytest.approx(
        pyloudnorm.Meter(RATE).integrated_loudness(x.T.astype(np.float64)), abs=0.05
    )


def test_every_stem_gets_loudness_dynamics_and_peaks() -> None:
    drums, keys = music_like(30, 2), 0.3 * music_like(30, 3)
    heard = listen_arrays(drums + keys, {"drums": drums, "keys": keys}, RATE)
    a = ear.analyse(heard, ear.Context(), tempo_key=False)
    for name, x in (("drums", drums), ("keys", keys)):
        m = a.stems[name]
        ref = measure(x, RATE)
        assert m["integrated_lufs"] == pytest.approx(ref.integrated_lufs, abs=0.01)
        assert m["loudness_range_lu"] == pytest.approx(ref.loudness_range_lu, abs=0.01)
        for key in ("plr_lu", "psr_median_db", "psr_p10_db", "crest_factor_db", "dr"):
            assert m[key] is not None, f"{name}: {key}"
        # PLR from the peak the JSON names (a quiet stem: its sample peak).
        peak = ref.true_peak_dbtp if m["plr_peak"] == "true peak" else ref.sample_peak_dbfs
        assert m["plr_lu"] == pytest.approx(peak - ref.integrated_lufs, abs=0.05)


def test_dr_agrees_with_drmeter(tmp_path: Path) -> None:
    from drmeter.algorithm import dynamic_range
    from drmeter.models import AudioData

    for seed, seconds in ((4, 45.0), (5, 31.3)):  # the second ends with a partial block
        x = music_like(seconds, seed)
        path = tmp_path / f"m{seed}.wav"
        sf.write(path, x.T, RATE, subtype="FLOAT")
        with sf.SoundFile(path) as f:
            theirs = dynamic_range(AudioData.from_soundfile(f)).dr_score
        sig = listen_file(path)
        dr, per_channel = levels.dr_value(sig.dr_rms, sig.dr_peak)
        assert per_channel == pytest.approx(list(theirs), abs=0.01)
        assert dr == pytest.approx(float(np.mean(theirs)), abs=0.01)
