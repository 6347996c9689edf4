"""Tempo and key (``producer.analysis.ear.tempo_key``) against what is known by construction and
against librosa, the library whose method it follows (a second implementation on the same
audio): click tracks at known tempos, chord progressions in known keys."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from producer.analysis.ear import tempo_key as tk

RATE = 44100
F = npt.NDArray[np.float64]


def clicks(bpm: float, seconds: float = 30.0, seed: int = 0) -> F:
    """A click per beat (a 5 ms decaying noise burst, louder on the one) over quiet noise."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    x = 0.001 * rng.standard_normal(n)
    burst = rng.standard_normal(int(0.005 * RATE)) * np.exp(-np.arange(int(0.005 * RATE)) / 60)
    period = 60.0 / bpm
    for k in range(int(seconds / period)):
        i = round(k * period * RATE)
        gain = 0.8 if k % 4 == 0 else 0.5
        x[i : i + len(burst)] += gain * burst[: n - i]
    return x


def chords(progression: list[list[int]], seconds_each: float = 1.0) -> F:
    """Triads (MIDI note lists) of sine partials (1/k amplitudes, 6 partials) one after another,
    each with a short attack and release."""
    t = np.arange(int(seconds_each * RATE)) / RATE
    env = np.minimum(1.0, t / 0.02) * np.minimum(1.0, (seconds_each - t) / 0.05)
    out = []
    for chord in progression:
        x = np.zeros_like(t)
        for note in chord:
            f = 440.0 * 2 ** ((note - 69) / 12)
            for k in range(1, 7):
                if k * f < RATE / 2:
                    x += np.sin(2 * np.pi * k * f * t) / k
        out.append(0.1 * env * x)
    return np.concatenate(out)


C, F_, G = [60, 64, 67], [65, 69, 72], [67, 71, 74]
A_MIN, D_MIN, E_MAJ = [57, 60, 64], [62, 65, 69], [64, 68, 71]


@pytest.mark.parametrize("bpm", [120.0, 97.0, 140.0])
def test_click_tracks_read_their_tempo(bpm: float) -> None:
    est = tk.estimate(clicks(bpm)[np.newaxis, :], RATE)
    assert est.tempo_bpm == pytest.approx(bpm, abs=0.5)
    assert est.tempo_confidence > 0.5


def test_tempo_agrees_with_librosa() -> None:
    import librosa

    for bpm in (97.0, 120.0, 140.0):
        x = clicks(bpm, seed=int(bpm))
        ours = tk.estimate(x[np.newaxis, :], RATE).tempo_bpm
        y = librosa.resample(x.astype(np.float32), orig_sr=RATE, target_sr=tk.RATE)
        onset = librosa.onset.onset_strength(y=y, sr=tk.RATE, hop_length=tk.HOP)
        theirs = float(
            librosa.feature.tempo(onset_envelope=onset, sr=tk.RATE, hop_length=tk.HOP)[0]
        )
        # librosa stops at whole lags (about 2.5 % apart here); ours refines between them.
        assert ours == pytest.approx(theirs, rel=0.03)


@pytest.mark.parametrize(
    ("progression", "key"),
    [
        ([C, F_, G, C] * 4, "C major"),
        ([[n + 7 for n in c] for c in [C, F_, G, C]] * 4, "G major"),
        ([A_MIN, D_MIN, E_MAJ, A_MIN] * 4, "A minor"),
    ],
)
def test_progressions_read_their_key_as_librosa_does(
    progression: list[list[int]], key: str
) -> None:
    import librosa

    x = chords(progression)
    est = tk.estimate(x[np.newaxis, :], RATE)
    assert est.key == key and est.key_confidence > 0.6
    chroma = librosa.feature.chroma_cqt(y=x.astype(np.float32), sr=RATE).sum(axis=1)
    assert tk.key_of(chroma)[0] == key  # librosa's chroma, the same profiles: the same key


def test_noise_has_no_pulse_and_no_key() -> None:
    x = np.random.default_rng(9).standard_normal((1, 30 * RATE)) * 0.1
    est = tk.estimate(x, RATE)
    assert est.tempo_confidence < 0.2 and est.key_confidence < 0.6
