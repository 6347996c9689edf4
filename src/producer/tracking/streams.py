"""Audio I/O streams for recording: the interface, a real device (PortAudio), and a file source.

A recording reads its input through :class:`InputStream`: ``read(frames)`` blocks until that
many frames have arrived and returns float32 ``(channels, frames)`` (fewer, possibly zero,
frames at the end of the input). The output (the monitor mix, the click, calibration impulses)
is *pulled*: ``set_output(source)`` gives the stream a function ``source(first, frames)`` of the
output frame position, and the stream calls it for every block it plays. Input frame ``k`` and
output frame ``k`` leave and arrive together, so a slow caller (a busy machine, a slow disk)
can delay the reading of the input but never shift the output against it. Two
implementations:

* :class:`DeviceStream` — a duplex PortAudio stream through ``sounddevice``; the output is
  rendered in PortAudio's callback, the input queued for ``read``.
* :class:`FileSourceStream` — reads a recorded file in real-time-sized blocks, optionally paced
  at the wall clock, so the rest of the suite (and a SIGKILL test) records without hardware.

``sounddevice`` raises ``OSError`` at import when the PortAudio library is absent; it is
imported lazily so that everything else works on a machine without PortAudio.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any, Protocol, runtime_checkable

import numpy as np

from producer.audio import Audio, as_audio
from producer.audio import info as audio_info
from producer.audio import read as audio_read
from producer.errors import NotFoundError, RenderError, UserError


#: The output as a function of its frame position: ``source(first, frames)`` gives float32
#: ``(output_channels, frames)``.
OutputSource = Callable[[int, int], Audio]


class DeviceLostError(RenderError):
    """The audio device went away (unplugged, server stopped) in the middle of a take."""


@runtime_checkable
class InputStream(Protocol):
    """What a recording reads from (and plays the monitor/click to)."""

    @property
    def sample_rate(self) -> int: ...

    @property
    def channels(self) -> int:
        """Input channels delivered by :meth:`read`."""

    @property
    def output_channels(self) -> int:
        """Output channels the output source must give (0: no output)."""

    @property
    def xruns(self) -> int:
        """Input overflows plus output underflows so far (dropouts: each may shift the output
        against the input, so latency compensation after one is not exact)."""

    def start(self) -> None: ...

    def read(self, frames: int) -> Audio:
        """Next ``frames`` input frames, float32 ``(channels, n)``; ``n < frames`` only at the end.

        Raises :class:`DeviceLostError` when the device disappears.
        """

    def set_output(self, source: OutputSource | None) -> None:
        """Play ``source(first, frames)`` — float32 ``(output_channels, frames)`` for output
        frames ``[first, first + frames)`` — from output frame 0 on (call before start)."""

    @property
    def output_position(self) -> int:
        """Output frames requested from the source so far (≥ the input frames read)."""

    def close(self) -> None: ...


class FileSourceStream:
    """An input stream that replays a recorded file, block by block.

    ``realtime=True`` paces :meth:`read` at the wall clock (a block of ``n`` frames is returned
    no earlier than ``n / sample_rate`` seconds after the previous one), like a sound card.
    The output source is pulled for the same frames as each read; the blocks are collected in
    ``played`` (a list of ``(channels, frames)`` arrays) so tests can check the monitor.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        realtime: bool = True,
        output_channels: int = 0,
        fail_after_frames: int | None = None,
    ) -> None:
        meta = audio_info(path)
        self._path = Path(path)
        self._rate = meta.sample_rate
        self._channels = meta.channels
        self._frames = meta.frames
        self._out_channels = output_channels
        self._realtime = realtime
        self._pos = 0
        self._t0 = 0.0
        self._fail_after = fail_after_frames
        self._source: OutputSource | None = None
        self.played: list[Audio] = []

    @property
    def sample_rate(self) -> int:
        return self._rate

    @property
    def channels(self) -> int:
        return self._channels

    @property
    def output_channels(self) -> int:
        return self._out_channels

    @property
    def xruns(self) -> int:
        return 0

    def start(self) -> None:
        self._t0 = time.monotonic()

    def read(self, frames: int) -> Audio:
        if self._fail_after is not None and self._pos >= self._fail_after:
            raise DeviceLostError(f"{self._path}: input device lost")
        n = max(0, min(frames, self._frames - self._pos))
        if n == 0:
            return np.zeros((self._channels, 0), dtype=np.float32)
        block, _ = audio_read(self._path, start=self._pos, frames=n)
        self._play(self._pos, n)
        self._pos += n
        if self._realtime:
            due = self._t0 + self._pos / self._rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        return block

    def set_output(self, source: OutputSource | None) -> None:
        self._source = source

    @property
    def output_position(self) -> int:
        return self._pos

    def _play(self, first: int, frames: int) -> None:
        if self._out_channels and self._source is not None and frames:
            self.played.append(np.array(self._source(first, frames), dtype=np.float32))

    def close(self) -> None:
        pass

    def __enter__(self) -> FileSourceStream:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class ArraySourceStream(FileSourceStream):
    """Like :class:`FileSourceStream` but replays an array ``(channels, frames)`` in memory."""

    def __init__(
        self,
        audio: Audio,
        sample_rate: int,
        *,
        realtime: bool = False,
        output_channels: int = 0,
        fail_after_frames: int | None = None,
    ) -> None:
        self._audio = as_audio(audio)
        self._path = Path("<array>")
        self._rate = sample_rate
        self._channels = self._audio.shape[0]
        self._frames = self._audio.shape[1]
        self._out_channels = output_channels
        self._realtime = realtime
        self._pos = 0
        self._t0 = 0.0
        self._fail_after = fail_after_frames
        self._source = None
        self.played = []

    def read(self, frames: int) -> Audio:
        if self._fail_after is not None and self._pos >= self._fail_after:
            raise DeviceLostError("input device lost")
        n = max(0, min(frames, self._frames - self._pos))
        block = np.ascontiguousarray(self._audio[:, self._pos : self._pos + n])
        self._play(self._pos, n)
        self._pos += n
        if self._realtime and n:
            delay = self._t0 + self._pos / self._rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        return block


