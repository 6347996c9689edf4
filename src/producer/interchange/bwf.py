"""BWF stems: broadcast WAV files with a ``bext`` time reference and iXML, and a cue list.

A stem folder is what every DAW opens: one WAV per track and bus (plus the mix), all starting
at the song start, each spotting itself by its ``bext`` TimeReference (EBU Tech 3285: samples
since midnight of the timeline; 0 here, the song's first frame) and naming itself in iXML
(``TRACK_LIST``, ``FILE_SET`` tying the family together). ``cues.txt`` lists the stems, the
markers and the sections with their times in seconds, samples and bars.

The chunks are written here, by hand: no library on PyPI writes ``bext``/``iXML`` (wavinfo and
soundfile read them; libsndfile's broadcast-info call is not exposed by soundfile). The audio
itself comes from the engine's 24-bit WAV renders and is copied block by block into the new
file after the two chunks (bounded memory).
"""

from __future__ import annotations

import datetime
import re
import struct
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from producer.errors import FormatError
from producer.fileio import atomic_output
from producer.model import Song, timing

BEXT_FIXED = 602
"""Bytes of the fixed part of a ``bext`` chunk (EBU Tech 3285 v1/v2)."""


def bext_chunk(
    description: str,
    originator: str,
    reference: str,
    time_reference: int,
    when: datetime.datetime,
    coding_history: str = "",
) -> bytes:
    """The body of a ``bext`` chunk (version 1)."""

    def text(s: str, n: int) -> bytes:
        return s.encode("ascii", "replace")[:n].ljust(n, b"\0")

    body = (
        text(description, 256)
        + text(originator, 32)
        + text(reference, 32)
        + when.strftime("%Y-%m-%d").encode()
        + when.strftime("%H:%M:%S").encode()
        + struct.pack("<II", time_reference & 0xFFFFFFFF, time_reference >> 32)
        + struct.pack("<H", 1)
        + b"\0" * 64  # UMID: none
        + b"\0" * 190  # reserved (v1)
        + coding_history.encode("ascii", "replace")
    )
    assert len(body) >= BEXT_FIXED
    return body


def ixml_chunk(
    project: str,
    scene: str,
    tape: str,
    note: str,
    rate: int,
    channels: int,
    track_names: Sequence[str],
    family: str,
    index: int,
    total: int,
) -> bytes:
    root = etree.Element("BWFXML")
    for tag, value in (
        ("IXML_VERSION", "1.61"),
        ("PROJECT", project),
        ("SCENE", scene),
        ("TAPE", tape),
        ("TAKE", "1"),
        ("NOTE", note),
    ):
        etree.SubElement(root, tag).text = value
    speed = etree.SubElement(root, "SPEED")
    for tag, value in (
        ("FILE_SAMPLE_RATE", str(rate)),
        ("AUDIO_BIT_DEPTH", "24"),
        ("TIMESTAMP_SAMPLE_RATE", str(rate)),
        ("TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_HI", "0"),
        ("TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO", "0"),
    ):
        etree.SubElement(speed, tag).text = value
    tracks = etree.SubElement(root, "TRACK_LIST")
    etree.SubElement(tracks, "TRACK_COUNT").text = str(channels)
    for i, name in enumerate(track_names[:channels], start=1):
        t = etree.SubElement(tracks, "TRACK")
        etree.SubElement(t, "CHANNEL_INDEX").text = str(i)
        etree.SubElement(t, "INTERLEAVE_INDEX").text = str(i)
        etree.SubElement(t, "NAME").text = name
    fs = etree.SubElement(root, "FILE_SET")
    etree.SubElement(fs, "TOTAL_FILES").text = str(total)
    etree.SubElement(fs, "FAMILY_UID").text = family
    etree.SubElement(fs, "FILE_SET_INDEX").text = str(index)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _chunks(f: BinaryIO, where: Path) -> list[tuple[bytes, int, int]]:
    """(id, offset of the body, size) of every chunk of a RIFF WAVE file."""
    head = f.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise FormatError(f"{where}: not a RIFF WAVE file")
    out: list[tuple[bytes, int, int]] = []
    pos = 12
    while True:
        f.seek(pos)
        h = f.read(8)
        if len(h) < 8:
            return out
        cid, size = h[:4], struct.unpack("<I", h[4:])[0]
        out.append((cid, pos + 8, size))
        pos += 8 + size + (size & 1)


