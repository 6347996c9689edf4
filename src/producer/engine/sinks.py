"""Where rendered audio goes: sinks receive float32 (channels, frames) blocks in order.

``FileSink`` writes a file block by block through ``soundfile.SoundFile`` under a temporary
name and renames it only when complete, so an interrupted render never leaves a file that looks
finished. 16-bit output is TPDF-dithered by ``producer.dsp.dither`` (exactly once, last);
24-bit and float are written as they are. Integer formats cannot hold a sample over full
scale: libsndfile clips it, and ``FileSink.clipped_samples`` counts them so the caller can say
so (float output keeps them, and counts none).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

import numpy as np
import soundfile as sf

from producer.audio import Audio
from producer.errors import RenderError, UserError
from producer.fileio import remove_stale_partials, temporary_name

#: soundfile subtypes of the bit depths a render can be written at.
BIT_DEPTHS = {"16": "PCM_16", "24": "PCM_24", "32f": "FLOAT"}
FORMATS = {"wav": "WAV", "flac": "FLAC"}


class Sink(Protocol):
    """Receives the blocks of one output."""

    def write(self, audio: Audio) -> None:
        """Append one block, audio : ndarray [shape=(channels, frames)]."""

    def close(self) -> None:
        """The render is complete."""

    def abort(self) -> None:
        """The render failed: leave nothing that looks finished."""


class ArraySink:
    """Collects the blocks in memory (tests, short previews); ``audio`` is (channels, frames)."""

    def __init__(self, channels: int = 2) -> None:
        self.channels = channels
        self._blocks: list[Audio] = []
        self.closed = False

    def write(self, audio: Audio) -> None:
        self._blocks.append(audio.copy())

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self._blocks.clear()

    @property
    def audio(self) -> Audio:
        if not self._blocks:
            return np.zeros((self.channels, 0), dtype=np.float32)
        return np.concatenate(self._blocks, axis=1)


class FileSink:
    """Writes a WAV or FLAC file in blocks; the file gets its name only on ``close``."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        sample_rate: int,
        channels: int = 2,
        file_format: str = "wav",
        bit_depth: str = "24",
        seed: int = 0,
    ) -> None:
        if file_format not in FORMATS:
            raise UserError(f"format {file_format!r}: use one of {', '.join(FORMATS)}")
        if bit_depth not in BIT_DEPTHS:
            raise UserError(f"bit depth {bit_depth!r}: use one of {', '.join(BIT_DEPTHS)}")
        if file_format == "flac" and bit_depth == "32f":
            raise UserError("FLAC holds integer samples only: use --bit-depth 16 or 24")
        self.path = Path(path)
        self.bit_depth = bit_depth
        self.clipped_samples = 0
        """Samples (per channel) over full scale that the integer format clipped."""
        self.peak = 0.0
        """Largest absolute sample written (before clipping)."""
        self.tmp = temporary_name(self.path)  # renamed into place by close()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_partials(self.path)  # what a killed earlier render of this file left
        # One seeded generator per file: the dither noise, like the render, is deterministic.
        self._rng = np.random.default_rng(seed)
        try:
            self._file = sf.SoundFile(
                str(self.tmp),
                "w",
                samplerate=sample_rate,
                channels=channels,
                subtype=BIT_DEPTHS[bit_depth],
                format=FORMATS[file_format],
            )
        except Exception as exc:
            raise RenderError(f"{self.path}: cannot be written ({exc})") from None

    def write(self, audio: Audio) -> None:
        if audio.size:
            peak = float(np.max(np.abs(audio)))
            self.peak = max(self.peak, peak)
            if peak > 1.0 and self.bit_depth != "32f":
                self.clipped_samples += int(np.count_nonzero(np.abs(audio) > 1.0))
        if self.bit_depth == "16":
            from producer.dsp import dither

            # dither.quantize returns float32 values on the 16-bit grid (k / 32768); writing
            # them as int16 ourselves keeps libsndfile from rescaling by 32767.
            q = dither.quantize(audio, 16, rng=self._rng)
            ints = np.clip(np.rint(q * 32768.0), -32768, 32767).astype(np.int16)
            self._file.write(ints.T)
        else:
            self._file.write(audio.T)

    def close(self) -> None:
        self._file.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        if not self._file.closed:
            self._file.close()
        if self.tmp.exists():
            self.tmp.unlink()


__all__ = ["BIT_DEPTHS", "FORMATS", "ArraySink", "FileSink", "Sink"]
