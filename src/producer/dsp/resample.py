"""Sample-rate conversion through libsoxr (the SoX resampler), at its very-high quality.

We never write our own resampler: soxr's VHQ setting is a linear-phase filter with a passband
to ~0.91·Nyquist and > 170 dB stopband rejection, far beyond what a project's media needs.
Arrays follow producer's convention: float32 ``(channels, frames)``; soxr wants the transpose.
"""

from __future__ import annotations

import numpy as np
import soxr

from producer.audio import Audio, as_audio
from producer.errors import UserError

QUALITY = "VHQ"
"""soxr quality recipe used everywhere in producer."""


def _check_rates(from_rate: int, to_rate: int) -> None:
    if from_rate <= 0 or to_rate <= 0:
        raise UserError(f"sample rates must be positive (got {from_rate} Hz → {to_rate} Hz)")


def resampled_length(frames: int, from_rate: int, to_rate: int) -> int:
    """Frames a signal of ``frames`` frames has after conversion (soxr rounds to nearest)."""
    _check_rates(from_rate, to_rate)
    return round(frames * to_rate / from_rate)


def resample(audio: Audio, from_rate: int, to_rate: int) -> Audio:
    """Convert ``audio`` [shape=(channels, frames)] from ``from_rate`` Hz to ``to_rate`` Hz.

    Returns float32 ``(channels, round(frames * to_rate / from_rate))``; the same array
    (as float32) when the rates are equal. The filter's delay is compensated by soxr, so a
    transient stays at the same time in seconds.
    """
    _check_rates(from_rate, to_rate)
    a = as_audio(audio)
    if from_rate == to_rate:
        return a
    if a.shape[1] == 0:
        return np.zeros((a.shape[0], 0), dtype=np.float32)
    out = soxr.resample(np.ascontiguousarray(a.T), from_rate, to_rate, quality=QUALITY)
    out2 = np.asarray(out, dtype=np.float32)
    if out2.ndim == 1:
        out2 = out2[:, np.newaxis]
    return np.ascontiguousarray(out2.T)


class StreamResampler:
    """Block-by-block conversion with bounded memory (for long files).

    Feed float32 ``(channels, frames)`` blocks to :meth:`process`; call it once more with
    ``last=True`` (an empty block is fine) to flush the filter's tail. The concatenated output
    equals :func:`resample` of the whole signal to within soxr's rounding.
    """

    def __init__(self, from_rate: int, to_rate: int, channels: int) -> None:
        _check_rates(from_rate, to_rate)
        self.channels = channels
        self._stream = soxr.ResampleStream(
            from_rate, to_rate, channels, dtype="float32", quality=QUALITY
        )

    def process(self, audio: Audio, last: bool = False) -> Audio:
        """Convert one block [shape=(channels, frames)]; returns (channels, frames_out)."""
        a = as_audio(audio)
        out = self._stream.resample_chunk(np.ascontiguousarray(a.T), last=last)
        out2 = np.asarray(out, dtype=np.float32).reshape(-1, self.channels)
        return np.ascontiguousarray(out2.T)


__all__ = ["QUALITY", "StreamResampler", "resample", "resampled_length"]
