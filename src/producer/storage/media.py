"""The media pool: audio copied into ``media/`` once, content addressed, never modified.

A file whose sample rate is the project's and whose format is lossless PCM that libsndfile
reads exactly (WAV/RF64/BWF, AIFF, FLAC, ...) is copied byte for byte to
``media/<sha256 of the source><ext>``. Anything else (another rate, or a lossy codec whose
frame count libsndfile only estimates) is decoded, converted with soxr VHQ
(``producer.dsp.resample``) and written as 32-bit float WAV to
``media/<sha256 of the source>-<rate>hz.wav``. Either way the name comes from the source's
hash, so the same file imported twice is stored once and the source is only ever read.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import numpy as np
import soundfile as sf

from producer import audio
from producer.errors import FormatError
from producer.fileio import atomic_output
from producer.model import MediaRef
from producer.storage import parts, pins
from producer.storage.files import (
    atomic_copy,
    atomic_write_text,
    sha256_file,
)

MEDIA_DIR = "media"

#: libsndfile major formats copied verbatim (exact frame counts, lossless), with the extension.
VERBATIM_FORMATS = {
    "WAV": ".wav",
    "WAVEX": ".wav",
    "RF64": ".wav",
    "W64": ".w64",
    "AIFF": ".aiff",
    "AU": ".au",
    "CAF": ".caf",
    "FLAC": ".flac",
}

BLOCK_FRAMES = 1 << 16
#: Above this many data bytes a converted file is written as RF64 (a RIFF WAV stops at 4 GiB).
RIFF_LIMIT_BYTES = (1 << 32) - (1 << 20)


def _check_decodes(src: Path) -> None:
    """Read the whole file once: a header that parses but audio that does not is refused here,
    not at render time (libsndfile reads truncated or NaN-holding files partially)."""
    for _ in audio.blocks(src, BLOCK_FRAMES):
        pass


def _convert(src: Path, dst: Path, meta: audio.AudioInfo, to_rate: int) -> None:
    """Decode ``src``, resample to ``to_rate`` in blocks (bounded memory) and write float WAV."""
    # Imported here: the producer.dsp package pulls in scipy.signal (seconds of start-up),
    # which every command that merely opens a project would otherwise pay.
    from producer.dsp.resample import StreamResampler

    expected_frames = meta.frames * to_rate // max(meta.sample_rate, 1) + 1
    big = expected_frames * meta.channels * 4 > RIFF_LIMIT_BYTES
    resampler = (
        StreamResampler(meta.sample_rate, to_rate, meta.channels)
        if meta.sample_rate != to_rate
        else None
    )
    written = 0
    with atomic_output(dst) as tmp:
        with sf.SoundFile(
            str(tmp),
            "w",
            samplerate=to_rate,
            channels=meta.channels,
            subtype="FLOAT",
            format="RF64" if big else "WAV",
        ) as out:
            for block in audio.blocks(src, BLOCK_FRAMES):
                converted = block if resampler is None else resampler.process(block)
                out.write(converted.T)
                written += converted.shape[1]
            if resampler is not None:
                tail = resampler.process(np.zeros((meta.channels, 0), np.float32), last=True)
                out.write(tail.T)
                written += tail.shape[1]
        if written == 0:
            raise FormatError(f"{src}: holds no audio (zero frames)")


def speaker_layout(src: Path, channels: int) -> str:
    """The ``MediaRef.layout`` of a file of ``channels`` channels: "" for mono and stereo, the
    file's speaker positions, or the default order for its channel count. Raises FormatError
    naming the file when producer cannot fold it down to stereo (``producer.dsp.downmix``):
    refused at import, not when the song is mixed."""
    if channels <= 2:
        return ""
    from producer.dsp.downmix import COEFFICIENTS, DEFAULT_LAYOUTS

    declared = audio.speaker_positions(src)
    speakers = list(declared) if declared else DEFAULT_LAYOUTS.get(channels, "").split()
    fix = f"make a stereo file first (for example: ffmpeg -i '{src.name}' -ac 2 stereo.wav)"
    if not speakers:
        raise FormatError(
            f"{src}: {channels} channels and no speaker positions: producer plays mono, stereo "
            f"and 3- to 8-channel speaker layouts (3.0 to 7.1, folded down to stereo); {fix}"
        )
    for i, s in enumerate(speakers, start=1):
        if s not in COEFFICIENTS:
            raise FormatError(
                f"{src}: channel {i} is at speaker position {s}, which producer cannot fold "
                f"down to stereo (it knows {' '.join(COEFFICIENTS)}); {fix}"
            )
    if len(set(speakers)) != len(speakers):
        raise FormatError(f"{src}: two channels declare the same speaker position; {fix}")
    return " ".join(speakers)


def import_file(root: Path, src: Path, sample_rate: int) -> MediaRef:
    """Bring ``src`` into ``root/media`` at ``sample_rate``; returns its MediaRef.

    Raises FormatError/NotFoundError naming ``src`` when it is not readable audio, or has
    more channels than producer can play (see ``speaker_layout``).
    """
    meta = audio.info(src)
    if meta.frames == 0:
        raise FormatError(f"{src}: holds no audio (zero frames)")
    layout = speaker_layout(src, meta.channels)
    source_sha = sha256_file(src)
    ext = VERBATIM_FORMATS.get(meta.format)
    verbatim = ext is not None and meta.sample_rate == sample_rate
    if verbatim:
        rel = f"{MEDIA_DIR}/{source_sha}{ext}"
    else:
        rel = f"{MEDIA_DIR}/{source_sha}-{sample_rate}hz.wav"
    dst = root / rel
    pins.pin(root, rel)  # until a document refers to it: `producer gc` leaves it alone
    if not dst.exists():
        dst.parent.mkdir(parents=True, exist_ok=True)
        if verbatim:
            # Integer PCM decodes whatever its bytes; float may hold NaN/Inf and FLAC may
            # fail its checksums, which we want to learn now, not when rendering.
            if meta.subtype in ("FLOAT", "DOUBLE") or meta.format == "FLAC":
                _check_decodes(src)
            atomic_copy(src, dst)
        else:
            _convert(src, dst, meta, sample_rate)
    stored = audio.info(dst)
    stored_sha = source_sha if verbatim else sha256_file(dst)
    return MediaRef(
        path=rel,
        sha256=stored_sha,
        sample_rate=stored.sample_rate,
        channels=stored.channels,
        frames=stored.frames,
        source_sha256=source_sha,
        source_name=src.name,
        layout=layout,
    )


class HashCache:
    """sha256 of media files, remembered by (size, mtime_ns) in ``.producer/cache/``, so that
    opening a project checks every hash without re-reading unchanged gigabytes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / ".producer" / "cache" / "media-hashes.json"
        self._entries: dict[str, list[int | str]] = {}
        self._dirty = False
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                self._entries = data
        except (OSError, ValueError):
            self._entries = {}

    def sha256(self, rel: str) -> str:
        p = self.root / rel
        st = p.stat()
        entry = self._entries.get(rel)
        if entry and entry[0] == st.st_size and entry[1] == st.st_mtime_ns:
            return str(entry[2])
        digest = sha256_file(p)
        self._entries[rel] = [st.st_size, st.st_mtime_ns, digest]
        self._dirty = True
        return digest

    def save(self) -> None:
        if self._dirty:
            # Only a cache: a read-only project still opens.
            with contextlib.suppress(OSError):
                atomic_write_text(self.path, json.dumps(self._entries, indent=2) + "\n")
            self._dirty = False


