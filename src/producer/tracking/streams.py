"""Audio I/O streams for recording: the interface, a real device (PortAudio), and a file source.

A recording reads its input through :class:`InputStream`: ``read(frames)`` blocks until that
many frames have arrived and returns float32 ``(channels, frames)`` (fewer, possibly zero,
frames at the end of the input). The output (the monitor mix, the click, calibration impulses)
is *pulled*: ``set_output(source)`` gives the stream a function ``source(first, frames)`` of the
output frame position, and the stream calls it for every block it plays. Input frame ``k`` and
output frame ``k`` belong together: the stream asks the source for exactly the output that
goes with the input it delivers. Two
implementations:

* :class:`DeviceStream` — a duplex PortAudio stream through ``sounddevice``, written and
  read block by block in the caller's thread.
* :class:`FileSourceStream` — reads a recorded file in real-time-sized blocks, optionally paced
  at the wall clock, so the rest of the suite (and a SIGKILL test) records without hardware.

``sounddevice`` raises ``OSError`` at import when the PortAudio library is absent; it is
imported lazily so that everything else works on a machine without PortAudio.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from producer.audio import Audio, as_audio
from producer.audio import info as audio_info
from producer.audio import read as audio_read
from producer.errors import NotFoundError, RenderError, UserError

if TYPE_CHECKING:
    from producer.dsp.resample import StreamResampler

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
    ``sample_rate`` (default: the file's) is the rate the stream delivers: a file at another
    rate is converted on the fly with soxr (``producer.dsp.resample``), as `producer import`
    converts it. ``lead_in_frames`` of silence come before the file: the performer waits for
    the count-in, so the file is what they play from the first beat of the take.
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
        sample_rate: int | None = None,
        lead_in_frames: int = 0,
    ) -> None:
        meta = audio_info(path)
        self._path = Path(path)
        self._file_rate = meta.sample_rate
        self._rate = sample_rate or meta.sample_rate
        self._channels = meta.channels
        self._lead_in = max(0, lead_in_frames)
        self._resampler: StreamResampler | None = None
        self._src_frames = file_frames = meta.frames
        if self._rate != self._file_rate:
            # Imported here: producer.dsp pulls in scipy, which a device recording never needs.
            from producer.dsp.resample import StreamResampler, resampled_length

            self._resampler = StreamResampler(self._file_rate, self._rate, meta.channels)
            file_frames = resampled_length(meta.frames, self._file_rate, self._rate)
        self._frames = self._lead_in + file_frames
        self._file_pos = 0  # frames of the file read so far (at its own rate)
        self._pending = np.zeros((self._channels, 0), dtype=np.float32)
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

    def _file_block(self, n: int) -> Audio:
        """The next ``n`` frames of the file at the stream's rate (fewer at its end)."""
        if self._resampler is None:
            block, _ = audio_read(self._path, start=self._file_pos, frames=n)
            self._file_pos += block.shape[1]
            return block
        src_total = self._src_frames
        while self._pending.shape[1] < n and self._file_pos <= src_total:
            want = max(1024, round(n * self._file_rate / self._rate) + 64)
            take = min(want, src_total - self._file_pos)
            if take > 0:
                chunk, _ = audio_read(self._path, start=self._file_pos, frames=take)
            else:
                chunk = np.zeros((self._channels, 0), dtype=np.float32)
            self._file_pos += take
            last = self._file_pos >= src_total
            out = self._resampler.process(chunk, last=last)
            self._pending = np.concatenate([self._pending, out], axis=1)
            if last:
                self._file_pos = src_total + 1  # flushed: nothing more to read
        block, self._pending = self._pending[:, :n], self._pending[:, n:]
        return np.ascontiguousarray(block)

    def read(self, frames: int) -> Audio:
        if self._fail_after is not None and self._pos >= self._fail_after:
            raise DeviceLostError(f"{self._path}: input device lost")
        n = max(0, min(frames, self._frames - self._pos))
        if n == 0:
            return np.zeros((self._channels, 0), dtype=np.float32)
        silent = min(n, max(0, self._lead_in - self._pos))
        parts = [np.zeros((self._channels, silent), dtype=np.float32)]
        if n > silent:
            parts.append(self._file_block(n - silent))
        block = np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]
        n = block.shape[1]
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
    """A duplex PortAudio stream (sounddevice), written and read in blocking mode.

    Each :meth:`read` first writes the output source's next block, then reads as many input
    frames, in the caller's thread: with ALSA's PulseAudio plugin this keeps the round trip
    constant for the life of the stream, where callback mode lets it wander by tens of frames
    per second. The output is kept ``output_lead_frames`` ahead so that a late reader does
    not run it dry; an underrun is counted in ``xruns`` (and the calibration of a recording
    catches any shift PortAudio does not flag).

    Checks the settings before opening: an unknown device raises NotFoundError, a sample rate
    or channel count the device refuses raises UserError — both exit 2 in the CLI.
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
        output_lead_frames: int = 8192,
    ) -> None:
        self._sd = _sounddevice()
        self._rate = sample_rate
        self._channels = channels
        self._out_channels = output_channels
        self._lead = output_lead_frames
        self._xruns = 0
        self._source: OutputSource | None = None
        self._out_pos = 0
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
            )
        else:
            self._stream = self._sd.InputStream(
                samplerate=sample_rate,
                blocksize=block_frames,
                device=in_idx,
                channels=channels,
                dtype="float32",
                latency=latency,
            )

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

    def start(self) -> None:
        self._stream.start()
        if self._out_channels:
            # Keep the output ``output_lead_frames`` ahead of the input: a blocking duplex
            # loop writes only after each read, so any stall longer than the lead (a busy
            # machine) runs the output dry, and an underrun shifts the output against the
            # input — breaking the latency compensation. The lead is part of the round trip
            # that the latency measurement finds.
            silence = np.zeros((self._lead, self._out_channels), dtype=np.float32)
            self._stream.write(silence)

    @property
    def output_position(self) -> int:
        return self._out_pos

    def set_output(self, source: OutputSource | None) -> None:
        self._source = source

    def read(self, frames: int) -> Audio:
        if self._out_channels:
            if self._source is not None:
                block = np.asarray(self._source(self._out_pos, frames), dtype=np.float32)
            else:
                block = np.zeros((self._out_channels, frames), dtype=np.float32)
            self._out_pos += frames
            try:
                underflowed = self._stream.write(np.ascontiguousarray(block.T))
            except Exception as exc:
                raise DeviceLostError(f"output device lost: {exc}") from None
            self._xruns += bool(underflowed)
        try:
            data, overflowed = self._stream.read(frames)
        except Exception as exc:  # PortAudioError: the device or server went away
            raise DeviceLostError(f"input device lost: {exc}") from None
        self._xruns += bool(overflowed)
        return np.ascontiguousarray(np.asarray(data, dtype=np.float32).T)

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
