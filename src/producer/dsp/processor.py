"""The one interface of every audio unit: a Processor. A chain of processors is a Processor.

A processor is prepared once for a sample rate, channel count and largest block, then called
block by block with float32 audio of shape ``(channels, frames)``; it keeps its state (filter
memories, envelopes, delay lines) between calls, so a stream of blocks gives the same samples
as one call on the whole signal. ``latency_frames`` is how late its output is relative to its
input (look-ahead limiters, linear-phase filters); the engine compensates parallel paths by it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from producer.audio import Audio


@runtime_checkable
class Processor(Protocol):
    def prepare(self, sample_rate: int, channels: int, max_block_frames: int) -> None:
        """Get ready to process blocks of at most ``max_block_frames``; resets state."""

    def process(self, audio: Audio) -> Audio:
        """Process one block (channels, frames) and return a block of the same shape."""

    def reset(self) -> None:
        """Forget all state (as after ``prepare``)."""

    @property
    def latency_frames(self) -> int:
        """Delay of the output relative to the input, in frames."""


class Chain:
    """Processors in series; itself a Processor, with the sum of their latencies."""

    def __init__(self, processors: Sequence[Processor] = ()) -> None:
        self.processors = list(processors)

    def prepare(self, sample_rate: int, channels: int, max_block_frames: int) -> None:
        for p in self.processors:
            p.prepare(sample_rate, channels, max_block_frames)

    def process(self, audio: Audio) -> Audio:
        for p in self.processors:
            audio = p.process(audio)
        return audio

    def reset(self) -> None:
        for p in self.processors:
            p.reset()

    @property
    def latency_frames(self) -> int:
        return sum(p.latency_frames for p in self.processors)


class Gain:
    """A fixed gain in dB: the simplest Processor, and the reference for the protocol."""

    def __init__(self, gain_db: float = 0.0) -> None:
        self.gain_db = gain_db

    def prepare(self, sample_rate: int, channels: int, max_block_frames: int) -> None:
        pass

    def process(self, audio: Audio) -> Audio:
        return (audio * np.float32(10.0 ** (self.gain_db / 20.0))).astype(np.float32, copy=False)

    def reset(self) -> None:
        pass

    @property
    def latency_frames(self) -> int:
        return 0


__all__ = ["Chain", "Gain", "Processor"]
