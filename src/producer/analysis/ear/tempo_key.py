"""Tempo and key of a recording, with confidence: onset autocorrelation and pitch-class profiles.

This is the one tempo/key path of producer: ``producer song analyze`` (pre-production) and
``producer analyze`` (the extra ear) both call :func:`estimate`.

The method is librosa's (``librosa.onset.onset_strength`` → ``librosa.feature.tempo``; chroma →
Krumhansl–Schmuckler), computed here with numpy and scipy's FFT rather than by librosa itself:
librosa's onset, tempo and chroma modules compile numba code when they are imported, 1.7 to 3 s
of CPU in every process even with numba's cache (measured on this machine), more than every
other check of ``producer analyze`` on a whole song. The steps:

* onset strength: log power (dB, floored 80 dB under the loudest) in ERB-wide bands of a
  2048-point STFT (hop 512 at 22.05 kHz, 23 ms), its positive first difference averaged over
  the bands (librosa: the same on 128 mel bands);
* tempo: the onset envelope's autocorrelation in 8.9 s windows (librosa's ``ac_size``),
  averaged, each lag's BPM weighted by librosa's log-normal prior (centre 120 BPM, one octave
  wide), the best lag refined by a parabola through its neighbours (librosa stops at whole
  lags: 117.5 or 123.0 BPM for a 120 BPM click);
* key: a chroma vector (magnitude per pitch class from 65 Hz to 5 kHz of an 8192-point STFT,
  each frame normalised to its largest class as librosa's chroma is, then summed) correlated
  with the Krumhansl–Kessler profiles of the 24 keys.

``tests/analysis/test_tempo_key.py`` holds it to librosa's own tempo and key on the same audio.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import scipy.fft

from producer.audio import Audio

NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

# Krumhansl & Kessler key profiles (Krumhansl, "Cognitive Foundations of Musical Pitch",
# 1990, table 2.1): the listener ratings of each pitch class in a major and a minor context.
_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])

F64 = npt.NDArray[np.float64]

#: Working rate, onset STFT and hop (librosa's defaults for beat tracking).
RATE = 22050
HOP = 512
ONSET_FFT = 2048
#: Autocorrelation window (frames): librosa's ``ac_size`` of 8 s, rounded as it rounds it.
AC_FRAMES = 384
#: librosa.feature.tempo's prior: log-normal around START_BPM, STD_OCTAVES wide; its range.
START_BPM = 120.0
STD_OCTAVES = 1.0
MAX_BPM = 320.0
MIN_BPM = 30.0
#: Chroma STFT and pitch range.
CHROMA_FFT = 8192
CHROMA_HOP = 2048
CHROMA_LOW_HZ = 65.0
CHROMA_HIGH_HZ = 5000.0


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


def _frames(x: npt.NDArray[np.float32], n_fft: int, hop: int) -> npt.NDArray[np.float32]:
    """Hann-windowed frames of ``x`` (centred like librosa: padded by n_fft/2 each side)."""
    pad = np.pad(x, (n_fft // 2, n_fft // 2))
    if len(pad) < n_fft:
        pad = np.pad(pad, (0, n_fft - len(pad)))
    count = 1 + (len(pad) - n_fft) // hop
    view = np.lib.stride_tricks.sliding_window_view(pad, n_fft)[::hop][:count]
    window = (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)
    return np.asarray(view * window)


@lru_cache(maxsize=4)
def _onset_bands(n_fft: int, rate: int) -> F64:
    """(bins, bands): 1-ERB-wide bands from 50 Hz to 0.45 fs, each bin by its share."""
    from producer.analysis.ear.frames import erb_frequency, erb_number

    freqs = np.fft.rfftfreq(n_fft, 1.0 / rate)
    e = np.arange(float(erb_number(50.0)), float(erb_number(0.45 * rate)), 1.0)
    low, high = erb_frequency(e - 0.5), erb_frequency(e + 0.5)
    df = freqs[1] - freqs[0]
    lo = np.maximum(freqs - df / 2, 0.0)
    hi = freqs + df / 2
    overlap = np.minimum(hi[None, :], high[:, None]) - np.maximum(lo[None, :], low[:, None])
    return np.asarray((np.clip(overlap, 0.0, None) / df).T)


def onset_strength(mono: npt.NDArray[np.float32]) -> F64:
    """Onset envelope, one value per HOP (librosa.onset.onset_strength's method)."""
    spec = scipy.fft.rfft(_frames(mono, ONSET_FFT, HOP), axis=1)
    power = (spec.real**2 + spec.imag**2) @ _onset_bands(ONSET_FFT, RATE)
    db = 10.0 * np.log10(np.maximum(power, 1e-10))
    db = np.maximum(db, db.max() - 80.0)
    flux = np.maximum(0.0, np.diff(db, axis=0)).mean(axis=1)
    return np.concatenate([[0.0], flux])


def _windowed_autocorrelation(onset: F64) -> F64:
    """Mean over 8.9 s windows (half overlapping) of the onset envelope's autocorrelation,
    each window normalised to its lag-0 value; lags 0..AC_FRAMES-1."""
    n = len(onset)
    win = min(AC_FRAMES, n)
    starts = range(0, max(1, n - win + 1), max(1, win // 2))
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * (np.arange(win) + 0.5) / win)
    size = 1 << math.ceil(math.log2(2 * win))
    total = np.zeros(win)
    count = 0
    for s in starts:
        seg = onset[s : s + win] * window
        spec = np.fft.rfft(seg, size)
        ac = np.fft.irfft(spec.real**2 + spec.imag**2, size)[:win]
        if ac[0] > 0:
            total += ac / ac[0]
            count += 1
    return total / max(count, 1)


def tempo(onset: F64) -> tuple[float, float]:
    """(BPM, confidence) of an onset envelope: librosa.feature.tempo's estimate, the best lag
    refined to a fraction of a frame."""
    ac = _windowed_autocorrelation(onset)
    lags = np.arange(len(ac), dtype=np.float64)
    with np.errstate(divide="ignore"):
        bpm = 60.0 * RATE / (HOP * lags)
    ok = (lags > 0) & (bpm <= MAX_BPM) & (bpm >= MIN_BPM)
    if not ok.any() or ac[0] <= 0:
        return 0.0, 0.0
    prior = -0.5 * ((np.log2(np.where(ok, bpm, 1.0)) - math.log2(START_BPM)) / STD_OCTAVES) ** 2
    score = np.where(ok, np.log1p(1e6 * np.maximum(ac, 0.0)) + prior, -np.inf)
    k = int(np.argmax(score))
    lag = float(k)
    if 0 < k < len(ac) - 1 and ok[k - 1] and ok[k + 1]:
        a, b, c = ac[k - 1], ac[k], ac[k + 1]
        denom = a - 2.0 * b + c
        if denom < 0:
            lag += float(np.clip(0.5 * (a - c) / denom, -0.5, 0.5))
    return 60.0 * RATE / (HOP * lag), _confidence(onset, k)


def _confidence(onset: F64, k: int) -> float:
    """The onset envelope's autocorrelation (its mean removed: a steady level is no pulse)
    at lag ``k`` and its neighbours, relative to lag 0."""
    x = onset - onset.mean()
    size = 1 << math.ceil(math.log2(2 * len(x)))
    spec = np.fft.rfft(x, size)
    ac = np.fft.irfft(spec.real**2 + spec.imag**2, size)[: len(x)]
    if ac[0] <= 0 or k + 1 >= len(ac):
        return 0.0
    return float(np.clip(ac[max(1, k - 1) : k + 2].max() / ac[0], 0.0, 1.0))


@lru_cache(maxsize=4)
def _chroma_map(n_fft: int, rate: int) -> F64:
    """(bins, 12): each bin between CHROMA_LOW_HZ and CHROMA_HIGH_HZ to its pitch class,
    weighted by a triangle one semitone wide around the class's equal-tempered pitches
    (A4 = 440 Hz)."""
    freqs = np.fft.rfftfreq(n_fft, 1.0 / rate)
    use = (freqs >= CHROMA_LOW_HZ) & (freqs <= CHROMA_HIGH_HZ)
    midi = 69.0 + 12.0 * np.log2(np.where(use, freqs, 1.0) / 440.0)
    out = np.zeros((len(freqs), 12))
    for pc in range(12):
        d = np.abs(((midi - pc) + 6.0) % 12.0 - 6.0)  # semitones to the nearest pc
        out[:, pc] = np.where(use, np.clip(1.0 - d, 0.0, None), 0.0)
    return out


def chroma_profile(mono: npt.NDArray[np.float32]) -> F64:
    """Summed chroma (12 values, C first): per frame magnitude per pitch class, normalised
    to the frame's largest class (frames with no energy left out)."""
    spec = scipy.fft.rfft(_frames(mono, CHROMA_FFT, CHROMA_HOP), axis=1)
    chroma = np.abs(spec) @ _chroma_map(CHROMA_FFT, RATE)
    top = chroma.max(axis=1, keepdims=True)
    keep = top[:, 0] > 1e-9 * max(float(top.max()), 1e-30)
    return np.asarray((chroma[keep] / top[keep]).sum(axis=0))


def key_of(profile: F64) -> tuple[str, float]:
    """Krumhansl–Schmuckler: the key whose profile correlates best, and the correlation."""
    best = ("", -2.0)
    if np.any(profile > 0):
        for tonic in range(12):
            for mode, ref in (("major", _MAJOR), ("minor", _MINOR)):
                r = float(np.corrcoef(profile, np.roll(ref, tonic))[0, 1])
                if r > best[1]:
                    best = (f"{NOTE_NAMES[tonic]} {mode}", r)
    return best


def estimate(audio: Audio, sample_rate: int) -> Estimate:
    """Tempo and key of ``audio``: ndarray [shape=(channels, frames)], float32."""
    mono = np.mean(np.asarray(audio, dtype=np.float32), axis=0)
    if sample_rate != RATE:
        import soxr

        mono = np.asarray(soxr.resample(mono, sample_rate, RATE, quality="HQ"), dtype=np.float32)
    bpm, tempo_conf = tempo(onset_strength(mono))
    key, key_conf = key_of(chroma_profile(mono))
    return Estimate(
        tempo_bpm=round(bpm, 1),
        key=key,
        key_confidence=round(key_conf, 3) if key else 0.0,
        duration_s=len(mono) / RATE,
        tempo_confidence=round(tempo_conf, 3),
    )


__all__ = [
    "NOTE_NAMES",
    "RATE",
    "Estimate",
    "chroma_profile",
    "estimate",
    "onset_strength",
    "tempo",
]
