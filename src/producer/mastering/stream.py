"""Streaming pieces of the mastering chain: sources, sample stores, re-blocking, spectra, FIR.

The chain works block by block so that a 60-minute programme masters in bounded memory: the
input is read in blocks (an array or a file), every intermediate signal that is read more than
once (the prepared mix, the delivered master) lives in a :class:`SampleStore` (raw float32 in
a temporary file, or in memory when small), and every measurement accumulates as the blocks
pass. Only the per-millisecond analysis of the gain model and the meter's 10 ms series grow
with the programme's length (tens of MB for an hour).
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from producer import audio as audio_io
from producer.audio import Audio, as_audio

#: Frames per block flowing through the chain (about 1.5 s at 44.1 kHz).
BLOCK = 65536
#: Stores up to this many samples (all channels) stay in memory; longer ones go to a file.
IN_MEMORY_SAMPLES = 2 * 1024 * 1024
#: A long-term spectrum: (frequencies_hz, level_db), as ``Welch`` and ``long_term_spectrum_db``
#: give it.
Spectrum = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]


class Source:
    """Audio to master: ``sample_rate``, ``channels``, ``frames`` and ``blocks()`` (repeatable)."""

    sample_rate: int
    channels: int
    frames: int

    def blocks(self, block: int = BLOCK) -> Iterator[Audio]:
        raise NotImplementedError


class ArraySource(Source):
    """An in-memory array [shape=(channels, frames)] as a source."""

    def __init__(self, audio: Audio, sample_rate: int) -> None:
        self.audio = as_audio(audio)
        self.sample_rate = int(sample_rate)
        self.channels, self.frames = self.audio.shape

    def blocks(self, block: int = BLOCK) -> Iterator[Audio]:
        for start in range(0, self.frames, block):
            yield self.audio[:, start : start + block]


class FileSource(Source):
    """An audio file streamed in blocks (soundfile); ``upmix`` repeats a mono file to stereo."""

    def __init__(self, path: str | os.PathLike[str], upmix_to: int | None = None) -> None:
        self.path = Path(path)
        meta = audio_io.info(self.path)
        self.sample_rate = meta.sample_rate
        self.frames = meta.frames
        self._repeat = upmix_to if upmix_to and meta.channels == 1 else 1
        self.channels = meta.channels * self._repeat

    def blocks(self, block: int = BLOCK) -> Iterator[Audio]:
        for b in audio_io.blocks(self.path, block):
            yield np.repeat(b, self._repeat, axis=0) if self._repeat > 1 else b


class SampleStore(Source):
    """Samples written once, read any number of times: in memory, or raw float32 in a
    temporary file once they outgrow ``IN_MEMORY_SAMPLES`` (deleted with the store)."""

    def __init__(self, sample_rate: int, channels: int) -> None:
        self.sample_rate = int(sample_rate)
        self.channels = channels
        self.frames = 0
        self._parts: list[Audio] = []
        self._file: Any = None
        self._path: str | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None

    def write(self, block: Audio) -> None:
        """Append ``block`` [shape=(channels, frames)]."""
        b = np.ascontiguousarray(block, dtype=np.float32)
        if b.shape[1] == 0:
            return
        if self._file is None and (self.frames + b.shape[1]) * self.channels > IN_MEMORY_SAMPLES:
            self._spill()
        if self._file is not None:
            self._file.write(np.ascontiguousarray(b.T).tobytes())
        else:
            self._parts.append(b)
        self.frames += b.shape[1]

    def _spill(self) -> None:
        fd, path = tempfile.mkstemp(prefix="producer-master-", suffix=".f32")
        self._file = os.fdopen(fd, "w+b")
        self._path = path
        self._finalizer = weakref.finalize(self, _remove, self._file, path)
        for part in self._parts:
            self._file.write(np.ascontiguousarray(part.T).tobytes())
        self._parts = []

    def blocks(self, block: int = BLOCK) -> Iterator[Audio]:
        if self._file is None:
            pending = np.concatenate(self._parts, axis=1) if len(self._parts) > 1 else None
            if pending is not None:
                self._parts = [pending]
            for part in self._parts:
                for start in range(0, part.shape[1], block):
                    yield part[:, start : start + block]
            return
        self._file.flush()
        frame_bytes = 4 * self.channels
        assert self._path is not None
        with open(self._path, "rb") as f:
            while True:
                raw = f.read(block * frame_bytes)
                if not raw:
                    return
                data = np.frombuffer(raw, dtype=np.float32).reshape(-1, self.channels)
                yield np.ascontiguousarray(data.T)

    def read(self) -> Audio:
        """Every sample as one array (for short programmes, tests and the CD image)."""
        parts = list(self.blocks(BLOCK))
        if not parts:
            return np.zeros((self.channels, 0), dtype=np.float32)
        return np.ascontiguousarray(np.concatenate(parts, axis=1))

    def close(self) -> None:
        """Delete the temporary file now (the store is empty afterwards)."""
        if self._finalizer is not None:
            self._finalizer()
        self._file = None
        self._parts = []
        self.frames = 0


def _remove(handle: Any, path: str) -> None:
    try:
        handle.close()
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


class Rebuffer:
    """Turns blocks of any size into blocks of exactly ``size`` frames (the last may be short).

    The chain's meter sees the delivered samples in the same blocks as ``producer meter``
    reading the delivered file, so both compute the very same figures.
    """

    def __init__(self, channels: int, size: int = BLOCK) -> None:
        self.size = size
        self._parts: list[Audio] = []
        self._held = 0
        self.channels = channels

    def push(self, block: Audio) -> Iterator[Audio]:
        if block.shape[1]:
            self._parts.append(block)
            self._held += block.shape[1]
        while self._held >= self.size:
            data = np.concatenate(self._parts, axis=1) if len(self._parts) > 1 else self._parts[0]
            yield data[:, : self.size]
            rest = data[:, self.size :]
            self._parts = [rest] if rest.shape[1] else []
            self._held = rest.shape[1]

    def flush(self) -> Iterator[Audio]:
        if self._held:
            yield np.concatenate(self._parts, axis=1)
        self._parts, self._held = [], 0


class Welch:
    """Long-term average spectrum of the channel mean, block by block: Welch's method (Hann
    window, 50 % overlap, density scaling; what ``scipy.signal.welch`` computes), numpy only.

    ``segment`` is 8192 samples, or the largest power of two the programme holds if shorter;
    ``hop`` the step between segments as a fraction of one (the chain, averaging whole songs
    for a plot, takes every other segment: a quarter of the work, the same average).
    """

    def __init__(self, sample_rate: int, segment: int = 8192, hop: float = 0.5) -> None:
        self.sample_rate = sample_rate
        self.segment = segment
        self.hop = max(1, round(segment * hop))
        self._carry = np.zeros(0)
        self._sum = np.zeros(segment // 2 + 1)
        self._count = 0
        self._window = np.hanning(segment + 1)[:-1]  # periodic Hann, as scipy's "hann"

    def add(self, block: Audio) -> None:
        mono = np.mean(np.asarray(block, dtype=np.float64), axis=0)
        data = np.concatenate([self._carry, mono]) if len(self._carry) else mono
        n = self.segment
        hop = self.hop
        count = (len(data) - n) // hop + 1 if len(data) >= n else 0
        if count > 0:
            frames = np.lib.stride_tricks.sliding_window_view(data, n)[::hop][:count]
            frames = frames - frames.mean(axis=1, keepdims=True)  # "constant" detrend
            spectra = np.abs(np.fft.rfft(frames * self._window, axis=1)) ** 2
            self._sum += spectra.sum(axis=0)
            self._count += count
        self._carry = data[count * hop :] if count else data

    def result(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """(frequencies_hz, level_db)."""
        if self._count == 0:
            # Shorter than one segment: one segment of the largest power of two it holds.
            data = self._carry
            n = 1 << int(math.log2(max(len(data), 2)))
            n = max(2, min(n, len(data))) if len(data) >= 2 else 2
            segment = np.zeros(n)
            segment[: min(n, len(data))] = data[:n]
            window = np.hanning(n + 1)[:-1]
            spectrum = np.abs(np.fft.rfft((segment - segment.mean()) * window)) ** 2
            power, count, win = spectrum, 1, window
        else:
            power, count, win, n = self._sum, self._count, self._window, self.segment
        density = power / count / (self.sample_rate * float(np.sum(win**2)))
        if n % 2 == 0:
            density[1:-1] *= 2.0
        else:
            density[1:] *= 2.0
        f = np.asarray(np.fft.rfftfreq(n, 1.0 / self.sample_rate), dtype=np.float64)
        return f, 10.0 * np.log10(density + 1e-20)


def long_term_spectrum_db(
    audio: Audio, sample_rate: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(frequencies_hz, level_db) of the long-term average spectrum of the channel mean."""
    a = as_audio(audio)
    segment = min(8192, max(256, 1 << int(math.log2(max(a.shape[1], 2)))))
    w = Welch(sample_rate, segment)
    w.add(a)
    return w.result()


