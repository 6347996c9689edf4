"""Where the engine's audio comes from: a ``MediaSource`` reads ranges of media in blocks.

The engine never opens project files (ARCHITECTURE.md): the render workflow hands in a source
reading the project's media folder; tests hand in arrays (``ArraySource``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import numpy as np

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


__all__ = ["ArraySource", "MediaSource"]
