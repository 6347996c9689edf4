"""The vectorised dynamics against a plain per-sample loop of the same equations, on real music.

The reference below is the textbook recursion written sample by sample (Giannoulis, Massberg &
Reiss 2012, eq. 4 and 17, and the gate's peak envelope), sharing no code with
``producer.dsp.dynamics``; the material is the MUSDB18 sample in the shared test data: the
"other" stem ducked by the "vocals" stem, the real case of a ducking compressor.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile as sf

from producer.audio import Audio
from producer.dsp import catalog
from producer.dsp.effects import Effect

STEMS = "multitrack/musdb18-7-sample/decoded"
SECONDS = 3.0


def load(testdata: Path, name: str) -> tuple[Audio, int]:
    data, rate = sf.read(testdata / STEMS / f"{name}.wav", dtype="float32", always_2d=True)
    return np.ascontiguousarray(data[: int(SECONDS * rate)].T), int(rate)


def reference_gain_db(
    key: Audio, rate: int, kind: str, params: dict[str, float]
) -> npt.NDArray[np.float64]:
    """Per-sample gain (dB) by the textbook recursions, one Python step per frame."""
    t, r = params["threshold_db"], params["ratio"]
    a_att = math.exp(-1 / (params["attack_ms"] / 1000 * rate)) if params["attack_ms"] else 0.0
    a_rel = math.exp(-1 / (params["release_ms"] / 1000 * rate))
    w = params.get("knee_db", 0.0)
    makeup = params.get("makeup_db", 0.0)
    rng = params.get("range_db", 80.0)
    level = np.max(np.abs(key.astype(np.float64)), axis=0)
    out = np.empty(level.shape[0])
    hold, smooth = 0.0, (rng if kind == "gate" else 0.0)
    envelope = -math.inf
    step_db = 20 * math.log10(math.e) / (params["release_ms"] / 1000 * rate)
    for n, x in enumerate(level):
        x_db = 20 * math.log10(max(x, 1e-10))
        if kind == "compressor":
            if 2 * (x_db - t) < -w:
                y_db = x_db
            elif 2 * abs(x_db - t) <= w and w > 0:
                y_db = x_db + (1 / r - 1) * (x_db - t + w / 2) ** 2 / (2 * w)
            else:
                y_db = t + (x_db - t) / r
            g = x_db - y_db
            hold = max(g, a_rel * hold)
            smooth = a_att * smooth + (1 - a_att) * hold
            out[n] = makeup - smooth
        else:
            envelope = max(x_db, envelope - step_db)
            g = min(max(t - envelope, 0.0) * (r - 1), rng)
            smooth = a_att * smooth + (1 - a_att) * g
            out[n] = -smooth
    return out


def run_blocks(fx: Effect, audio: Audio, key: Audio, block: int) -> Audio:
    return np.concatenate(
        [
            fx.process_sidechain(audio[:, i : i + block], key[:, i : i + block])
            for i in range(0, audio.shape[1], block)
        ],
        axis=1,
    )


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        (
            "compressor",
            {"threshold_db": -35.0, "ratio": 6.0, "attack_ms": 3.0, "release_ms": 150.0},
        ),
        (
            "compressor",
            {
                "threshold_db": -30.0,
                "ratio": 3.0,
                "attack_ms": 0.0,
                "release_ms": 40.0,
                "knee_db": 10.0,
                "makeup_db": 2.0,
            },
        ),
        ("gate", {"threshold_db": -40.0, "ratio": 4.0, "attack_ms": 1.0, "release_ms": 60.0}),
    ],
)
def test_ducking_real_music_by_a_real_voice_equals_the_reference(
    testdata: Path, kind: str, params: dict[str, float]
) -> None:
    music, rate = load(testdata, "other")
    voice, _ = load(testdata, "vocals")
    fx = catalog.create(kind, params, rate, 2, 512)
    out = run_blocks(fx, music, voice, 512)
    gain_db = reference_gain_db(voice, rate, kind, params)
    expected = music.astype(np.float64) * 10 ** (gain_db / 20)
    assert np.max(np.abs(out - expected)) < 1e-6  # below −120 dBFS
    # The key really did something: the music moved by several dB somewhere.
    assert gain_db.min() < -6.0


def test_vocals_duck_the_band_only_while_singing(testdata: Path) -> None:
    music, rate = load(testdata, "other")
    voice, _ = load(testdata, "vocals")
    params = {"threshold_db": -30.0, "ratio": 8.0, "attack_ms": 5.0, "release_ms": 100.0}
    out = run_blocks(catalog.create("compressor", params, rate, 2, 1024), music, voice, 1024)
    # Per 50 ms window: the louder the voice, the more the music is pushed down.
    win = rate // 20
    n = music.shape[1] // win
    voice_db = [
        10 * math.log10(np.mean(voice[:, i * win : (i + 1) * win] ** 2) + 1e-20) for i in range(n)
    ]
    change_db = [
        10
        * math.log10(
            (np.mean(out[:, i * win : (i + 1) * win] ** 2) + 1e-20)
            / (np.mean(music[:, i * win : (i + 1) * win] ** 2) + 1e-20)
        )
        for i in range(n)
    ]
    assert np.corrcoef(voice_db, change_db)[0, 1] < -0.5