# ---------------------------------------------------------------- PortAudio


def _sounddevice() -> ModuleType:
    """The sounddevice module, or a clear error when PortAudio is not installed."""
    try:
        import sounddevice as sd
    except OSError as exc:  # sounddevice raises OSError when libportaudio is missing
        raise NotFoundError(
            f"no audio I/O: {exc} (install PortAudio, e.g. apt-get install libportaudio2)"
        ) from None
    module: ModuleType = sd
    return module


@dataclass(frozen=True)
class Device:
    """An audio device as PortAudio lists it."""

    index: int
    name: str
    hostapi: str
    max_input_channels: int
    max_output_channels: int
    default_sample_rate: float


def list_devices() -> list[Device]:
    """Every device PortAudio sees (raises NotFoundError when PortAudio is missing)."""
    sd = _sounddevice()
    apis = [str(a["name"]) for a in sd.query_hostapis()]
    return [
        Device(
            index=int(d["index"]),
            name=str(d["name"]),
            hostapi=apis[int(d["hostapi"])] if int(d["hostapi"]) < len(apis) else "",
            max_input_channels=int(d["max_input_channels"]),
            max_output_channels=int(d["max_output_channels"]),
            default_sample_rate=float(d["default_samplerate"]),
        )
        for d in sd.query_devices()
    ]


def find_device(name_or_index: str | int | None, *, kind: str) -> int | None:
    """Index of a device given by index or by (a unique part of) its name; None = the default.

    Raises NotFoundError naming the device and listing the ones that exist.
    """
    if name_or_index is None or name_or_index == "":
        return None
    devices = list_devices()
    wanted_in = kind == "input"
    usable = [
        d for d in devices if (d.max_input_channels if wanted_in else d.max_output_channels) > 0
    ]
    if isinstance(name_or_index, int) or str(name_or_index).isdigit():
        idx = int(name_or_index)
        for d in usable:
            if d.index == idx:
                return idx
    else:
        hits = [d for d in usable if str(name_or_index).lower() in d.name.lower()]
        exact = [d for d in hits if d.name.lower() == str(name_or_index).lower()]
        if len(exact) == 1:
            return exact[0].index
        if len(hits) == 1:
            return hits[0].index
    known = "; ".join(f"{d.index}: {d.name}" for d in usable) or "none"
    raise NotFoundError(f"{kind} device {name_or_index!r}: not found ({kind} devices: {known})")


