"""Seeded test signals of the tracking tests: noise, and a sung-like melody with vibrato."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 48000


def noise(seconds: float, seed: int, level: float = 0.25, channels: int = 1) -> np.ndarray:
    """Seeded white noise, float32 (channels, frames)."""
    rng = np.random.default_rng(seed)
    return (level * rng.standard_normal((channels, round(seconds * RATE)))).astype(np.float32)


def write(path: Path, audio: np.ndarray, rate: int = RATE) -> Path:
    """Write float32 (channels, frames) as a float WAV (exact)."""
    sf.write(str(path), audio.T, rate, subtype="FLOAT")
    return path


def sung_melody(
    pitches: list[int],
    onsets_s: list[float],
    sample_rate: int,
    *,
    detune_cents: float = 0.0,
    note_s: float = 0.4,
    tuning_hz: float = 440.0,
    vibrato_cents: float = 40.0,
    vibrato_hz: float = 5.5,
    length_s: float | None = None,
    noise_dbfs: float = -70.0,
    seed: int = 1,
) -> np.ndarray:
    """Mono float32 (1, frames): harmonic notes (5 partials) with vibrato, 8 ms attack,
    40 ms release, every note ``detune_cents`` off equal temperament, starting at ``onsets_s``."""
    rng = np.random.default_rng(seed)
    total_s = length_s if length_s is not None else max(onsets_s) + note_s + 0.5
    n = int(total_s * sample_rate)
    out = rng.normal(0.0, 10 ** (noise_dbfs / 20), n)
    for pitch, start in zip(pitches, onsets_s, strict=True):
        f = tuning_hz * 2 ** ((pitch - 69 + detune_cents / 100) / 12)
        m = int(note_s * sample_rate)
        t = np.arange(m) / sample_rate
        # Vibrato starts after 120 ms, as singers do; sinusoidal in cents.
        depth = vibrato_cents * np.clip((t - 0.12) / 0.1, 0, 1)
        inst = f * 2 ** (depth * np.sin(2 * np.pi * vibrato_hz * t + rng.uniform(0, 6.28)) / 1200)
        phase = 2 * np.pi * np.cumsum(inst) / sample_rate
        tone = sum((0.6 / k) * np.sin(k * phase) for k in range(1, 6))
        env = np.minimum(1.0, t / 0.008) * np.clip((note_s - t) / 0.04, 0, 1)
        i0 = round(start * sample_rate)
        out[i0 : i0 + m] += 0.5 * tone * env
    return out[np.newaxis, :].astype(np.float32)