class StreamFir:
    """Linear-phase FIR filtering block by block (overlap-save with numpy's FFT), its delay
    removed: output frame i is the filtered input frame i. ``flush`` returns the last frames."""

    def __init__(self, taps: npt.NDArray[np.float64], channels: int) -> None:
        self.taps = np.asarray(taps, dtype=np.float64)
        self.delay = (len(self.taps) - 1) // 2
        self._history = np.zeros((channels, len(self.taps) - 1))
        self._to_skip = self.delay
        size = 1 << math.ceil(math.log2(4 * len(self.taps)))
        self._fft_size = size
        self._taps_f = np.fft.rfft(self.taps, size)

    def _run(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        m = len(self.taps) - 1
        data = np.concatenate([self._history, x], axis=1)
        self._history = data[:, data.shape[1] - m :]
        step = self._fft_size - m
        out = np.empty((x.shape[0], x.shape[1]))
        for start in range(0, x.shape[1], step):
            chunk = data[:, start : start + self._fft_size]
            y = np.fft.irfft(np.fft.rfft(chunk, self._fft_size, axis=1) * self._taps_f, axis=1)
            count = min(step, x.shape[1] - start)
            out[:, start : start + count] = y[:, m : m + count]
        return out

    def process(self, block: Audio) -> Audio:
        y = self._run(np.asarray(block, dtype=np.float64))
        skip = min(self._to_skip, y.shape[1])
        self._to_skip -= skip
        return np.ascontiguousarray(y[:, skip:], dtype=np.float32)

    def flush(self) -> Audio:
        """The last ``delay`` frames (feeds the filter's tail with silence)."""
        y = self._run(np.zeros((self._history.shape[0], self.delay + self._to_skip)))
        skip = self._to_skip
        self._to_skip = 0
        return np.ascontiguousarray(y[:, skip:], dtype=np.float32)


__all__ = [
    "BLOCK",
    "ArraySource",
    "FileSource",
    "Rebuffer",
    "SampleStore",
    "Source",
    "Spectrum",
    "StreamFir",
    "Welch",
    "long_term_spectrum_db",
]
