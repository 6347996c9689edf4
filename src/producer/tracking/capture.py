"""Crash-safe capture: audio goes to disk as it arrives, in a form a killed process cannot spoil.

A capture is a folder holding

* ``capture.json`` — what is being recorded (rate, channels, timeline position, mode, tracks,
  latency), written atomically (temp file, fsync, rename) before the first sample, and again
  with ``"state": "finished"`` (or ``"disk_full"``, ``"device_lost"``) at the end;
* ``audio.f32`` — raw little-endian float32 samples, interleaved, appended block by block.

Raw samples need no header, so there is nothing to fix up after a SIGKILL: the file holds
every block the process handed to the kernel (a kill does not lose the page cache), and
``fsync`` every ``sync_interval_s`` (0.1 s, on a background thread) bounds what a power cut can lose. The readable
length is ``size // (4 * channels)`` whole frames; a torn last frame is ignored. A capture whose
state is still ``"recording"`` was interrupted: :func:`interrupted_captures` finds it.

Why not WAV/RF64 with a fixed-up header: the header of a killed WAV claims zero frames and
every reader needs a special case; the raw stream plus a JSON sidecar has none.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from producer.audio import Audio, as_audio
from producer.errors import FormatError

AUDIO_NAME = "audio.f32"
META_NAME = "capture.json"
RECORDING = "recording"
FINISHED = "finished"
DISK_FULL = "disk_full"
DEVICE_LOST = "device_lost"
RECOVERED = "recovered"


@dataclass(frozen=True)
class TrackInput:
    """Which input channels (0-based) feed which track."""

    track: str
    channels: tuple[int, ...]


@dataclass(frozen=True)
class CaptureMeta:
    """Everything needed to turn a capture into takes, with or without the process that made it.

    ``start_frame`` is the song frame (at ``sample_rate``) that the output played when the first
    input frame arrived; ``latency_frames`` the round trip to subtract. ``mode`` is ``plain``,
    ``punch`` or ``loop``; ``range_start_frame``/``range_end_frame`` are the ``from`` position
    (plain), the punch-in/out points (punch) or the loop range (loop). ``count_in_frames`` of
    count-in (and pre-roll) precede ``range_start_frame`` on the timeline, so
    ``start_frame == range_start_frame - count_in_frames``.

    With ``calibration_repeats`` > 0 the capture opens with a calibration preamble of
    :attr:`calibration_frames` frames: the output plays ``calibration_repeats`` impulses
    ``calibration_spacing_frames`` apart (``producer.tracking.latency.impulse_train``) and the
    round trip is measured from the capture itself when it is cut into takes; frame
    ``calibration_frames`` of the capture is then what ``start_frame`` refers to. A recording
    that ends normally plays the impulses once more after the take, from capture frame
    ``postamble_start_frame``: a round trip that differs there reveals a dropout mid-take.
    """

    song: str
    sample_rate: int
    channels: int
    tracks: tuple[TrackInput, ...]
    mode: str = "plain"
    start_frame: int = 0
    range_start_frame: int = 0
    range_end_frame: int = 0
    count_in_frames: int = 0
    latency_frames: int = 0
    crossfade_frames: int = 0
    calibration_repeats: int = 0
    calibration_spacing_frames: int = 0
    state: str = RECORDING
    frames_written: int = 0
    xruns: int = 0
    postamble_start_frame: int = 0
    message: str = ""
    created: float = field(default_factory=time.time)
    performer: str = ""
    """Who plays (a name of the office roster), on ``instrument`` in DDEX ``role``, during
    booking ``booking``: the takes are credited with it, also when recovered after a crash."""
    instrument: str = ""
    role: str = ""
    booking: str = ""

    @property
    def calibration_frames(self) -> int:
        """Frames of the calibration preamble (0 without): the impulses and one spacing more,
        so the last echo is in before the song starts playing."""
        if not self.calibration_repeats:
            return 0
        return (self.calibration_repeats + 2) * self.calibration_spacing_frames

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(data: dict[str, Any], where: str) -> CaptureMeta:
        try:
            tracks = tuple(
                TrackInput(str(t["track"]), tuple(int(c) for c in t["channels"]))
                for t in data["tracks"]
            )
            return CaptureMeta(**{**data, "tracks": tracks})
        except (KeyError, TypeError, ValueError) as exc:
            raise FormatError(f"{where}: not a capture description ({exc})") from None


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    # The rename itself must reach the disk too (POSIX: fsync the directory).
    dfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


class CaptureWriter:
    """Appends float32 ``(channels, frames)`` blocks to a capture folder as they arrive.

    ``write`` hands each block to the kernel at once (``os.write``; nothing is held in memory)
    and a background thread fsyncs it every ``sync_interval_s``. A full disk ends the capture cleanly: the last whole
    frame stays, ``state`` becomes ``disk_full``, and ``write`` returns False from then on.
    """

    def __init__(self, folder: Path, meta: CaptureMeta, sync_interval_s: float = 0.1) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=False)
        self.meta = replace(meta, state=RECORDING, frames_written=0)
        _write_json_atomic(self.folder / META_NAME, self.meta.to_json())
        self._fd = os.open(self.folder / AUDIO_NAME, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._frames = 0
        self._bytes = 0
        self._open = True
        # fsync runs on its own thread: on a busy disk it can take longer than the audio
        # device's buffer, and the recording loop must never wait for it.
        self._done = threading.Event()
        self._syncer = threading.Thread(
            target=self._sync_loop, args=(sync_interval_s,), name="capture-fsync", daemon=True
        )
        self._syncer.start()

    def _sync_loop(self, interval_s: float) -> None:
        while not self._done.wait(interval_s):
            with contextlib.suppress(OSError):  # closed meanwhile, or a full disk
                os.fsync(self._fd)

    @property
    def frames(self) -> int:
        return self._frames

    @property
    def ok(self) -> bool:
        return self._open

    def write(self, block: Audio) -> bool:
        """Append ``block`` (channels, frames); False once the capture has ended (disk full)."""
        if not self._open:
            return False
        a = as_audio(block)
        if a.shape[0] != self.meta.channels:
            raise ValueError(f"block has {a.shape[0]} channels, capture {self.meta.channels}")
        data = np.ascontiguousarray(a.T, dtype="<f4").tobytes()
        try:
            view = memoryview(data)
            while view:
                n = os.write(self._fd, view)
                view = view[n:]
                self._bytes += n
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
                self._end_short(DISK_FULL, f"disk full after {self._whole_frames()} frames")
                return False
            raise
        self._frames = self._whole_frames()
        return True

    def _whole_frames(self) -> int:
        return self._bytes // (4 * self.meta.channels)

    def _end_short(self, state: str, message: str) -> None:
        # Drop a torn frame so the file holds whole frames only, then close as `state`.
        frames = self._whole_frames()
        with contextlib.suppress(OSError):  # reading ignores a torn last frame anyway
            os.ftruncate(self._fd, frames * 4 * self.meta.channels)
        self._frames = frames
        self.close(state=state, message=message)

    def close(
        self,
        state: str = FINISHED,
        message: str = "",
        xruns: int = 0,
        postamble_start_frame: int = 0,
    ) -> CaptureMeta:
        """Flush, fsync and mark the capture ``state``; returns the final description."""
        if self._open:
            self._open = False
            self._done.set()
            self._syncer.join()
            with contextlib.suppress(OSError):
                os.fsync(self._fd)
            os.close(self._fd)
            self.meta = replace(
                self.meta,
                state=state,
                frames_written=self._frames,
                message=message,
                xruns=xruns,
                postamble_start_frame=postamble_start_frame,
            )
            # Disk full even for the small JSON: the capture stays "recording" and is
            # recovered from the raw samples on the next command; nothing is lost.
            with contextlib.suppress(OSError):
                _write_json_atomic(self.folder / META_NAME, self.meta.to_json())
        return self.meta


def read_meta(folder: Path) -> CaptureMeta:
    path = Path(folder) / META_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FormatError(f"{path}: missing") from None
    except (OSError, ValueError) as exc:
        raise FormatError(f"{path}: unreadable ({exc})") from None
    return CaptureMeta.from_json(data, str(path))


def read_capture(folder: Path) -> tuple[CaptureMeta, Audio]:
    """The description and every whole frame on disk, float32 ``(channels, frames)``."""
    meta = read_meta(folder)
    path = Path(folder) / AUDIO_NAME
    raw = np.fromfile(path, dtype="<f4") if path.exists() else np.zeros(0, dtype="<f4")
    frames = raw.size // meta.channels
    audio = raw[: frames * meta.channels].reshape(frames, meta.channels).T
    return meta, np.ascontiguousarray(audio, dtype=np.float32)


def interrupted_captures(root: Path) -> list[Path]:
    """Capture folders under ``root`` whose process died before closing them (oldest first)."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = []
    for meta_path in root.glob(f"*/{META_NAME}"):
        try:
            meta = read_meta(meta_path.parent)
        except FormatError:
            continue
        if meta.state == RECORDING:
            found.append((meta.created, meta_path.parent))
    return [p for _, p in sorted(found)]


def finished_captures(root: Path) -> list[Path]:
    """Capture folders that ended (any state but ``recording``) and are not yet made takes."""
    root = Path(root)
    if not root.is_dir():
        return []
    out = []
    for meta_path in root.glob(f"*/{META_NAME}"):
        try:
            meta = read_meta(meta_path.parent)
        except FormatError:
            continue
        if meta.state != RECORDING:
            out.append((meta.created, meta_path.parent))
    return [p for _, p in sorted(out)]


def mark(folder: Path, state: str, message: str = "") -> None:
    """Rewrite the state of a capture (e.g. ``recovered`` after its takes are saved)."""
    meta = read_meta(folder)
    _write_json_atomic(
        Path(folder) / META_NAME, replace(meta, state=state, message=message).to_json()
    )


__all__ = [
    "AUDIO_NAME",
    "DEVICE_LOST",
    "DISK_FULL",
    "FINISHED",
    "META_NAME",
    "RECORDING",
    "RECOVERED",
    "CaptureMeta",
    "CaptureWriter",
    "TrackInput",
    "finished_captures",
    "interrupted_captures",
    "mark",
    "read_capture",
    "read_meta",
]
