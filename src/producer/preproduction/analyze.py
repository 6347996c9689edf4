"""Listening to a demo recording: tempo and key estimates (librosa does the signal work)."""

from __future__ import annotations

from dataclasses import dataclass

import librosa
import numpy as np

from producer.audio import Audio
from producer.dsp.resample import resample

NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

# Krumhansl & Kessler key profiles (Krumhansl, "Cognitive Foundations of Musical Pitch",
# 1990, table 2.1): the listener ratings of each pitch class in a major and a minor context.
# librosa has chroma but no key finder, so the correlation step below is ours.
_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


@dataclass(frozen=True)
class Estimate:
    """What was heard: ``tempo_bpm``, ``key`` (e.g. ``"A minor"``) and how sure the key is
    (``key_confidence``: the winning profile correlation, −1..1)."""

    tempo_bpm: float
    key: str
    key_confidence: float
    duration_s: float


def estimate(audio: Audio, sample_rate: int) -> Estimate:
    """Tempo (librosa's tempo estimate from the onset strength) and key (Krumhansl–Schmuckler
    on CQT chroma).

    ``audio`` : ndarray [shape=(channels, frames)], float32.

    The tempo is ``librosa.feature.tempo`` of the onset envelope: the very estimate
    ``librosa.beat.beat_track`` returns (it computes it first), without the beat positions we
    do not use, whose dynamic programme lives in numba functions compiled on every start
    (``cache=False`` in librosa.beat): seconds of CPU per run for nothing.
    """
    mono = np.mean(audio, axis=0).astype(np.float32)
    sr = 22050
    if sample_rate != sr:
        mono = resample(mono[np.newaxis, :], sample_rate, sr)[0]
    onsets = librosa.onset.onset_strength(y=mono, sr=sr)
    bpm = float(np.atleast_1d(librosa.feature.tempo(onset_envelope=onsets, sr=sr))[0])
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
    )


__all__ = ["Estimate", "estimate"]
