"""THE array convention of producer, and audio file I/O.

Audio in memory is a numpy float32 array of shape ``(channels, frames)``; a mono signal is
``(1, frames)``. Files are read and written through soundfile (libsndfile); conversion between
soundfile's ``(frames, channels)`` and ours happens only here.

Every reader raises :class:`~producer.errors.FormatError` naming the file when it is missing,
not audio, empty, or holds NaN/Inf samples, so the shells never show a traceback.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile as sf

from producer.errors import FormatError, NotFoundError
from producer.fileio import atomic_output

Audio = npt.NDArray[np.float32]
"""float32 audio, shape (channels, frames)."""


@dataclass(frozen=True)
class AudioInfo:
    """What a file holds, read from its header."""

    path: Path
    sample_rate: int
    channels: int
    frames: int
    format: str
    subtype: str

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0


def as_audio(array: npt.ArrayLike) -> Audio:
    """Return ``array`` as float32 ``(channels, frames)``; a 1-D array becomes mono."""
    a = np.asarray(array, dtype=np.float32)
    if a.ndim == 1:
        a = a[np.newaxis, :]
    if a.ndim != 2:
        raise ValueError(f"audio must be (channels, frames), got shape {a.shape}")
    return a


def _open_error(path: Path, exc: Exception) -> FormatError | NotFoundError:
    if not path.exists():
        return NotFoundError(f"{path}: no such file")
    if path.is_dir():
        return FormatError(f"{path}: is a folder, not an audio file")
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return FormatError(f"{path}: not a readable audio file ({reason})")


def info(path: str | os.PathLike[str]) -> AudioInfo:
    """Header of an audio file. Raises FormatError/NotFoundError naming the file."""
    p = Path(path)
    try:
        i = sf.info(str(p))
    except Exception as exc:  # libsndfile reports every failure as a generic error
        raise _open_error(p, exc) from None
    if i.samplerate <= 0 or i.channels <= 0:
        raise FormatError(
            f"{p}: invalid header (sample rate {i.samplerate}, {i.channels} channels)"
        )
    return AudioInfo(p, int(i.samplerate), int(i.channels), int(i.frames), i.format, i.subtype)


#: libsndfile's SF_CHANNEL_MAP_* positions (sndfile.h) → WAVE speaker names.
_SF_CHANNEL_MAP = {
    2: "FL",  # LEFT
    3: "FR",  # RIGHT
    4: "FC",  # CENTER
    5: "FL",
    6: "FR",
    7: "FC",
    8: "BC",  # REAR_CENTER
    9: "BL",
    10: "BR",
    11: "LFE",
    12: "FLC",
    13: "FRC",
    14: "SL",
    15: "SR",
    16: "TC",  # TOP_CENTER
    17: "TFL",  # TOP_FRONT_LEFT
    18: "TFR",
    19: "TFC",
    20: "TBL",  # TOP_REAR_LEFT
    21: "TBR",
    22: "TBC",
}
_SFC_GET_CHANNEL_MAP_INFO = 0x1100


def speaker_positions(path: str | os.PathLike[str]) -> tuple[str, ...] | None:
    """The speaker position of each channel as the file declares it (a WAVE_FORMAT_EXTENSIBLE
    channel mask, a CAF or AIFF channel layout), or None when it declares none.

    libsndfile reads these (``SFC_GET_CHANNEL_MAP_INFO``); pysoundfile exposes no call for it,
    so its cffi handle is used directly. A position libsndfile knows but producer does not
    (heights, ambisonic components) comes back as ``"?<n>"``.
    """
    p = Path(path)
    try:
        from soundfile import _ffi, _snd  # type: ignore[attr-defined]

        with sf.SoundFile(str(p)) as f:
            buf = _ffi.new("int[]", f.channels)
            found = _snd.sf_command(f._file, _SFC_GET_CHANNEL_MAP_INFO, buf, _ffi.sizeof(buf))
            codes = [int(c) for c in buf]
    except (ImportError, AttributeError):  # a pysoundfile without the cffi handles
        return None
    except Exception as exc:
        raise _open_error(p, exc) from None
    if not found or not any(codes):
        return None
    return tuple(_SF_CHANNEL_MAP.get(c, f"?{c}") for c in codes)


def _check_finite(block: npt.NDArray[np.float32], path: Path) -> None:
    if not np.isfinite(block).all():
        raise FormatError(f"{path}: contains NaN or Inf samples")


def read(
    path: str | os.PathLike[str],
    start: int = 0,
    frames: int = -1,
    *,
    allow_empty: bool = False,
) -> tuple[Audio, int]:
    """Read a whole file (or a range) as ``(audio, sample_rate)``, audio float32 (channels, frames)."""
    p = Path(path)
    meta = info(p)
    if meta.frames == 0 and not allow_empty:
        raise FormatError(f"{p}: holds no audio (zero frames)")
    try:
        data, rate = sf.read(str(p), start=start, frames=frames, dtype="float32", always_2d=True)
    except Exception as exc:
        raise _open_error(p, exc) from None
    audio = np.ascontiguousarray(data.T)
    _check_finite(audio, p)
    return audio, int(rate)


def pcm24_data_offset(path: Path, channels: int, frames: int) -> int | None:
    """Byte offset of the samples of a plain RIFF/WAVE file of 24-bit integer PCM, or None
    (any other layout, or one that disagrees with libsndfile's ``channels`` and ``frames``).
    Only the chunk layout is read; the streaming reader and the engine's media decode the
    samples from there with numpy."""
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        pcm24 = False
        for _ in range(64):
            chunk = f.read(8)
            if len(chunk) < 8:
                return None
            cid, size = chunk[:4], int.from_bytes(chunk[4:], "little")
            if cid == b"fmt ":
                body = f.read(size + (size & 1))
                if len(body) < 16:
                    return None
                tag, chans, _, _, align, bits = struct.unpack("<HHIIHH", body[:16])
                if tag == 0xFFFE and len(body) >= 26:  # extensible: the sub-format's tag
                    tag = int.from_bytes(body[24:26], "little")
                pcm24 = tag == 1 and bits == 24 and chans == channels and align == 3 * chans
            elif cid == b"data":
                offset = f.tell()
                return offset if pcm24 and size // (3 * channels) >= frames else None
            else:
                f.seek(size + (size & 1), os.SEEK_CUR)
    return None


def _pcm24_blocks(
    path: Path, offset: int, channels: int, block_frames: int, start: int, frames: int
) -> Iterator[Audio]:
    """24-bit WAV samples decoded by numpy: each 3-byte sample read as the top of an int32 (a
    view at byte 3i - 1 over one byte of padding), scaled by 2^-31 — the values libsndfile
    gives (x·2^8·2^-31 = x/2^23, exact), without its per-sample conversion (3.5x the work)."""
    align = 3 * channels
    with open(path, "rb") as f:
        f.seek(offset + start * align)
        remaining = frames
        while remaining > 0:
            n = min(block_frames, remaining)
            raw = bytearray(1 + n * align)
            got = f.readinto(memoryview(raw)[1:])
            n = (got or 0) // align
            if n == 0:
                return
            remaining -= n
            words = np.ndarray((n * channels,), dtype="<i4", buffer=raw, strides=(3,))
            values = (words & np.int32(-256)).astype(np.float32)
            values *= np.float32(2.0**-31)
            yield np.ascontiguousarray(values.reshape(n, channels).T)


def blocks(
    path: str | os.PathLike[str], block_frames: int = 65536, start: int = 0, frames: int = -1
) -> Iterator[Audio]:
    """Stream a file as float32 (channels, frames) blocks; memory stays bounded."""
    p = Path(path)
    meta = info(p)
    if frames < 0:
        frames = max(0, meta.frames - start)
    if meta.subtype == "PCM_24" and meta.format == "WAV":
        offset = pcm24_data_offset(p, meta.channels, meta.frames)
        if offset is not None:  # integer PCM: always finite
            yield from _pcm24_blocks(p, offset, meta.channels, block_frames, start, frames)
            return
    try:
        with sf.SoundFile(str(p)) as f:
            if start:
                f.seek(start)
            remaining = frames
            while remaining > 0:
                data = f.read(min(block_frames, remaining), dtype="float32", always_2d=True)
                if len(data) == 0:
                    break
                remaining -= len(data)
                block = np.ascontiguousarray(data.T)
                _check_finite(block, p)
                yield block
    except FormatError:
        raise
    except Exception as exc:
        raise _open_error(p, exc) from None


#: Extensions of the formats libsndfile (soundfile) reads: how a folder walk (batch, analyze)
#: tells audio from cover art and session files without opening each file.
AUDIO_EXTENSIONS = frozenset(
    {
        ".wav",
        ".wave",
        ".bwf",
        ".rf64",
        ".w64",
        ".aif",
        ".aiff",
        ".aifc",
        ".caf",
        ".flac",
        ".ogg",
        ".oga",
        ".opus",
        ".mp3",
        ".au",
        ".snd",
    }
)

#: soundfile subtypes by the bit depths producer writes.
SUBTYPES = {"16": "PCM_16", "24": "PCM_24", "32": "PCM_32", "32f": "FLOAT", "64f": "DOUBLE"}


def write(
    path: str | os.PathLike[str],
    audio: npt.ArrayLike,
    sample_rate: int,
    subtype: str = "FLOAT",
    format: str | None = None,
) -> None:
    """Write float audio (channels, frames) as it is: no dither here (see producer.dsp.dither).

    The file appears under its name only when complete (written to a temporary name, then
    renamed), so an interrupted write never leaves a file that looks finished.
    """
    p = Path(path)
    a = as_audio(audio)
    fmt = format or (p.suffix.lstrip(".").upper() or "WAV")
    with atomic_output(p, durable=False) as tmp:
        sf.write(str(tmp), a.T, sample_rate, subtype=subtype, format=fmt)


__all__ = [
    "AUDIO_EXTENSIONS",
    "SUBTYPES",
    "Audio",
    "AudioInfo",
    "as_audio",
    "blocks",
    "info",
    "pcm24_data_offset",
    "read",
    "speaker_positions",
    "write",
]
