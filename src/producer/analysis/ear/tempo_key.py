"""Tempo and key of a recording, with confidence (librosa does the signal work).

This is the one tempo/key path of producer: ``producer song analyze`` (pre-production) and
``producer analyze`` (the extra ear) both call :func:`estimate`.
"""

from __future__ import annotations

from dataclasses import dataclass

import librosa
import numpy as np

from producer.audio import Audio

NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

# Krumhansl & Kessler key profiles (Krumhansl, "Cognitive Foundations of Musical Pitch",
# 1990, table 2.1): the listener ratings of each pitch class in a major and a minor context.
# librosa has chroma but no key finder, so the correlation step below is ours.
_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])

#: librosa's working rate for beat tracking and chroma.
RATE = 22050
HOP = 512


@dataclass(frozen=True)
class Estimate:
    """What was heard: ``tempo_bpm``, ``key`` (e.g. ``"A minor"``) and how sure the key is
    (``key_confidence``: the winning profile correlation, −1..1). ``tempo_confidence`` (0..1)
    is the onset envelope's normalised autocorrelation at the beat period: near 1 for a steady
    pulse, near 0 when there is none."""

    tempo_bpm: float
    key: str
    key_confidence: float
    duration_s: float
    tempo_confidence: float = 0.0


def _tempo_confidence(onset: np.ndarray, bpm: float) -> float:
    if bpm <= 0 or len(onset) < 4:
        return 0.0
    x = onset - onset.mean()
    ac = librosa.autocorrelate(x)
    if ac[0] <= 0:
        return 0.0
    lag = 60.0 * RATE / (HOP * bpm)
    k = round(lag)
    if k + 1 >= len(ac):
        return 0.0
    return float(np.clip(ac[max(1, k - 1) : k + 2].max() / ac[0], 0.0, 1.0))


def estimate(audio: Audio, sample_rate: int) -> Estimate:
    """Tempo (librosa's tempo estimate from the onset strength) and key (Krumhansl–Schmuckler
    on CQT chroma).

    ``audio`` : ndarray [shape=(channels, frames)], float32.

    The tempo is ``librosa.feature.tempo`` of the onset envelope: the very estimate
    ``librosa.beat.beat_track`` returns (it computes it first), without the beat positions we
    do not use, whose dynamic programme lives in numba functions compiled on every start
    (``cache=False`` in librosa.beat): seconds of CPU per run for nothing (issue 16).
    """
    mono = np.mean(audio, axis=0).astype(np.float32)
    sr = RATE
    if sample_rate != sr:
        mono = librosa.resample(mono, orig_sr=sample_rate, target_sr=sr, res_type="soxr_hq")
    onset = librosa.onset.onset_strength(y=mono, sr=sr, hop_length=HOP)
    tempo = librosa.feature.tempo(onset_envelope=onset, sr=sr, hop_length=HOP)
    bpm = float(np.atleast_1d(tempo)[0])
    chroma = librosa.feature.chroma_cqt(y=mono, sr=sr)
    profile = chroma.sum(axis=1)
    best = ("", -2.0)
    if np.any(profile > 0):
        for tonic in range(12):
            for mode, ref in (("major", _MAJOR), ("minor", _MINOR)):
                r = float(np.corrcoef(profile, np.roll(ref, tonic))[0, 1])
                if r > best[1]:
                    best = (f"{NOTE_NAMES[tonic]} {mode}", r)
    return Estimate(
        tempo_bpm=round(bpm, 1),
        key=best[0],
        key_confidence=round(best[1], 3) if best[0] else 0.0,
        duration_s=len(mono) / sr,
        tempo_confidence=round(_tempo_confidence(onset, bpm), 3),
    )


__all__ = ["NOTE_NAMES", "RATE", "Estimate", "estimate"]
