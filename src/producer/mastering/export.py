"""Writing masters: WAV (16/24/32f, BWF ``bext``), FLAC, MP3/OGG, with tags, atomically.

Audio reaching this module is already at the delivery rate and, for 16/24-bit, already
dithered onto the PCM grid by :func:`producer.dsp.dither.quantize` (once, last); soundfile then
writes it without a second rounding. Files appear under their final name only when complete
(written as ``.NAME.partial`` in the same folder, tagged, fsynced, then renamed), so an
interrupted run never leaves a partial file that looks finished.

The BWF ``bext`` chunk (EBU Tech 3285 v2) is written here because neither soundfile nor
mutagen writes it; the ISRC goes into its Description as ``ISRC:CCXXXYYNNNNN`` (EBU Tech 3352)
and the loudness fields of v2 carry our meter's figures. Tags (title, artist, album, track
number, ISRC, year) are written with mutagen: ID3 in WAV and MP3, Vorbis comments in FLAC/OGG.
"""

from __future__ import annotations

import math
import os
import shutil
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mutagen.flac
import mutagen.id3
import mutagen.mp3
import mutagen.oggvorbis
import mutagen.wave
import numpy as np
import soundfile as sf

from producer.audio import Audio, as_audio
from producer.errors import RenderError, UserError
from producer.fileio import atomic_output
from producer.mastering.stream import SampleStore

# mutagen ships no type hints; these aliases keep its untyped calls out of mypy's strict mode.
_id3: Any = mutagen.id3
_wave: Any = mutagen.wave
_mp3: Any = mutagen.mp3
_flac: Any = mutagen.flac
_ogg: Any = mutagen.oggvorbis

#: soundfile (format, subtype) per (extension, bit depth); lossy formats ignore the depth.
_WAV_SUBTYPES = {"16": "PCM_16", "24": "PCM_24", "32f": "FLOAT"}
_FLAC_SUBTYPES = {"16": "PCM_16", "24": "PCM_24"}


@dataclass(frozen=True)
class Tags:
    """Metadata written into a master."""

    title: str = ""
    artist: str = ""
    album: str = ""
    track_number: int = 0
    track_total: int = 0
    isrc: str = ""
    year: str = ""
    composer: str = ""


@dataclass(frozen=True)
class Loudness:
    """Figures stored in the bext v2 loudness fields (None = not measured)."""

    integrated_lufs: float | None = None
    loudness_range_lu: float | None = None
    true_peak_dbtp: float | None = None


def _bext_int16(value: float | None) -> int:
    # Tech 3285 v2: value × 100 as a signed 16-bit integer; 0x7FFF means "not given".
    if value is None or not math.isfinite(value):
        return 0x7FFF
    return max(-32768, min(32767, round(value * 100)))


def bext_chunk(description: str, loud: Loudness, coding_history: str = "") -> bytes:
    """A complete ``bext`` chunk (id, size, EBU Tech 3285 v2 body, pad byte if odd)."""
    now = datetime.now(UTC)

    def fixed(text: str, size: int) -> bytes:
        return text.encode("ascii", "replace")[:size].ljust(size, b"\0")

    body = b"".join(
        [
            fixed(description, 256),
            fixed("producer", 32),
            fixed("", 32),
            fixed(now.strftime("%Y-%m-%d"), 10),
            fixed(now.strftime("%H:%M:%S"), 8),
            struct.pack("<II", 0, 0),  # TimeReference (samples since midnight)
            struct.pack("<H", 2),  # Version 2: loudness fields valid
            b"\0" * 64,  # UMID
            struct.pack(
                "<hhhhh",
                _bext_int16(loud.integrated_lufs),
                _bext_int16(loud.loudness_range_lu),
                _bext_int16(loud.true_peak_dbtp),
                0x7FFF,  # MaxMomentaryLoudness: not given
                0x7FFF,  # MaxShortTermLoudness: not given
            ),
            b"\0" * 180,
            coding_history.encode("ascii", "replace"),
        ]
    )
    chunk = b"bext" + struct.pack("<I", len(body)) + body
    return chunk + (b"\0" if len(body) % 2 else b"")


def insert_bext(path: Path, chunk: bytes) -> None:
    """Insert a ``bext`` chunk right after the RIFF/WAVE header and fix the RIFF size.

    Copied through a sibling file in 1 MB pieces: an hour of 24-bit audio never sits in memory.
    """
    with open(path, "rb") as f:
        head = f.read(12)
        if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise RenderError(f"{path}: not a RIFF/WAVE file, cannot add bext")
        body = os.fstat(f.fileno()).st_size - 12
        size = 4 + len(chunk) + body
        if size > 0xFFFFFFFF:
            raise RenderError(f"{path}: too long for a RIFF/WAVE file with bext (4 GB)")
        tmp = path.with_name(path.name + ".bext")
        try:
            with open(tmp, "wb") as out:
                out.write(b"RIFF" + struct.pack("<I", size) + b"WAVE" + chunk)
                shutil.copyfileobj(f, out, 1 << 20)
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()