class DeviceStream:
    """A duplex PortAudio stream (sounddevice) in callback mode.

    PortAudio's callback renders the output from the source (``set_output``) at the output
    frame position and queues the input for :meth:`read`; input and output of one callback are
    the same stretch of time, so their alignment — the round trip that latency compensation
    subtracts — stays fixed however late the reader is. PortAudio's xrun flags are counted in
    ``xruns``. Checks the settings before opening: an unknown device raises NotFoundError, a
    sample rate or channel count the device refuses raises UserError — both exit 2 in the CLI.
    """

    def __init__(
        self,
        sample_rate: int,
        channels: int,
        *,
        input_device: str | int | None = None,
        output_device: str | int | None = None,
        output_channels: int = 2,
        block_frames: int = 1024,
        latency: str | float = "high",
        timeout_s: float = 2.0,
    ) -> None:
        self._sd = _sounddevice()
        self._rate = sample_rate
        self._channels = channels
        self._out_channels = output_channels
        self._timeout_s = timeout_s
        self._xruns = 0
        self._source: OutputSource | None = None
        self._out_pos = 0
        self._queue: queue.Queue[Audio] = queue.Queue()
        self._pending = np.zeros((channels, 0), dtype=np.float32)
        self._error: BaseException | None = None
        self._lock = threading.Lock()
        in_idx = find_device(input_device, kind="input")
        out_idx = find_device(output_device, kind="output") if output_channels else None
        try:
            self._sd.check_input_settings(
                device=in_idx, channels=channels, samplerate=sample_rate, dtype="float32"
            )
            if output_channels:
                self._sd.check_output_settings(
                    device=out_idx, channels=output_channels, samplerate=sample_rate
                )
        except Exception as exc:  # PortAudioError or ValueError: the device refuses
            raise UserError(
                f"device {input_device if input_device is not None else 'default'}: refuses "
                f"{sample_rate} Hz / {channels} input channel(s) ({exc})"
            ) from None
        self._stream: Any
        if output_channels:
            self._stream = self._sd.Stream(
                samplerate=sample_rate,
                blocksize=block_frames,
                device=(in_idx, out_idx),
                channels=(channels, output_channels),
                dtype="float32",
                latency=latency,
                callback=self._duplex,
            )
        else:
            self._stream = self._sd.InputStream(
                samplerate=sample_rate,
                blocksize=block_frames,
                device=in_idx,
                channels=channels,
                dtype="float32",
                latency=latency,
                callback=self._input,
            )

    # PortAudio's thread ------------------------------------------------------------

    def _input(self, indata: Any, frames: int, time_info: Any, status: Any) -> None:
        if status.input_overflow or status.input_underflow:
            self._xruns += 1
        self._queue.put(np.array(indata, dtype=np.float32).T)

    def _duplex(self, indata: Any, outdata: Any, frames: int, time_info: Any, status: Any) -> None:
        if status.output_underflow or status.output_overflow:
            self._xruns += 1
        self._input(indata, frames, time_info, status)
        with self._lock:
            first = self._out_pos
            self._out_pos += frames
            source = self._source
        if source is None or self._error is not None:
            outdata.fill(0)
            return
        try:
            outdata[:] = np.asarray(source(first, frames), dtype=np.float32).T
        except BaseException as exc:  # reported by read(); PortAudio must not see it
            self._error = exc
            outdata.fill(0)

    # the caller's thread -----------------------------------------------------------

    @property
    def sample_rate(self) -> int:
        return self._rate

    @property
    def channels(self) -> int:
        return self._channels

    @property
    def output_channels(self) -> int:
        return self._out_channels

    @property
    def xruns(self) -> int:
        return self._xruns

    @property
    def output_position(self) -> int:
        with self._lock:
            return self._out_pos

    def set_output(self, source: OutputSource | None) -> None:
        with self._lock:
            self._source = source

    def start(self) -> None:
        try:
            self._stream.start()
        except Exception as exc:
            raise DeviceLostError(f"audio device: cannot start ({exc})") from None

    def read(self, frames: int) -> Audio:
        parts = [self._pending]
        have = self._pending.shape[1]
        while have < frames:
            if self._error is not None:
                raise self._error
            try:
                block = self._queue.get(timeout=self._timeout_s)
            except queue.Empty:
                raise DeviceLostError(
                    f"input device lost: no audio for {self._timeout_s:g} s"
                ) from None
            parts.append(block)
            have += block.shape[1]
        data = np.concatenate(parts, axis=1)
        self._pending = data[:, frames:]
        return np.ascontiguousarray(data[:, :frames])

    def close(self) -> None:
        try:
            self._stream.stop()
        finally:
            self._stream.close()


__all__ = [
    "ArraySourceStream",
    "Device",
    "DeviceLostError",
    "DeviceStream",
    "FileSourceStream",
    "InputStream",
    "OutputSource",
    "find_device",
    "list_devices",
]
