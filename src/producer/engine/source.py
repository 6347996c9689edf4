"""Where the engine's audio comes from: a ``MediaSource`` reads ranges of media in blocks.

The engine never opens project files (ARCHITECTURE.md): the render workflow hands in a source
reading the project's media folder; tests hand in arrays (``ArraySource``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from producer.audio import Audio, as_audio
from producer.errors import NotFoundError
from producer.model import MediaRef


class MediaSource(Protocol):
    """Reads frames of a media file."""

    def read(self, ref: MediaRef, start_frame: int, frames: int) -> Audio:
        """Frames ``[start_frame, start_frame + frames)`` of ``ref``.

        Returns float32 audio of shape (ref.channels, frames); frames past the end of the
        media are silence. The array belongs to the caller, who may overwrite it (the engine
        scales blocks in place); any memory layout will do.
        """
        ...


@runtime_checkable
class RawMediaSource(MediaSource, Protocol):
    """A ``MediaSource`` that can also hand out samples as stored (an optional capability).

    The engine uses it for plain strips (one clip over the whole block, static gains, no
    effects): ``raw · (gain · scale)`` is then one numpy pass that converts and scales — the
    same float32 result as ``read`` followed by the gain, bit for bit, because ``scale`` is a
    power of two (libsndfile's int→float normalisation divides 16-bit PCM by 2^15, 24-bit by
    2^23).
    """

    def read_raw(
        self, ref: MediaRef, start_frame: int, frames: int
    ) -> tuple[npt.NDArray[np.int16] | npt.NDArray[np.int32] | Audio, float]:
        """(samples, scale): frames ``[start_frame, start_frame + frames)`` of ``ref``.

        ``samples`` has shape (frames, ref.channels) — interleaved, as stored — and dtype
        int16 (16-bit PCM, scale 2^−15), int32 (24-bit PCM in the top three bytes, scale
        2^−31) or float32 (anything else, then ``scale`` is 1.0); frames past the end are
        zeros. ``samples · scale`` is what ``read`` returns (transposed), exactly: every
        integer converts to float32 without rounding and the scales are powers of two. The
        array may be a buffer reused by the next ``read_raw`` call on the same thread: use it
        at once.
        """
        ...


class ArraySource:
    """A ``MediaSource`` over arrays in memory, keyed by ``MediaRef.path`` (tests, previews)."""

    def __init__(self, arrays: Mapping[str, Audio]) -> None:
        self.arrays = {k: as_audio(v) for k, v in arrays.items()}

    def read(self, ref: MediaRef, start_frame: int, frames: int) -> Audio:
        """audio : ndarray [shape=(channels, frames)], zero-padded past the end."""
        try:
            data = self.arrays[ref.path]
        except KeyError:
            raise NotFoundError(f"{ref.path}: no such media") from None
        out = data[:, start_frame : start_frame + frames].copy()  # the caller's to overwrite
        if out.shape[1] < frames:
            out = np.pad(out, ((0, 0), (0, frames - out.shape[1])))
        return out


__all__ = ["ArraySource", "MediaSource", "RawMediaSource"]