def read_bext_description(path: str | os.PathLike[str]) -> str:
    """The Description of a WAV file's ``bext`` chunk ('' when there is none)."""
    data = Path(path).read_bytes()
    pos = 12
    while pos + 8 <= len(data):
        cid = data[pos : pos + 4]
        size = struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        if cid == b"bext":
            return data[pos + 8 : pos + 8 + 256].rstrip(b"\0").decode("ascii", "replace")
        pos += 8 + size + (size % 2)
    return ""


def _id3_frames(tags: Tags) -> list[Any]:
    t: list[Any] = []
    if tags.title:
        t.append(_id3.TIT2(encoding=3, text=tags.title))
    if tags.artist:
        t.append(_id3.TPE1(encoding=3, text=tags.artist))
    if tags.album:
        t.append(_id3.TALB(encoding=3, text=tags.album))
    if tags.track_number:
        n = (
            f"{tags.track_number}/{tags.track_total}"
            if tags.track_total
            else str(tags.track_number)
        )
        t.append(_id3.TRCK(encoding=3, text=n))
    if tags.isrc:
        t.append(_id3.TSRC(encoding=3, text=tags.isrc))
    if tags.year:
        t.append(_id3.TDRC(encoding=3, text=tags.year))
    if tags.composer:
        t.append(_id3.TCOM(encoding=3, text=tags.composer))
    return t


def _vorbis(tags: Tags) -> dict[str, str]:
    out = {
        "TITLE": tags.title,
        "ARTIST": tags.artist,
        "ALBUM": tags.album,
        "TRACKNUMBER": str(tags.track_number) if tags.track_number else "",
        "TRACKTOTAL": str(tags.track_total) if tags.track_total else "",
        "ISRC": tags.isrc,
        "DATE": tags.year,
        "COMPOSER": tags.composer,
    }
    return {k: v for k, v in out.items() if v}


def write_tags(path: Path, fmt: str, tags: Tags) -> None:
    """Write ``tags`` into the file at ``path`` with mutagen (format given by ``fmt``)."""
    if fmt in ("wav", "mp3"):
        f_id3: Any = _wave.WAVE(str(path)) if fmt == "wav" else _mp3.MP3(str(path))
        if f_id3.tags is None:
            f_id3.add_tags()
        for frame in _id3_frames(tags):
            f_id3.tags.add(frame)
        f_id3.save()
    elif fmt in ("flac", "ogg"):
        f: Any = _flac.FLAC(str(path)) if fmt == "flac" else _ogg.OggVorbis(str(path))
        for k, v in _vorbis(tags).items():
            f[k] = v
        f.save()


def write_master(
    path: str | os.PathLike[str],
    audio: Audio | SampleStore,
    sample_rate: int,
    bit_depth: str,
    tags: Tags = Tags(),
    loud: Loudness = Loudness(),
    description: str = "",
) -> Path:
    """Write ``audio`` [shape=(channels, frames)] as the file ``path`` names (by extension).

    ``bit_depth`` ("16", "24", "32f") applies to WAV and FLAC; for 16/24 the audio must already
    be dithered (values on the PCM grid). MP3/OGG are encoded from the same samples. A
    :class:`~producer.mastering.stream.SampleStore` is written block by block (bounded memory).
    Returns the final path; nothing appears under it unless the whole write succeeded.
    """
    p = Path(path)
    fmt = p.suffix.lower().lstrip(".")
    if fmt == "wav":
        sf_format, subtype = "WAV", _WAV_SUBTYPES.get(bit_depth)
    elif fmt == "flac":
        sf_format, subtype = "FLAC", _FLAC_SUBTYPES.get(bit_depth)
    elif fmt == "mp3":
        sf_format, subtype = "MP3", "MPEG_LAYER_III"
    elif fmt == "ogg":
        sf_format, subtype = "OGG", "VORBIS"
    else:
        raise UserError(f"{p}: unknown output format {fmt!r} (wav, flac, mp3, ogg)")
    if subtype is None:
        raise UserError(f"{p}: {fmt} cannot hold bit depth {bit_depth}")
    if not sf.check_format(sf_format, subtype):
        raise UserError(f"{p}: this libsndfile cannot write {sf_format}/{subtype}")
    with atomic_output(p) as tmp:
        if isinstance(audio, SampleStore):
            with sf.SoundFile(
                str(tmp), "w", sample_rate, audio.channels, subtype=subtype, format=sf_format
            ) as f:
                for block in audio.blocks():
                    f.write(np.ascontiguousarray(block.T))
        else:
            a = as_audio(audio)
            sf.write(
                str(tmp), np.ascontiguousarray(a.T), sample_rate, subtype=subtype, format=sf_format
            )
        if fmt == "wav":
            desc = description
            if tags.isrc:
                desc = f"ISRC:{tags.isrc}" + (f" {description}" if description else "")
            history = f"A=PCM,F={sample_rate},W={bit_depth},T=producer\r\n"
            insert_bext(tmp, bext_chunk(desc, loud, history))
        write_tags(tmp, fmt, tags)
    return p


__all__ = [
    "Loudness",
    "Tags",
    "bext_chunk",
    "insert_bext",
    "read_bext_description",
    "write_master",
    "write_tags",
]