def media_problems(root: Path, ref: MediaRef, cache: HashCache, where: str) -> list[str]:
    """File checks of one MediaRef: inside media/, present, same hash, same header.

    A rendered part (``producer.storage.parts``) is checked for its name only: its entry may be
    missing (it is rendered again when needed) and is not compared with a hash of its bytes.
    An offline ref has no file by definition: ``offline_media`` lists it (for `validate`)
    without making the project unopenable.
    """
    if ref.offline:
        return []
    if parts.is_part(ref.path):
        why = parts.path_problem(ref)
        return [f"{where}.media.path: {why}"] if why else []
    segments = Path(ref.path).parts
    if Path(ref.path).is_absolute() or ".." in segments or not segments or segments[0] != MEDIA_DIR:
        return [f"{where}.media.path: {ref.path!r} is not a relative path inside media/"]
    p = root / ref.path
    if not p.is_file():
        return [f"{where}.media: missing media file {ref.path}"]
    problems = []
    if cache.sha256(ref.path) != ref.sha256:
        problems.append(f"{where}.media: {ref.path} does not match its sha256 (file was changed)")
    try:
        meta = audio.info(p)
    except FormatError as exc:
        return [*problems, f"{where}.media: {exc}"]
    if (meta.sample_rate, meta.channels, meta.frames) != (
        ref.sample_rate,
        ref.channels,
        ref.frames,
    ):
        problems.append(
            f"{where}.media: {ref.path} holds {meta.channels} ch × {meta.frames} frames at "
            f"{meta.sample_rate} Hz, the document says {ref.channels} × {ref.frames} at "
            f"{ref.sample_rate} Hz"
        )
    return problems


__all__ = ["MEDIA_DIR", "HashCache", "import_file", "media_problems", "speaker_layout"]
