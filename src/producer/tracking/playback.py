"""Playing to the output device: a PortAudio stream (sounddevice, callback mode) that copies
frames from a buffer someone else fills (``producer.engine.realtime.Ring``).

The callback does nothing but copy: it reads what the buffer holds, fills any shortfall with
silence and counts it. Two kinds of dropout are counted apart: ``underflows`` (PortAudio
reports the device ran dry: the callback came too late) and ``starved`` (the callback came in
time but the renderer had not filled the buffer). Before the buffer holds ``prefill_frames``
the stream plays silence without counting it: the start, not a dropout.

The time the first frame reaches the output is taken from PortAudio's own clock: the
callback's ``outputBufferDacTime − currentTime`` (how far ahead of the DAC it writes), or the
stream's reported output latency when the host API gives no DAC times.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from producer.errors import UserError
from producer.tracking.streams import DeviceLostError, _sounddevice, find_device

LEAD_IN_S = 0.05
"""Seconds of silence a stream plays before the first frame of the source."""
LEAD_OUT_S = 0.1
"""Seconds of silence after the last frame, beyond the device's latency, before it stops."""


class FrameSource(Protocol):
    """What the callback reads from (``producer.engine.realtime.Ring`` is one)."""

    @property
    def finished(self) -> bool:
        """No more frames will come."""

    @property
    def available(self) -> int: ...

    def read_into(self, out: npt.NDArray[np.float32]) -> int:
        """Copy up to ``len(out)`` frames into ``out`` (frames, channels); return the count."""


class Playback:
    """An output stream playing ``source`` at ``sample_rate`` (stereo by default).

    ``block_frames`` 0 lets PortAudio choose the callback size (what it does best with the
    host); ``latency`` is PortAudio's suggested output latency (seconds, or "low"/"high").
    Raises NotFoundError for an unknown device and UserError for settings it refuses.
    """

    def __init__(
        self,
        source: FrameSource,
        sample_rate: int,
        *,
        channels: int = 2,
        device: str | int | None = None,
        block_frames: int = 0,
        latency: float | str = "high",
        prefill_frames: int = 0,
    ) -> None:
        sd = _sounddevice()
        self.source = source
        self.sample_rate = sample_rate
        self.prefill_frames = prefill_frames
        self.paused = False
        self.underflows = 0
        self.starved = 0
        self.first_sound: float | None = None
        """``time.monotonic()`` at which the first frame reached the output, once it has."""
        self.drained = threading.Event()
        """Set once the source has finished and every frame of it was handed to the device."""
        self._primed = False
        self._silence = 0
        # Silence before the first frame: a sound server that has just been handed a stream
        # may rewind and drop the first few milliseconds it was given (PulseAudio does).
        self.lead_in_frames = round(LEAD_IN_S * sample_rate)
        self._tail = 0
        self._tail_frames = 0
        index = find_device(device, kind="output")
        try:
            sd.check_output_settings(
                device=index, channels=channels, samplerate=sample_rate, dtype="float32"
            )
        except Exception as exc:  # PortAudioError or ValueError: the device refuses
            name = device if device is not None else "default"
            raise UserError(
                f"output device {name}: refuses {sample_rate} Hz / {channels} channels ({exc})"
            ) from None
        self._stream: Any = sd.OutputStream(
            samplerate=sample_rate,
            blocksize=block_frames,
            device=index,
            channels=channels,
            dtype="float32",
            latency=latency,
            callback=self._callback,
        )
        self._tail_frames = round((self._stream.latency + LEAD_OUT_S) * sample_rate)

    @property
    def latency_s(self) -> float:
        """The output latency PortAudio reports for the open stream."""
        return float(self._stream.latency)

    @property
    def block_frames(self) -> int:
        return int(self._stream.blocksize)

    def _callback(self, outdata: npt.NDArray[np.float32], frames: int, t: Any, status: Any) -> None:
        if status.output_underflow:
            self.underflows += 1
        src = self.source
        if not self._primed:
            self._silence += frames
            if self._silence <= self.lead_in_frames or (
                src.available < self.prefill_frames and not src.finished
            ):
                outdata.fill(0.0)
                return
            self._primed = True
        if self.paused:
            outdata.fill(0.0)
            return
        n = src.read_into(outdata)
        if n and self.first_sound is None:
            ahead = t.outputBufferDacTime - t.currentTime
            if not 0.0 < ahead < 5.0:  # no DAC times from this host API
                ahead = self._stream.latency
            self.first_sound = time.monotonic() + ahead
        if n < frames:
            outdata[n:] = 0.0
            if src.finished and src.available == 0:
                # Silence after the last frame for as long as the device buffers, so that it
                # has played out when the stream stops (a sound server drops what it holds).
                self._tail += frames - n
                if self._tail >= self._tail_frames:
                    self.drained.set()
            else:
                self.starved += 1

    def start(self) -> None:
        try:
            self._stream.start()
        except Exception as exc:  # PortAudioError: the server went away
            raise DeviceLostError(f"output device lost: {exc}") from None

    def close(self) -> None:
        """Stop (letting what the device holds play out) and release the device."""
        try:
            if self._stream.active:
                self._stream.stop()
        finally:
            self._stream.close()


__all__ = ["FrameSource", "Playback"]