def add_chunks(src: Path, dst: Path, extra: Sequence[tuple[bytes, bytes]]) -> None:
    """Copy WAV ``src`` to ``dst`` with ``extra`` chunks after ``fmt `` and before ``data``."""
    with open(src, "rb") as f:
        chunks = _chunks(f, src)
        parts: list[tuple[bytes, bytes | tuple[int, int]]] = []
        for cid, off, size in chunks:
            if cid == b"data":
                parts += list(extra)
                parts.append((cid, (off, size)))
            elif cid not in (b"bext", b"iXML"):
                f.seek(off)
                parts.append((cid, f.read(size)))
        total = 4 + sum(8 + _len(p) + (_len(p) & 1) for _, p in parts)
        if total >= 1 << 32:
            raise FormatError(f"{dst}: a stem over 4 GiB does not fit a RIFF WAV")
        with atomic_output(dst) as tmp, open(tmp, "wb") as out:
            out.write(b"RIFF" + struct.pack("<I", total) + b"WAVE")
            for cid, body in parts:
                out.write(cid + struct.pack("<I", _len(body)))
                if isinstance(body, bytes):
                    out.write(body)
                else:
                    off, size = body
                    f.seek(off)
                    left = size
                    while left:
                        block = f.read(min(left, 1 << 20))
                        if not block:
                            raise FormatError(f"{src}: data chunk is truncated")
                        out.write(block)
                        left -= len(block)
                if _len(body) & 1:
                    out.write(b"\0")


def _len(body: bytes | tuple[int, int]) -> int:
    return len(body) if isinstance(body, bytes) else body[1]


def safe_name(name: str) -> str:
    return re.sub(r"[^\w.+-]+", "_", name).strip("._") or "stem"


def cue_list(song: Song, files: Sequence[Path]) -> str:
    rate = song.sample_rate

    def when(frame: int) -> str:
        s = frame / rate
        bar, beat = timing.frame_to_bar_beat(song, frame)
        return f"{int(s // 3600):02d}:{int(s % 3600 // 60):02d}:{s % 60:06.3f}  sample {frame:>10}  bar {bar + 1}.{float(beat) + 1:g}"

    lines = [
        f"# {song.title} ({song.slug}) — stems cue list",
        f"sample rate {rate} Hz, tempo {song.tempo_bpm:g} BPM, {song.time_signature}"
        + (f", key {song.key}" if song.key else ""),
        "every stem starts at the song start: 00:00:00.000 (bext TimeReference 0)",
        "",
        "stems:",
        *[f"  {p.name}" for p in files],
        "",
        "markers:",
        *([f"  {when(m.frame)}  {m.name}" for m in song.markers] or ["  (none)"]),
        "",
        "sections:",
        *(
            [
                f"  {when(timing.bar_to_frame(song, s.start_bar))}  {s.name} ({s.length_bars} bars)"
                for s in song.sections
            ]
            or ["  (none)"]
        ),
    ]
    return "\n".join(lines) + "\n"


def write_stems(
    folder: Path, song: Song, sources: Sequence[tuple[Path, str]], album: str
) -> list[Path]:
    """Wrap each rendered WAV of ``sources`` (path, stem name) as ``NN Name.wav`` BWF in
    ``folder``, and write ``cues.txt``; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    family = str(uuid.uuid4())
    now = datetime.datetime.now()
    files: list[Path] = []
    for i, (src, name) in enumerate(sources):
        dst = folder / f"{i:02d} {safe_name(name)}.wav"
        bext = bext_chunk(
            f"{song.title}: {name}",
            "producer",
            f"{song.slug}-{i:02d}",
            0,
            now,
            f"A=PCM,F={song.sample_rate},W=24,M=stereo,T=producer\r\n",
        )
        ixml = ixml_chunk(
            album,
            song.title,
            song.slug,
            f"stem {name}",
            song.sample_rate,
            2,
            [f"{name} L", f"{name} R"],
            family,
            i + 1,
            len(sources),
        )
        add_chunks(src, dst, [(b"bext", bext), (b"iXML", ixml)])
        files.append(dst)
    cues = folder / "cues.txt"
    with atomic_output(cues) as tmp:
        tmp.write_text(cue_list(song, files), encoding="utf-8")
    files.append(cues)
    return files


__all__ = ["add_chunks", "bext_chunk", "cue_list", "ixml_chunk", "write_stems"]
