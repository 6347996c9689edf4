"""Waveform peaks: the largest absolute sample of each channel in each short bucket.

What the review studio's player draws instead of decoding the audio in the browser, so a
10-minute song draws at once: ``PEAKS_PER_SECOND`` buckets per second (50 ms each), one row
per channel. A bucket straddling two blocks is handled exactly (the streaming result equals
the whole-array one, tested).
"""

from __future__ import annotations

import math
import os

import numpy as np
import numpy.typing as npt

from producer import audio as audio_io

PEAKS_PER_SECOND = 20
"""Buckets per second: 12,000 per channel for ten minutes, a few pixels' worth at any width."""


class PeakMeter:
    """Streaming peaks: ``add`` blocks of float32 ``(channels, frames)``, then ``result``."""

    def __init__(self, sample_rate: int, channels: int, per_second: int = PEAKS_PER_SECOND):
        if sample_rate <= 0 or channels <= 0 or per_second <= 0:
            raise ValueError("sample_rate, channels and per_second must be positive")
        self.sample_rate = sample_rate
        self.channels = channels
        self.per_second = per_second
        self.frames = 0
        self._out: list[npt.NDArray[np.float32]] = []
        self._carry = np.zeros((channels, 0), dtype=np.float32)
        self._done = 0  # buckets completed

    def _bucket(self, index: int) -> int:
        """First frame of bucket ``index`` (rounded: buckets are 1/per_second s long)."""
        return (index * self.sample_rate) // self.per_second

    def add(self, block: npt.ArrayLike) -> None:
        """block : ndarray [shape=(channels, frames)]"""
        x = np.abs(np.asarray(block, dtype=np.float32))
        if x.ndim != 2 or x.shape[0] != self.channels:
            raise ValueError(f"expected ({self.channels}, frames), got {x.shape}")
        data = np.concatenate([self._carry, x], axis=1) if self._carry.shape[1] else x
        start = self.frames - self._carry.shape[1]  # absolute frame of data[:, 0]
        self.frames += x.shape[1]
        done = self._done
        edges = []
        k = done
        while self._bucket(k + 1) <= self.frames:
            edges.append(self._bucket(k + 1) - start)
            k += 1
        if edges:
            starts = [self._bucket(done) - start, *edges[:-1]]
            self._out.append(np.maximum.reduceat(data[:, : edges[-1]], starts, axis=1))
            self._done += len(edges)
            self._carry = data[:, edges[-1] :]
        else:
            self._carry = data

    def result(self) -> npt.NDArray[np.float32]:
        """Peaks [shape=(channels, ceil(seconds * per_second))], linear 0..(max |sample|)."""
        parts = list(self._out)
        if self._carry.shape[1]:
            parts.append(self._carry.max(axis=1, keepdims=True))
        if not parts:
            return np.zeros((self.channels, 0), dtype=np.float32)
        return np.concatenate(parts, axis=1)


def peaks(
    audio: npt.ArrayLike, sample_rate: int, per_second: int = PEAKS_PER_SECOND
) -> npt.NDArray[np.float32]:
    """Peaks of a whole array: audio [shape=(channels, frames)] → (channels, buckets)."""
    a = np.asarray(audio, dtype=np.float32)
    if a.ndim == 1:
        a = a[np.newaxis, :]
    n = math.ceil(a.shape[1] * per_second / sample_rate)
    starts = [(i * sample_rate) // per_second for i in range(n)]
    if not starts:
        return np.zeros((a.shape[0], 0), dtype=np.float32)
    return np.maximum.reduceat(np.abs(a), starts, axis=1)


def peaks_file(
    path: str | os.PathLike[str], per_second: int = PEAKS_PER_SECOND
) -> tuple[npt.NDArray[np.float32], int, int]:
    """(peaks, sample_rate, frames) of an audio file, streamed in blocks (bounded memory)."""
    meta = audio_io.info(path)
    meter = PeakMeter(meta.sample_rate, meta.channels, per_second)
    for block in audio_io.blocks(path, 1 << 16):
        meter.add(block)
    return meter.result(), meta.sample_rate, meter.frames


__all__ = ["PEAKS_PER_SECOND", "PeakMeter", "peaks", "peaks_file"]
