"""The engine in real time: render ahead on a thread into a ring buffer that an audio callback
copies from.

The engine renders block by block far faster than real time (``render_plan``); playing it
needs only a buffer between that and the sound card. A ``Renderer`` runs a *producer* — a
function writing float32 blocks into a ``Sink``, such as a ``render_plan`` call — on its own
thread, into a ``Ring``. The audio callback calls ``Ring.read_into``, which copies what is
there and never blocks, allocates or takes a lock: the GIL is all it waits for, and the
producer thread hands that over at least every ``sys.getswitchinterval()`` seconds (and
whenever numpy, soundfile or pedalboard run). Memory is the ring, whatever the song's length.

One producer and one consumer: the write position is only moved by the producer, the read
position only by the consumer, each after its copy is complete, so either side sees a
consistent count of frames (CPython int stores are atomic).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from producer.audio import Audio
from producer.engine.sinks import Sink
from producer.errors import RenderError

Interleaved = npt.NDArray[np.float32]
"""float32 (frames, channels): what PortAudio's callback hands out."""

Producer = Callable[[Sink], None]
"""Writes the audio to play, block by block, into the sink it is given, then returns."""


class Stopped(Exception):
    """Raised inside a producer whose ``Ring`` was stopped (the player quit): it unwinds."""


class Ring:
    """A single-producer, single-consumer ring of float32 frames, (capacity, channels)."""

    def __init__(self, channels: int, capacity_frames: int) -> None:
        self.channels = channels
        self.capacity = capacity_frames
        self._buf = np.zeros((capacity_frames, channels), dtype=np.float32)
        self._written = 0  # frames ever written (moved by the producer only)
        self._read = 0  # frames ever read (moved by the consumer only)
        self._stop = threading.Event()
        self.finished = False
        """The producer has written its last frame."""

    @property
    def available(self) -> int:
        """Frames written and not yet read."""
        return self._written - self._read

    @property
    def frames_read(self) -> int:
        return self._read

    @property
    def frames_written(self) -> int:
        return self._written

    def stop(self) -> None:
        """Make a waiting ``write`` give up (raises ``Stopped`` in the producer)."""
        self._stop.set()

    def write(self, block: Audio) -> None:
        """Append ``block`` (channels, n), waiting for room; ``Stopped`` once stopped."""
        if block.shape[0] != self.channels:
            raise RenderError(f"ring: {block.shape[0]} channels written to a {self.channels}")
        n = block.shape[1]
        done = 0
        while done < n:
            if self._stop.is_set():
                raise Stopped
            room = self.capacity - self.available
            if room == 0:
                # Poll: a condition variable would make the callback take a lock to notify.
                time.sleep(0.002)
                continue
            k = min(room, n - done)
            start = self._written % self.capacity
            first = min(k, self.capacity - start)
            self._buf[start : start + first] = block[:, done : done + first].T
            if k > first:
                self._buf[: k - first] = block[:, done + first : done + k].T
            done += k
            self._written += k  # published after the copy

    def read_into(self, out: Interleaved) -> int:
        """Copy up to ``len(out)`` frames into ``out`` (frames, channels); returns how many.

        Never blocks; the rest of ``out`` is left for the caller (silence, usually).
        """
        n = min(len(out), self.available)
        if n <= 0:
            return 0
        start = self._read % self.capacity
        first = min(n, self.capacity - start)
        out[:first] = self._buf[start : start + first]
        if n > first:
            out[first:n] = self._buf[: n - first]
        self._read += n  # published after the copy
        return n


class RingSink:
    """A ``Sink`` writing into a ``Ring`` (blocking while it is full)."""

    def __init__(self, ring: Ring) -> None:
        self.ring = ring

    def write(self, audio: Audio) -> None:
        self.ring.write(audio)
        if self.ring.available > self.ring.capacity // 4:
            # Far enough ahead: let the audio callback have the GIL before the next block.
            time.sleep(0)

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


class Renderer:
    """Runs a producer on a thread of its own into a ring; the error it raised, if any, is
    re-raised by ``check``. ``stop`` ends it at its next write."""

    def __init__(self, produce: Producer, ring: Ring) -> None:
        self.ring = ring
        self._produce = produce
        self._thread = threading.Thread(target=self._run, name="producer-render", daemon=True)
        self._error: BaseException | None = None

    def _run(self) -> None:
        try:
            self._produce(RingSink(self.ring))
        except Stopped:
            pass
        except BaseException as exc:  # handed to the main thread by check()
            self._error = exc
        finally:
            self.ring.finished = True

    def start(self) -> None:
        self._thread.start()

    def check(self) -> None:
        """Re-raise the producer's error in the caller's thread."""
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        self.ring.stop()
        self._thread.join(timeout=5.0)

    def wait_for(self, frames: int, timeout: float) -> bool:
        """Wait until ``frames`` are buffered (or the producer ended); False on timeout."""
        end = time.monotonic() + timeout
        while self.ring.available < frames and not self.ring.finished:
            self.check()
            if time.monotonic() > end:
                return False
            time.sleep(0.002)
        self.check()
        return True


__all__ = ["Interleaved", "Producer", "Renderer", "Ring", "RingSink", "Stopped"]
