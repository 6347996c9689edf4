"""Tracking speed: capture to disk vs real time, take review vs plain pYIN, comp rendering.

Peers measured in the same run: ``soundfile`` writing the same blocks to a WAV (what a naive
recorder does), and librosa's pYIN over the full vocal range at the take's own rate (what the
review would cost without its range pre-pass and 16 kHz analysis).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from producer.tracking import capture as cap
from producer.tracking import review as rv

RATE = 48000


def _capture(folder: Path, audio: np.ndarray, block: int) -> float:
    meta = cap.CaptureMeta(
        song="bench",
        sample_rate=RATE,
        channels=audio.shape[0],
        tracks=tuple(cap.TrackInput(f"t{i}", (i,)) for i in range(audio.shape[0])),
    )
    t0 = time.perf_counter()
    w = cap.CaptureWriter(folder, meta)
    for i in range(0, audio.shape[1], block):
        w.write(audio[:, i : i + block])
    w.close()
    return time.perf_counter() - t0


def _soundfile(path: Path, audio: np.ndarray, block: int) -> float:
    t0 = time.perf_counter()
    with sf.SoundFile(str(path), "w", RATE, audio.shape[0], subtype="FLOAT") as f:
        for i in range(0, audio.shape[1], block):
            f.write(audio[:, i : i + block].T)
    return time.perf_counter() - t0


def main() -> None:
    rng = np.random.default_rng(0)
    seconds = 60.0
    audio = (0.1 * rng.standard_normal((8, int(seconds * RATE)))).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        ours = _capture(Path(tmp) / "c", audio, 1024)
        peer = _soundfile(Path(tmp) / "p.wav", audio, 1024)
    print(f"capture 8 ch x {seconds:g} s in 1024-frame blocks: {ours:.3f} s")
    print(f"  = {seconds / ours:.0f}x real time; soundfile WAV (no fsync): {peer:.3f} s")
    print(f"  ratio ours/soundfile: {ours / peer:.2f}")

    t = np.arange(int(6 * RATE)) / RATE
    f0 = 220 * 2 ** (np.floor(t * 2) / 12)  # a new semitone every 0.5 s
    gate = np.clip(np.minimum((t % 0.5) / 0.01, (0.45 - t % 0.5) / 0.03), 0, 1)
    voice = (0.3 * gate * np.sin(2 * np.pi * np.cumsum(f0) / RATE)).astype(np.float32)
    import librosa

    # Warm both up (imports, numba compilation) before timing.
    rv.review_take(voice[np.newaxis, : RATE // 2], RATE)
    librosa.pyin(voice[: RATE // 2], fmin=rv.FMIN_HZ, fmax=rv.FMAX_HZ, sr=RATE, frame_length=2048)
    t0 = time.perf_counter()
    rv.review_take(voice[np.newaxis], RATE)
    ours = time.perf_counter() - t0

    t0 = time.perf_counter()
    librosa.pyin(voice, fmin=rv.FMIN_HZ, fmax=rv.FMAX_HZ, sr=RATE, frame_length=2048)
    peer = time.perf_counter() - t0
    print(f"review of a 6 s take: {ours:.2f} s; plain pYIN at 48 kHz, full range: {peer:.2f} s")
    print(f"  ratio ours/pYIN: {ours / peer:.2f}")


if __name__ == "__main__":
    main()
