"""Tonal balance (issue 13): the mix's loudness-matched 1/3-octave spectrum against references or
the built-in band, whose file is held to what its stated corpus measures."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from test_ear import RATE, find, pink, rbj

from producer.analysis import ear
from producer.analysis.ear import band, spectral
from producer.analysis.ear.report import listen_arrays
from producer.analysis.ear.stream import SignalAccumulator


def features(x: np.ndarray, name: str) -> ear.SignalFeatures:
    acc = SignalAccumulator(name, RATE, x.shape[0])
    for i in range(0, x.shape[1], 65536):
        acc.add(x[:, i : i + 65536].astype(np.float32))
    return acc.finish()[0]


def test_pink_against_pink_and_a_bell_on_the_keys() -> None:
    n = 20 * RATE
    reference = features(0.1 * pink(n, 7, 2), "pink reference")
    keys, pad = 0.07 * pink(n, 8, 2), 0.07 * pink(n, 9, 2)
    plain = listen_arrays(keys + pad, {"keys": keys, "pad": pad}, RATE)
    a = ear.analyse(plain, ear.Context(), [reference], tempo_key=False)
    spec = a.extra["spectrum"]
    f = np.asarray(spec["bands_hz"])
    use = (f >= 63) & (f <= 16000)  # two noise draws: the lowest bands hold few cycles
    ref_db = np.interp(f, *spectral.long_term_db(reference))
    assert np.abs(np.asarray(spec["mix_db"])[use] - ref_db[use]).max() <= 0.5
    assert not find(a, "spectral-balance")
    # +6 dB at 250 Hz on the keys: one finding there, its size and the stem that carries it.
    bell = rbj(keys, "peak", 250.0, 6.0, 1.0)
    boosted = listen_arrays(bell + pad, {"pad": pad, "keys": bell}, RATE)
    (finding,) = find(
        ear.analyse(boosted, ear.Context(), [reference], tempo_key=False), "spectral-balance"
    )
    assert abs(np.log2(finding.data["frequency_hz"] / 250.0)) <= 1 / 3
    assert finding.data["level_vs_target_db"] == pytest.approx(
        3.0, abs=1.0
    )  # keys are half the mix
    assert finding.stems[0] == "keys" and "keys" in finding.action
    assert finding.severity in ("info", "warning") and "reference" in finding.source


def test_without_references_the_built_in_band_is_the_target_and_says_what_it_is() -> None:
    n = 12 * RATE
    dull = rbj(0.1 * pink(n, 3, 2), "lowpass", 1500.0, 0.0, 0.7)  # no top at all
    heard = listen_arrays(dull, {}, RATE)
    a = ear.analyse(heard, ear.Context(), tempo_key=False)
    assert a.extra["spectrum"]["target"] == "built-in band"
    findings = find(a, "spectral-balance")
    assert findings, "a mix with nothing above 3 kHz is outside every curve of the band"
    data = band.builtin()
    for f in findings:
        assert f.severity == "info" and f.source == data["source"]
        assert "2 real recordings" in f.source and "--reference" in f.source
    assert any(f.value < 0 and f.band_hz[0] > 2000 for f in findings)


def test_the_built_in_band_is_what_its_corpus_measures(testdata: Path) -> None:
    shipped = json.loads(
        resources.files("producer.analysis.ear").joinpath("data", band.DATA).read_text()
    )
    measured = band.measure(testdata)
    assert shipped["size"] == measured["size"] == len(band.CORPUS)
    for ours, theirs in zip(shipped["recordings"], measured["recordings"], strict=True):
        assert ours["sha256"] == theirs["sha256"], f"{ours['name']}: the corpus file changed"
        a = np.array([np.nan if v is None else v for v in ours["level_db"]])
        b = np.array([np.nan if v is None else v for v in theirs["level_db"]])
        assert np.array_equal(np.isnan(a), np.isnan(b))
        assert np.nanmax(np.abs(a - b)) <= 0.02
    for key in ("source", "method", "search"):
        assert shipped[key] == measured[key]
    # A recording of the corpus lies inside the band: no note against it.
    mix = testdata / band.CORPUS_MIX
    heard = ear.listen_files(mix)
    assert not find(ear.analyse(heard, ear.Context(), tempo_key=False), "spectral-balance")
