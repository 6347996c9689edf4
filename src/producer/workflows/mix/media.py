"""The project's media as the engine reads it.

The engine never opens project files; ``ProjectMedia`` is the ``MediaSource`` this workflow
hands it: soundfile reading the project's media folder in blocks, with the open files cached
(one lock per file, since tracks run on a thread pool and may share a file).
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import soundfile as sf

from producer.audio import Audio, pcm24_data_offset
from producer.errors import FormatError, NotFoundError
from producer.model import MediaRef

#: Scale of a left-justified 24-bit sample held in an int32: exactly 2^−31.
_INT32_SCALE = 1.0 / 2147483648.0


@dataclass
class _Media:
    file: sf.SoundFile
    lock: threading.Lock
    is_float: bool
    """Integer PCM cannot hold NaN/Inf: only float files need the finiteness check."""
    wav24: int | None
    """The sample data's offset in a 24-bit WAV file (read without libsndfile), or None."""
    fd: int = -1


class ProjectMedia:
    """A ``MediaSource`` over the media files under ``root`` (soundfile, blocks, cached handles).

    24-bit WAV, the usual recording format, is decoded here rather than by libsndfile, whose
    per-sample conversion costs 3.6 ns a sample (a tenth of a mix's CPU): the block's bytes
    in one ``pread``, then one numpy pass puts each 3-byte sample into the top of an int32 —
    the same float values after the scale (x·2^8·2^−31 = x/2^23, exact), 3.5x faster.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._files: dict[str, _Media] = {}
        self._guard = threading.Lock()
        self._local = threading.local()  # read_raw's buffers, per thread

    def _open(self, path: str) -> _Media:
        with self._guard:
            entry = self._files.get(path)
            if entry is None:
                p = self.root / path
                if not p.is_file():
                    raise NotFoundError(f"{path}: missing media file in {self.root}")
                try:
                    f = sf.SoundFile(str(p))
                except Exception as exc:
                    raise FormatError(f"{path}: not a readable audio file ({exc})") from None
                wav24 = None
                if (
                    f.format in ("WAV", "WAVEX")
                    and f.subtype == "PCM_24"
                    and sys.byteorder == "little"
                ):
                    wav24 = pcm24_data_offset(p, f.channels, f.frames)
                entry = _Media(f, threading.Lock(), f.subtype in ("FLOAT", "DOUBLE"), wav24)
                if wav24 is not None:
                    entry.fd = os.open(p, os.O_RDONLY)
                self._files[path] = entry
            return entry

    def _buffer(self, name: str, shape: tuple[int, ...], dtype: type[np.generic]) -> Any:
        """A buffer of this thread, reused while shape and type match (mono and stereo files
        and a song's last short block keep one each)."""
        bufs: dict[tuple[str, tuple[int, ...]], Any] | None = getattr(self._local, "bufs", None)
        if bufs is None or len(bufs) > 16:
            bufs = self._local.bufs = {}
        buf = bufs.get((name, shape))
        if buf is None:
            buf = bufs[(name, shape)] = np.empty(shape, dtype=dtype)
        return buf

    def _read24(self, m: _Media, start_frame: int, frames: int) -> npt.NDArray[np.int32]:
        """Frames of a 24-bit WAV as int32 (frames, channels), left-justified (x·2^8)."""
        assert m.wav24 is not None
        ch = m.file.channels
        align = 3 * ch
        n = max(0, min(frames, m.file.frames - start_frame))
        # One byte in front: the int32 read at byte 3i−1 holds sample i in its top three bytes.
        raw = self._buffer("bytes", (frames * align + 1,), np.uint8)
        got = os.preadv(m.fd, [memoryview(raw)[1 : 1 + n * align]], m.wav24 + start_frame * align)
        if got != n * align:
            raise FormatError(f"{m.file.name}: the file ended early (truncated?)")
        out: npt.NDArray[np.int32] = self._buffer("int32", (frames, ch), np.int32)
        samples = np.ndarray((n * ch,), dtype="<i4", buffer=raw, strides=(3,))
        np.bitwise_and(samples, -256, out=out.reshape(-1)[: n * ch])
        out[n:] = 0
        return out

    def read(self, ref: MediaRef, start_frame: int, frames: int) -> Audio:
        """audio : ndarray [shape=(channels, frames)], zero-padded past the end of the file.

        Offline media (``MediaRef.offline``: a session imported without its audio) is silence.
        """
        if ref.offline:
            return np.zeros((ref.channels, frames), dtype=np.float32)
        path = ref.path
        m = self._open(path)
        if m.wav24 is not None:
            raw = self._read24(m, start_frame, frames)
            return np.multiply(raw, np.float32(_INT32_SCALE), dtype=np.float32).T
        with m.lock:
            m.file.seek(start_frame)
            data = m.file.read(frames, dtype="float32", always_2d=True)
        # The transposed view keeps libsndfile's interleaved layout (no copy): the engine's
        # elementwise numpy operations follow the memory order, and the mix reaches the output
        # file interleaved again.
        out: Audio = data.T
        if m.is_float and not np.isfinite(out).all():
            raise FormatError(f"{path}: contains NaN or Inf samples")
        if out.shape[1] < frames:
            out = np.pad(out, ((0, 0), (0, frames - out.shape[1])))
        return out

    def read_raw(
        self, ref: MediaRef, start_frame: int, frames: int
    ) -> tuple[npt.NDArray[np.int16] | npt.NDArray[np.int32] | Audio, float]:
        """(samples [shape=(frames, channels)], scale): see ``RawMediaSource.read_raw``.

        16-bit PCM comes as libsndfile's int16 samples, 24-bit WAV as left-justified int32
        (``_read24``), both in buffers reused per thread (no conversion pass, no allocation;
        the engine converts while it applies the gain); other formats as ``read`` gives them,
        with scale 1.
        """
        if ref.offline:
            return self.read(ref, start_frame, frames).T, 1.0
        m = self._open(ref.path)
        if m.wav24 is not None:
            return self._read24(m, start_frame, frames), _INT32_SCALE
        f = m.file
        if f.subtype != "PCM_16":
            return self.read(ref, start_frame, frames).T, 1.0
        buf = self._buffer("int16", (frames, f.channels), np.int16)
        with m.lock:
            f.seek(start_frame)
            got = f.read(frames, dtype="int16", out=buf).shape[0]
        if got < frames:
            buf[got:] = 0
        return buf, 1.0 / 32768.0

    def close(self) -> None:
        for m in self._files.values():
            m.file.close()
            if m.fd >= 0:
                os.close(m.fd)
        self._files.clear()
