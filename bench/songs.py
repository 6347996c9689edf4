"""Synthetic songs for the mastering and meter benchmarks: seeded, song-like, written once.

A "song" is a 120 BPM arrangement of kick, snare, hi-hats (noise reaching Nyquist, as cymbals
do), a bass line, chords of detuned saws and a noisy lead, in sections of different levels
(verse, chorus, break), mixed to about -20 LUFS with peaks near -3 dBFS: what a mix sent to
mastering looks like, long enough (minutes) that memory and speed are the real ones.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf


def cache_dir() -> Path:
    folder = Path(os.environ.get("BENCH_DIR", Path(tempfile.gettempdir()) / "producer-bench"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _minute(rate: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = 60 * rate
    t = np.arange(n) / rate
    beat = 0.5  # s at 120 BPM
    phase = (t % beat) / beat
    kick = np.sin(2 * np.pi * (50 + 90 * np.exp(-phase * 30)) * (t % beat)) * np.exp(-phase * 8)
    bar_phase = (t % (4 * beat)) / beat
    snare_env = np.exp(-np.minimum(np.abs(bar_phase - 1), np.abs(bar_phase - 3)) * 14)
    snare = rng.standard_normal(n) * snare_env * 0.5
    hat_env = np.exp(-((t % (beat / 2)) / (beat / 2)) * 40)
    hats = rng.standard_normal((2, n)) * hat_env * 0.25
    notes = np.array([41.2, 49.0, 55.0, 36.7])[((t // (4 * beat)) % 4).astype(int)]
    bass = np.tanh(2.0 * np.sin(2 * np.pi * notes * t)) * 0.45
    chord = np.zeros((2, n))
    for k, ratio in enumerate((1.0, 1.26, 1.5, 2.0)):
        f = notes * 4 * ratio
        for c, detune in enumerate((0.997, 1.003)):
            saw = 2.0 * ((f * detune * t + 0.13 * k) % 1.0) - 1.0
            chord[c] += 0.06 * saw
    lead = rng.standard_normal(n) * 0.08 * (0.6 + 0.4 * np.sin(2 * np.pi * 5.5 * t))
    mono = kick * 0.8 + snare + bass + lead
    mix = chord + hats + mono[np.newaxis, :] * np.array([[1.0], [0.95]])
    # Sections of 8 bars: verse, chorus (+4 dB), break (-8 dB).
    sections = np.array([0.0, 4.0, -8.0, 4.0])[((t // (16 * beat)) % 4).astype(int)]
    return mix * 10 ** (sections / 20.0)


def song(path: Path, minutes: float, rate: int = 48000, seed: int = 0) -> Path:
    """Write (once) a ``minutes``-long stereo song at ``rate`` as 24-bit WAV at ``path``."""
    frames = round(minutes * 60 * rate)
    if path.exists() and sf.info(str(path)).frames == frames:
        return path
    parts = [_minute(rate, seed * 10 + i) for i in range(3)]
    peak = max(float(np.max(np.abs(p))) for p in parts)
    tmp = path.with_suffix(".partial.wav")
    with sf.SoundFile(str(tmp), "w", rate, 2, subtype="PCM_24", format="WAV") as f:
        written = 0
        i = 0
        while written < frames:
            block = parts[i % 3][:, : frames - written] * (0.7 / peak)
            f.write(block.T.astype(np.float32))
            written += block.shape[1]
            i += 1
    tmp.replace(path)
    return path


__all__ = ["cache_dir", "song"]
